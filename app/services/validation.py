"""Small input checks shared by forms, services and the roster import."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

NPI_PREFIX = "80840"
PHONE_EXT_RE = re.compile(r"\s*(?:x|ext\.?|extension)\s*([0-9]{1,6})\s*$", re.IGNORECASE)
NAME_PART_RE = re.compile(r"[^\W\d_]+")
ZIP_RE = re.compile(r"^[0-9]{5}(?:-?[0-9]{4})?$")


def luhn_valid(digits: str) -> bool:
    """True when a digit string passes the Luhn check."""
    if not (digits.isascii() and digits.isdigit()):
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 1:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


def npi_problem(npi: str) -> str | None:
    """Why a National Provider Identifier is invalid, or None if it is valid."""
    if not re.fullmatch(r"[0-9]{10}", npi):
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


def _cap(match: re.Match[str]) -> str:
    word = match.group(0)
    if len(word) > 2 and word.startswith("mc"):
        return "Mc" + word[2].upper() + word[3:]
    return word[0].upper() + word[1:]


def sensible_case(name: str) -> str:
    """Turn an ALL-CAPS name into normal case ("O'BRIEN" -> "O'Brien"); leave others alone."""
    name = " ".join(name.split())
    if not any(ch.isalpha() for ch in name) or any(ch.islower() for ch in name):
        return name
    return NAME_PART_RE.sub(_cap, name.lower())
