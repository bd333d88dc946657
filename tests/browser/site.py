"""The pages the browser tests visit, by public URL only (slugs come from seed_data/)."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest
from babel.support import Translations

from bench.pages import PUBLIC_PAGES as BENCH_PAGES

PROFILE_SLUG = "maria-nunez-dpt"  # María Núñez, DPT: a physical therapist at First Hill
CLINIC_SLUG = "first-hill"
SPECIALTY_SLUG = "physical-therapist"
ARTICLE = "/health/exercise-for-the-spine"
SEARCH_RESULTS = "/find-a-doctor?q=physical+therapist&location=98104"
SEARCH_ZERO = "/find-a-doctor?q=zqxjvw+kkpfr"

# name -> path: every public page of the issue (each find-care step too); each must answer 200.
PUBLIC_PAGES: dict[str, str] = BENCH_PAGES

# Each language's URL prefix: every public page has a twin under /es/ (tests/test_languages.py).
LANGS = {"en": "", "es": "/es"}
CATALOGS = Path(__file__).resolve().parents[2] / "app" / "translations"


@cache
def words(lang: str) -> Callable[[str], str]:
    """The site's own words in ``lang``, from the catalog its pages use (English as is).

    A word with no translation fails the test, so a Spanish run never quietly looks for
    English labels."""
    if lang == "en":
        return lambda text: text
    catalog = Translations.load(str(CATALOGS), [lang])

    def word(text: str) -> str:
        found = catalog.ugettext(text)
        assert found != text, f"{text!r} has no {lang} translation in {CATALOGS}"
        return found

    return word


# The pages whose weight, layout and screenshots matter most.
KEY_PAGES = ("home", "article", "search-results", "profile")


def public_params(names: tuple[str, ...] | None = None) -> list:
    """``pytest.param(path, id=name)`` for the named public pages (all by default)."""
    return [
        pytest.param(path, id=name)
        for name, path in PUBLIC_PAGES.items()
        if names is None or name in names
    ]


def goto_ok(page, url: str, status: int = 200):
    """Open ``url`` and fail with a clear message when it does not answer ``status``."""
    response = page.goto(url, wait_until="load")
    assert response is not None, f"no response for {url}"
    if response.status == 404 and status != 404:
        pytest.fail(f"{url} answers 404: the page is not built (yet)")
    assert response.status == status, f"{url} answered {response.status}, expected {status}"
    return response


def wait_until(page, expression: str, arg=None, timeout: float = 10.0) -> None:
    """Poll ``expression`` (a JavaScript function or expression) until it is truthy.

    ``page.wait_for_function`` polls with ``eval`` inside the page, which the site's CSP
    (no 'unsafe-eval') refuses whenever the first check is false; ``page.evaluate`` goes
    through the DevTools protocol, which the CSP does not cover.
    """
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression, arg):
        if time.monotonic() > deadline:
            pytest.fail(f"still false after {timeout:.0f} s: {expression}")
        page.wait_for_timeout(50)
