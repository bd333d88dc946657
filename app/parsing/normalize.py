"""Forgiving input over standard vocabularies: states, ZIPs, addresses, names, credentials.

Used by the roster import, the NPPES reader and the staff forms alike, so a value typed
into a form and the same value in a spreadsheet end up stored the same way.

- States come from the ``us`` package (USPS codes and full names, DC and the territories).
- Addresses are matched after USPS Publication 28 normalisation by ``usaddress-scourgify``
  ("Suite 400" and "STE 400" are one clinic); text in capitals is shown in sensible case
  with the USPS abbreviations kept (NE, SW, PO Box, Ste).
- Name prefixes, generational suffixes and credentials typed into name cells are split out
  with ``nameparser``'s vocabularies; casing is Unicode-aware.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache

import us
import usaddress

from app.parsing.validation import ZIP_RE, sensible_case

STATES = {s.abbr: s for s in (*us.states.STATES_AND_TERRITORIES, us.states.DC)}
STATE_NAMES = {
    **{s.name.casefold(): code for code, s in STATES.items()},
    **{code.casefold(): code for code in STATES},
    "washington dc": "DC",
}
ZERO_ZIP_STATES = frozenset({"CT", "MA", "ME", "NH", "NJ", "PR", "RI", "VT", "VI"})
DIRECTIONALS = frozenset({"N", "S", "E", "W", "NE", "NW", "SE", "SW"})
KEEP_UPPER = DIRECTIONALS | {"PO", "RR", "HC", "US", "FM", "SR", "CR"}
ORDINAL_RE = re.compile(r"^(\d+)(ST|ND|RD|TH)$", re.IGNORECASE)
GENERATIONAL = frozenset({"jr", "sr", "ii", "iii", "iv", "v", "2nd", "3rd"})
MIXED_CASE_CREDENTIALS = {
    "phd": "PhD",
    "psyd": "PsyD",
    "pharmd": "PharmD",
    "edd": "EdD",
    "dphil": "DPhil",
    "msc": "MSc",
    "bsc": "BSc",
    "drph": "DrPH",
    "scd": "ScD",
}
WORD_RE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")


def _nfc(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text or "").split())


@lru_cache(maxsize=65536)
def state_code(value: str) -> str:
    """The USPS code for a state, DC or territory given by its code or exact full name.

    Names are matched exactly (case and spacing aside), not phonetically as
    ``us.states.lookup`` would: a typo is refused rather than guessed. Raises ValueError
    naming what to write instead.
    """
    text = " ".join(_nfc(value).replace(".", "").split()).casefold()
    if text.startswith("us ") and text[3:] in STATE_NAMES:  # "US Virgin Islands"
        text = text[3:]
    code = STATE_NAMES.get(text)
    if code is None:
        raise ValueError(
            f"Unknown state “{value.strip()}”. Use a USPS code like GA or a full name like "
            "Georgia (DC and the territories are accepted too)."
        )
    return code


def clean_zip(value: str, state: str = "") -> str:
    """A 5-digit ZIP or ZIP+4 as ``30329`` or ``30329-2210``; ValueError otherwise.

    Spreadsheets drop leading zeros, so "2134" is read as 02134 for the states whose ZIPs
    start with 0 (New England, New Jersey, Puerto Rico, the Virgin Islands), and only there.
    """
    text = _nfc(value)
    if text.isdigit() and text.isascii() and len(text) in (4, 8) and state in ZERO_ZIP_STATES:
        text = "0" + text
    if not ZIP_RE.match(text) or not text.isascii():
        raise ValueError("Enter a 5-digit ZIP code like 30329, or ZIP+4 like 30329-2210.")
    digits = text.replace("-", "")
    return digits if len(digits) == 5 else f"{digits[:5]}-{digits[5:]}"


def zip5(value: str) -> str:
    """The 5-digit part of a ZIP or ZIP+4 (what matching and distance use)."""
    return (value or "").strip()[:5]


def _title_word(word: str) -> str:
    upper = word.upper()
    if upper in KEEP_UPPER:
        return upper
    ordinal = ORDINAL_RE.match(word)
    if ordinal:
        return ordinal.group(1) + ordinal.group(2).lower()
    if any(ch.isdigit() for ch in word):
        return upper  # unit numbers like 4B
    return capitalize_name(word)


@lru_cache(maxsize=65536)
def address_case(text: str) -> str:
    """Sensible case for an address typed in capitals; mixed-case text is kept as typed."""
    text = _nfc(text)
    if any(ch.islower() for ch in text):
        return text
    return " ".join(_title_word(w) for w in text.split(" "))


@cache
def _name_constants():
    """nameparser's titles and credentials, imported on first use: with scourgify (below)
    they would slow every web worker's start, and only staff writes need them."""
    from nameparser.config import CONSTANTS

    return CONSTANTS


@lru_cache(maxsize=65536)
def _usps(line1: str, line2: str, zip_code: str) -> tuple[str, str] | None:
    from scourgify import normalize_address_record
    from scourgify.exceptions import AddressNormalizationError

    try:
        record = normalize_address_record(
            {
                "address_line_1": line1,
                "address_line_2": line2 or None,
                "city": "X",
                "state": "WA",
                "postal_code": zip5(zip_code) or "00000",
            }
        )
    except (AddressNormalizationError, ValueError, TypeError):
        return None
    return record["address_line_1"] or "", record["address_line_2"] or ""


@lru_cache(maxsize=65536)
def split_address(address: str) -> tuple[str, str]:
    """Split one address cell into street line and unit line, USPS-abbreviated when in caps.

    "12 EXECUTIVE PARK DRIVE NE RM 388" gives ("12 Executive Park Dr NE", "Rm 388");
    mixed-case text keeps its own words.
    """
    text = _nfc(address)
    parts = _usps(text, "", "")
    if parts is None:
        return address_case(text), ""
    if any(ch.islower() for ch in text):
        line2 = parts[1]
        # Keep the person's own wording; split only when the unit is a clean suffix.
        unit_at = text.upper().rfind(line2.split(" ")[-1]) if line2 else -1
        if line2 and unit_at > 0:
            head = text[:unit_at].rstrip(" ,#")
            head = re.sub(r"[\s,]+(suite|ste|room|rm|unit|apt|floor|fl|#)\.?$", "", head, flags=2)
            tail = text[len(head) :].strip(" ,")
            return head, tail
        return text, ""
    return address_case(parts[0]), address_case(parts[1])


def address_key(line1: str, line2: str, zip_code: str) -> tuple[str, str]:
    """The key clinics are matched on: USPS-normalised street and unit, and the 5-digit ZIP."""
    parts = _usps(_nfc(line1), _nfc(line2), zip_code)
    if parts is None:
        words = re.findall(r"[a-z0-9]+", f"{line1} {line2}".lower())
        return " ".join(words), zip5(zip_code)
    return " ".join(p for p in parts if p).lower(), zip5(zip_code)


def street_key(line1: str, line2: str, zip_code: str) -> tuple[str, str]:
    """The USPS-normalised street line (no suite or room) and the 5-digit ZIP.

    Reconciliation compares on this: a registry address naming another floor of the
    same building is the same practice location.
    """
    parts = _usps(_nfc(line1), _nfc(line2), zip_code)
    if parts is None:
        return " ".join(re.findall(r"[a-z0-9]+", line1.lower())), zip5(zip_code)
    return parts[0].lower(), zip5(zip_code)


@lru_cache(maxsize=65536)
def clinic_name(city: str, line1: str) -> str:
    """A readable name for a clinic given none: "Atlanta — Executive Park Dr"."""
    parts = _usps(_nfc(line1), "", "") or (_nfc(line1), "")
    try:
        tagged, _ = usaddress.tag(parts[0])
    except usaddress.RepeatedLabelError:
        tagged = {}
    street = " ".join(
        tagged[k]
        for k in ("StreetNamePreType", "StreetName", "StreetNamePostType")
        if tagged.get(k)
    )
    street = address_case(street.upper()) if street else address_case(parts[0])
    town = address_case(_nfc(city).upper()) if _nfc(city).isupper() else _nfc(city)
    return f"{town} — {street}" if town else street


def capitalize_name(word: str) -> str:
    """Capitalise one word the Unicode way: "İBRAHİM" -> "İbrahim", "MCDONALD" -> "McDonald"."""

    def cap(match: re.Match[str]) -> str:
        piece = match.group(0)
        # "İ".lower() is "i" + COMBINING DOT ABOVE outside Turkish; drop the dot after i.
        lower = unicodedata.normalize("NFC", piece.lower().replace("i\u0307", "i"))
        head = piece[0] if piece[0].isupper() else lower[0].upper()
        rest = lower[len(lower) - len(piece) + 1 :] if len(lower) >= len(piece) else lower[1:]
        out = head + rest
        if len(out) > 2 and out.startswith("Mc"):
            out = "Mc" + out[2].upper() + out[3:]
        return re.sub(r"(['’])(\w)", lambda m: m.group(1) + m.group(2).upper(), out)

    return WORD_RE.sub(cap, unicodedata.normalize("NFC", word))


def name_case(text: str) -> str:
    """Sensible case for a name typed in capitals; any other spelling is kept as typed."""
    text = _nfc(text)
    letters = [ch for ch in text if ch.isalpha()]
    if letters and all(ch.isupper() for ch in letters):
        return sensible_case(text)  # the same casing as every staff form
    return text  # lower case may be deliberate ("bell hooks")


def _token(word: str) -> str:
    return word.strip(" ,").replace(".", "").lower()


@lru_cache(maxsize=65536)
def normalize_credentials(text: str) -> str:
    """ "M.D., ph.d" -> "MD, PhD": periods dropped, usual casing, comma-separated.

    A token typed in mixed case ("LAc") is kept as typed; OTR/L keeps its slash.
    """
    out = []
    for word in re.split(r"[,;\s]+", _nfc(text)):
        token = word.replace(".", "")
        if not token:
            continue
        if token.isupper() or token.islower() or not any(ch.isalpha() for ch in token):
            token = MIXED_CASE_CREDENTIALS.get(token.lower().replace("-", ""), token.upper())
        if token not in out:
            out.append(token)
    return ", ".join(out)


def normalize_suffix(text: str) -> str:
    """ "JR." -> "Jr", "iii" -> "III"; anything else is kept as typed."""
    token = _nfc(text).replace(".", "")
    if token.lower() in ("jr", "sr"):
        return token.title()
    return token.upper() if token.lower() in GENERATIONAL else _nfc(text)


def is_credential(word: str) -> bool:
    """True for a credential nameparser knows (MD, DO, DPT, PA-C, PhD ...)."""
    token = _token(word)
    return token in _name_constants().suffix_acronyms and token not in GENERATIONAL


def split_name_cells(first: str, last: str) -> dict[str, str]:
    """Split titles, suffixes and credentials out of roster name cells; case them.

    Returns first_name, last_name, suffix and credentials (the last two may be empty).
    A lone word is never taken for a credential, so a surname like Do stays a surname.
    """
    # A roster repeats a provider's name on each of their clinic rows, and a national file
    # has many namesakes: the same cells are split once.
    return dict(_split_name_cells(first, last))


@lru_cache(maxsize=65536)
def _split_name_cells(first: str, last: str) -> tuple[tuple[str, str], ...]:
    first_words = _nfc(first).replace(",", " , ").split()
    last_words = _nfc(last).replace(",", " , ").split()
    titles = _name_constants().titles
    while len(first_words) > 1 and _token(first_words[0]) in titles:
        first_words.pop(0)
    suffix, credentials = [], []
    for words in (last_words, first_words):
        while len([w for w in words if w != ","]) > 1:
            tail = words[-1]
            if tail == ",":
                words.pop()
            elif _token(tail) in GENERATIONAL:
                suffix.insert(0, words.pop().replace(".", "").upper())
            elif is_credential(tail):
                credentials.insert(0, words.pop())
            else:
                break
    suffix_text = " ".join(suffix)
    suffix_text = (
        suffix_text[:1] + suffix_text[1:].lower()
        if suffix_text[:2] in ("JR", "SR")
        else suffix_text
    )
    return (
        ("first_name", name_case(" ".join(w for w in first_words if w != ","))),
        ("last_name", name_case(" ".join(w for w in last_words if w != ","))),
        ("suffix", suffix_text),
        ("credentials", normalize_credentials(" ".join(credentials))),
    )
