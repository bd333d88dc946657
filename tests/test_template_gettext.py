"""Templates' ``_``/``ngettext`` (app.locale) say exactly what Jinja's newstyle ones say.

The app calls the catalog directly instead of through Jinja's wrappers (a results page makes
hundreds of calls), so every message in both catalogs is rendered both ways and compared:
escaping of values, ``%%``, ``num`` and ``{% trans %}`` blocks included.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import pytest
from babel.messages.pofile import read_po
from flask import Flask, render_template_string
from jinja2 import Environment

from app import locale


class Option(NamedTuple):
    """A filter option as the search gives it."""

    value: str
    label: str
    count: int
    selected: bool


CATALOG = Path(__file__).resolve().parent.parent / "app" / "translations"
CASES = [
    '{{ _("Call to book") }}',
    '{{ _("at %(clinic)s", clinic="<b>A & B</b>") }}',
    '{{ _("100%% sure") }}',
    '{{ ngettext("provider", "providers", 1) }} {{ ngettext("provider", "providers", 3) }}',
    '{{ ngettext("%(num)d provider found", "%(num)d providers found", 7) }}',
    '{{ ngettext("Showing %(first)d–%(last)d of %(num)d provider", '
    '"Showing %(first)d–%(last)d of %(num)d providers", 40, first=1, last=20) }}',
    '{{ gettext("Remove “%(name)s”", name="<script>") }}',
    "{% trans name='<i>x</i>' %}Hello {{ name }}, 5%{% endtrans %}",
    "{% trans count=2 %}One item{% pluralize %}{{ count }} items{% endtrans %}",
    '{{ pgettext("menu", "Open") }} {{ npgettext("menu", "%(num)d file", "%(num)d files", 2) }}',
]


def _jinja_newstyle() -> Environment:
    """An environment with Jinja's own newstyle gettext over the same catalog."""
    env = Environment(autoescape=True, extensions=["jinja2.ext.i18n"])
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: locale._translations().ugettext(s),
        ngettext=lambda s, p, n: locale._translations().ungettext(s, p, n),
        pgettext=lambda c, s: locale._translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: locale._translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
    return env


def _both(app: Flask, source: str, **context: object) -> tuple[str, str]:
    ours = render_template_string(source, **context)
    theirs = _jinja_newstyle().from_string(source).render(**context)
    return ours, theirs


@pytest.mark.parametrize("prefix", ["", "/es"])
def test_the_fixed_cases_render_as_jinja_renders_them(sqlite_app: Flask, prefix: str) -> None:
    with sqlite_app.test_request_context(prefix + "/find-a-doctor"):
        for source in CASES:
            ours, theirs = _both(sqlite_app, source)
            assert ours == theirs, source
        assert "&lt;b&gt;A &amp; B&lt;/b&gt;" in render_template_string(CASES[1])
        assert render_template_string(CASES[2]) == "100% sure"
        spanish = render_template_string(CASES[0]) != "Call to book"
        assert spanish == (prefix == "/es")  # each language reads its own catalog


def test_templates_use_the_apps_callables(sqlite_app: Flask) -> None:
    env = sqlite_app.jinja_env
    assert env.globals["_"] is env.globals["gettext"] is locale._template_gettext
    assert env.globals["ngettext"] is locale._template_ngettext


def test_gender_options_hide_empty_ones_unless_chosen(sqlite_app: Flask) -> None:
    options = [
        Option("female", "Female", 3, False),
        Option("male", "Male", 0, False),
        Option("nonbinary", "Nonbinary", 0, True),
    ]
    source = (
        '{% import "macros/directory.html" as d %}'
        "{{ d.facet_items('gender', options, type='radio', hide_empty=true) }}|"
        "{{ d.facet_items('plan', options) }}"
    )
    with sqlite_app.test_request_context("/find-a-doctor"):
        gender, every = render_template_string(source, options=options).split("|")
    assert 'value="female"' in gender and 'value="nonbinary" checked' in gender
    assert 'value="male"' not in gender
    assert 'type="radio"' in gender and gender.count("<li>") == 2
    assert every.count("<li>") == 3 and 'type="checkbox"' in every


def test_every_catalog_message_renders_as_jinja_renders_it(sqlite_app: Flask) -> None:
    with (CATALOG / "es" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh, locale="es")
    messages = [m for m in catalog if m.id]
    assert len(messages) > 300
    jinja = _jinja_newstyle()
    for prefix in ("", "/es"):
        with sqlite_app.test_request_context(prefix + "/find-a-doctor"):
            for message in messages:
                if isinstance(message.id, tuple):
                    source = "{{ ngettext(s, p, n, **values) }}"
                    runs = [{"s": message.id[0], "p": message.id[1], "n": n} for n in (0, 1, 2, 5)]
                else:
                    source = "{{ _(s, **values) }}"
                    runs = [{"s": message.id}]
                for run in runs:
                    run["values"] = _values(message.id)
                    assert _render(render_template_string, source, run) == _render(
                        lambda src, **ctx: jinja.from_string(src).render(**ctx), source, run
                    ), (prefix, message.id)


def _values(msgid: str | tuple[str, ...]) -> dict[str, object]:
    """Each placeholder but ``num``: numbers for ``%(x)d``, text that needs escaping else."""
    text = " ".join(msgid) if isinstance(msgid, tuple) else msgid
    found = re.findall(r"%\((\w+)\)([a-z])", text)
    return {name: 3 if kind == "d" else "<b>&</b>" for name, kind in found if name != "num"}


def _render(render: Callable[..., str], source: str, context: dict[str, object]) -> str:
    try:
        return render(source, **context)
    except (KeyError, ValueError, TypeError) as exc:
        return type(exc).__name__
