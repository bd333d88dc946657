"""New passwords per NIST SP 800-63B: length, no context words, not a common password."""

from __future__ import annotations

import gzip

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.services import passwords
from app.services.passwords import LIST_PATH, is_common, password_problem
from app.services.users import UserError, create_user
from app.transaction import unit_of_work

ORG = "Evergreen Valley Clinics"


def test_the_shipped_list_has_over_100000_entries():
    with gzip.open(LIST_PATH, "rt", encoding="utf-8") as fh:
        words = {line.strip() for line in fh if line.strip() and not line.startswith("#")}
    assert len(words) >= 100_000
    assert len(passwords.common_password_digests()) == len(words)


@pytest.mark.parametrize(
    "password",
    ["password1234", "PASSWORD1234", "  qwertyuiop123 ", "iloveyou1234", "manchesterunited"],
)
def test_common_passwords_are_refused_whatever_their_case(password):
    assert is_common(password)
    assert "common" in password_problem(password, "desk@example.org", ORG)


@pytest.mark.parametrize(
    ("password", "words"),
    [
        (" " * 12, "only spaces"),
        ("\t\n  \u3000" * 4, "only spaces"),
        ("short", "at least 12"),
        ("x" * 257, "at most 256"),
        ("desk.clerk@example.org-2024", "email"),
        ("my DESK.clerk pass", "email"),
        ("evergreen valley clinics!", "organization"),
        ("EvergreenValleyClinics1", "organization"),
    ],
)
def test_context_rules(password, words):
    problem = password_problem(password, "desk.clerk@example.org", ORG)
    assert problem is not None and words in problem.lower()


def test_a_long_unusual_passphrase_is_accepted():
    assert password_problem("violet tram umbrella 42", "desk@example.org", ORG) is None


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=12, max_size=40).filter(lambda s: s.strip()))
def test_any_password_gets_a_verdict_not_an_error(password):
    problem = password_problem(password, "desk@example.org", ORG)
    assert problem is None or isinstance(problem, str)


def test_create_user_applies_the_rules_with_this_sites_org_name(app):
    with app.app_context():
        app.config["ORG_NAME"] = "Harbor Health"
        with pytest.raises(UserError, match="organization"), unit_of_work():
            create_user("desk@example.org", "staff", "harborhealth rules")
        with pytest.raises(UserError, match="email"), unit_of_work():
            create_user("desk@example.org", "staff", "desk@example.org!!")
        with unit_of_work():
            user = create_user("desk@example.org", "staff", "violet tram umbrella 42")
        assert user.id is not None
