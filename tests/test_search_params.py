"""parse_params: validation of the shared query-string contract."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from app.search import ParamError, SearchParams, parse_params


@pytest.fixture
def ctx(seeded_app):
    with seeded_app.app_context():
        yield


def parse(api=False, **kw):
    return parse_params(MultiDict(kw), api=api)


def test_defaults(ctx):
    params = parse()
    assert params == SearchParams()
    assert params.is_empty() and params.to_query() == []


def test_repeatable_filters_and_to_query(ctx):
    args = MultiDict(
        [
            ("q", " smith "),
            ("specialty", "physical-therapist"),
            ("specialty", "chiropractor"),
            ("language", "es"),
            ("accepting", "1"),
            ("page", "3"),
            ("radius", "25"),
            ("location", "98034"),
        ]
    )
    params = parse_params(args, api=False)
    assert params.q == "smith"
    assert params.specialty == ("physical-therapist", "chiropractor")
    assert params.accepting and params.page == 3 and params.radius == 25
    query = params.to_query(page=1)
    assert ("specialty", "chiropractor") in query and ("page", "1") not in query
    assert ("accepting", "1") in query
    assert ("specialty", "physical-therapist") not in params.to_query(specialty=())
    assert ("page", "2") in params.to_query(page=2)
    assert not params.is_empty()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("page", "0"),
        ("page", "abc"),
        ("page", "501"),
        ("radius", "7"),
        ("sort", "price"),
        ("gender", "Q"),
        ("accepting", "maybe"),
        ("specialty", "not-a-specialty"),
        ("clinic", "mars"),
        ("language", "xx"),
        ("insurance", "nope"),
    ],
)
def test_bad_values_name_the_field(ctx, field, value):
    with pytest.raises(ParamError) as info:
        parse(**{field: value})
    assert info.value.field == field and info.value.message


def test_api_limits(ctx):
    assert parse(api=True, per_page="100", radius="7").per_page == 100
    assert parse(per_page="100").per_page == 20  # pages always show 20
    for bad in ("0", "101", "x"):
        with pytest.raises(ParamError):
            parse(api=True, per_page=bad)
    with pytest.raises(ParamError):
        parse(api=True, radius="501")


def test_free_text_never_raises(ctx):
    params = parse(q="\x00" + "x" * 10_000, location="😀 \u202e")
    assert len(params.q) <= 200 and "\x00" not in params.q
