"""Small input checks shared by forms, services and the roster import."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

import us

NPI_PREFIX = "80840"
PHONE_EXT_RE = re.compile(r"\s*(?:x|ext\.?|extension)\s*([0-9]{1,6})\s*$", re.IGNORECASE)
# A word: letters, with any combining marks that follow them (decomposed "U" + U+0308).
NAME_PART_RE = re.compile(r"(?:[^\W\d_][\u0300-\u036f\u1ab0-\u1aff\u20d0-\u20ff]*)+")
# Every US state, DC and the inhabited territories (us.states.STATES_AND_TERRITORIES + DC).
STATE_CODES = frozenset([s.abbr for s in us.states.STATES_AND_TERRITORIES] + [us.states.DC.abbr])
ZIP_RE = re.compile(r"^[0-9]{5}(?:-?[0-9]{4})?$")


_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)  # a digit doubled, its digits summed
NPI_RE = re.compile(r"[0-9]{10}")


def luhn_valid(digits: str) -> bool:
    """True when a digit string passes the Luhn check."""
    if not (digits.isascii() and digits.isdigit()):
        return False
    # From the right: every second digit (the 2nd, 4th, ...) counts doubled.
    total = sum(map(int, digits[-1::-2])) + sum(_DOUBLED[int(ch)] for ch in digits[-2::-2])
    return total % 10 == 0


def npi_problem(npi: str) -> str | None:
    """Why a National Provider Identifier is invalid, or None if it is valid."""
    if not NPI_RE.fullmatch(npi):
        return "An NPI is exactly 10 digits."
    if npi[0] not in "12":
        return "An NPI starts with 1 or 2."
    if not luhn_valid(NPI_PREFIX + npi):
        return "That NPI's check digit is wrong; check it for a typing mistake."
    return None


def normalize_phone(value: str) -> str:
    """Return a US phone number as "(206) 555-0101" (with " x123" for an extension).

    Raises ValueError with a readable message when the number cannot be a US number.
    """
    text = value.strip()
    if not text:
        return ""
    ext = ""
    match = PHONE_EXT_RE.search(text)
    if match:
        ext = match.group(1)
        text = text[: match.start()]
    if re.search(r"[^0-9\s().+\-/]", text):
        raise ValueError("Use digits only, like (206) 555-0101.")
    digits = re.sub(r"[^0-9]", "", text)
    if len(digits) == 11 and digits[0] == "1":
        digits = digits[1:]
    if len(digits) != 10:
        raise ValueError("A phone number has 10 digits, like (206) 555-0101.")
    if digits[0] in "01" or digits[3] in "01":
        raise ValueError("That is not a valid US phone number.")
    phone = f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"
    return f"{phone} x{ext}" if ext else phone


def url_problem(value: str) -> str | None:
    """Why a web address is not an absolute http(s) URL, or None if it is fine."""
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        return "Enter a web address starting with https://."
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return "Enter a web address starting with https:// (or http://)."
    if any(ch.isspace() for ch in value.strip()):
        return "A web address cannot contain spaces."
    return None


def zip_problem(value: str) -> str | None:
    """Why a ZIP code is invalid, or None."""
    return None if ZIP_RE.match(value.strip()) else "Enter a 5-digit ZIP code, like 98104."


def nfc(text: str | None) -> str | None:
    """Unicode NFC: one spelling for "ü" whether it was typed precomposed or decomposed."""
    return unicodedata.normalize("NFC", text) if isinstance(text, str) else text


def _lower(word: str) -> str:
    # "İ" (dotted capital I) lower-cases to "i" + U+0307 in Python; the dot belongs to the
    # capital only, so map it to a plain "i" and keep the word's length.
    return word.replace("İ", "i").lower()


def _cap(match: re.Match[str]) -> str:
    original = match.group(0)  # all capitals: its first letter is already right
    word = _lower(original)
    if len(word) > 2 and word.startswith("mc"):
        return "Mc" + original[2] + word[3:]
    return original[0] + word[1:]


def sensible_case(name: str) -> str:
    """Turn an ALL-CAPS name into normal case ("O'BRIEN" -> "O'Brien"); leave others alone.

    Unicode-aware: "İBRAHİM" -> "İbrahim", decomposed "MÜLLER" -> "Müller"; the result is
    NFC and never longer than the input.
    """
    name = " ".join(nfc(name).split())
    if not any(ch.isalpha() for ch in name) or any(ch.islower() for ch in name):
        return name
    return unicodedata.normalize("NFC", NAME_PART_RE.sub(_cap, name))


def state_problem(value: str) -> str | None:
    """Why a clinic's state is not a US state or territory code, or None."""
    code = (value or "").strip().upper()
    if code in STATE_CODES:
        return None
    return "Enter a US state or territory as its 2-letter code, like WA."


# The staff provider form's rules for a listing's own fields, in one place: the form's
# validators are built from them, and every write of a listing (the form, a roster or NPPES
# import, an accepted registry finding) checks them again in ``providers.check_listing``.
PROVIDER_REQUIRED = {"first_name": "Enter a first name.", "last_name": "Enter a last name."}
PROVIDER_LIMITS = {
    "first_name": 80,
    "middle_name": 80,
    "last_name": 80,
    "suffix": 20,
    "credentials": 80,
    "pronouns": 40,
    "bio": 4000,
    "bio_es": 4000,
    "website": 500,
}
GENDERS = {"F": "Female", "M": "Male", "X": "Non-binary or other"}
GENDER_PROBLEM = "Choose Female, Male, Non-binary or other, or Not stated."


def too_long(limit: int) -> str:
    """The message for text over its limit (the form and the service say the same)."""
    return f"Too long: at most {limit} characters."


def provider_problems(data: object) -> dict[str, str]:
    """Why a listing's own fields break the staff form's rules, by field name (empty: fine).

    ``data`` is anything with the form's field names as attributes (a ``ProviderInput``).
    """
    errors: dict[str, str] = {}
    for name, limit in PROVIDER_LIMITS.items():
        value = getattr(data, name, "") or ""
        if name in PROVIDER_REQUIRED and not value.strip():
            errors[name] = PROVIDER_REQUIRED[name]
        elif len(value) > limit:
            errors[name] = too_long(limit)
    npi = getattr(data, "npi", None)
    if npi and (problem := npi_problem(npi)):
        errors["npi"] = problem
    gender = getattr(data, "gender", None)
    if gender and gender not in GENDERS:
        errors["gender"] = GENDER_PROBLEM
    website = getattr(data, "website", "") or ""
    if "website" not in errors and website.strip() and (problem := url_problem(website)):
        errors["website"] = problem
    return errors
