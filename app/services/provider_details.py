"""Provider details staff type one per line: board certifications, education, affiliations.

Lines are ``Board | Specialty | Year`` and ``Degree or program | Institution | Year``
(the year optional for education). Parsing returns the rows and a message per bad line, so
the form can show exactly which line to fix.
"""

from __future__ import annotations

from datetime import date

MAX_LINES = 12
MAX_PART = 200
FIRST_YEAR = 1940


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _year(raw: str, line_no: int, *, required: bool) -> tuple[int | None, str | None]:
    raw = raw.strip()
    if not raw:
        return None, (f"Line {line_no}: add the year, like 2015." if required else None)
    last = date.today().year + 1
    if not (raw.isascii() and raw.isdigit() and len(raw) == 4) or not (
        FIRST_YEAR <= int(raw) <= last
    ):
        return None, f"Line {line_no}: the year must be from {FIRST_YEAR} to {last}, like 2015."
    return int(raw), None


def _parts(line: str, line_no: int, count: int, shape: str) -> tuple[list[str], str | None]:
    parts = [p.strip() for p in line.split("|")]
    if len(parts) != count:
        return [], f"Line {line_no}: write it as {shape}."
    if any(len(p) > MAX_PART for p in parts):
        return [], f"Line {line_no}: each part can be at most {MAX_PART} characters."
    return parts, None


def _too_many(lines: list[str]) -> str | None:
    return f"List at most {MAX_LINES} lines." if len(lines) > MAX_LINES else None


def parse_certifications(text: str) -> tuple[list[dict], list[str]]:
    """``Board | Specialty | Year`` lines -> rows and error messages."""
    lines, rows, errors = _lines(text), [], []
    if msg := _too_many(lines):
        return [], [msg]
    for n, line in enumerate(lines, 1):
        parts, error = _parts(line, n, 3, "Board | Specialty | Year")
        if error:
            errors.append(error)
            continue
        board, specialty, raw_year = parts
        year, error = _year(raw_year, n, required=True)
        if not board or not specialty:
            error = f"Line {n}: name both the board and the specialty."
        if error:
            errors.append(error)
            continue
        rows.append({"board": board, "specialty": specialty, "year": year})
    return rows, errors


def parse_education(text: str) -> tuple[list[dict], list[str]]:
    """``Degree or program | Institution | Year`` lines (year optional) -> rows and errors."""
    lines, rows, errors = _lines(text), [], []
    if msg := _too_many(lines):
        return [], [msg]
    for n, line in enumerate(lines, 1):
        if line.count("|") == 1:
            line += " |"
        parts, error = _parts(line, n, 3, "Degree or program | Institution | Year")
        if error:
            errors.append(error)
            continue
        degree, institution, raw_year = parts
        year, error = _year(raw_year, n, required=False)
        if not degree or not institution:
            error = f"Line {n}: name both the degree or program and the institution."
        if error:
            errors.append(error)
            continue
        rows.append({"degree": degree, "institution": institution, "year": year})
    return rows, errors


def parse_affiliations(text: str) -> tuple[list[str], list[str]]:
    """One hospital per line -> names (duplicates dropped) and errors."""
    lines = _lines(text)
    if msg := _too_many(lines):
        return [], [msg]
    errors = [
        f"Line {n}: at most {MAX_PART} characters."
        for n, line in enumerate(lines, 1)
        if len(line) > MAX_PART
    ]
    return ([] if errors else list(dict.fromkeys(lines))), errors


def format_certifications(rows: list[dict]) -> str:
    """Rows back to the editable text."""
    return "\n".join(f"{r['board']} | {r['specialty']} | {r['year']}" for r in rows or [])


def format_education(rows: list[dict]) -> str:
    """Rows back to the editable text."""
    return "\n".join(
        f"{r['degree']} | {r['institution']} | {r.get('year') or ''}".rstrip(" |")
        for r in rows or []
    )


def format_affiliations(names: list[str]) -> str:
    """Names back to the editable text."""
    return "\n".join(names or [])
