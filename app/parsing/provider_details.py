"""Provider details staff type one per line: board certifications, education, affiliations.

Lines are ``Board | Specialty | Year`` and ``Degree or program | Institution | Year``
(the year optional for education). Parsing returns the rows and a message per bad line, so
the form can show exactly which line to fix.

The roster CSV carries the same lists in one cell each, entries separated by ``;``
(``*_from_cell`` and ``*_to_cell``), so no part may contain a ``;``.
"""

from __future__ import annotations

from datetime import date

MAX_LINES = 12
MAX_PART = 200
FIRST_YEAR = 1940


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _year(raw: str, where: str, *, required: bool) -> tuple[int | None, str | None]:
    raw = raw.strip()
    if not raw:
        return None, (f"{where}: add the year, like 2015." if required else None)
    last = date.today().year + 1
    if not (raw.isascii() and raw.isdigit() and len(raw) == 4) or not (
        FIRST_YEAR <= int(raw) <= last
    ):
        return None, f"{where}: the year must be from {FIRST_YEAR} to {last}, like 2015."
    return int(raw), None


def _part_problem(part: str, where: str) -> str | None:
    if len(part) > MAX_PART:
        return f"{where}: each part can be at most {MAX_PART} characters."
    if ";" in part:
        return f"{where}: leave out the semicolon (;)."
    return None


def _parts(line: str, where: str, count: int, shape: str) -> tuple[list[str], str | None]:
    parts = [p.strip() for p in line.split("|")]
    if len(parts) != count:
        return [], f"{where}: write it as {shape}."
    for part in parts:
        if problem := _part_problem(part, where):
            return [], problem
    return parts, None


def _too_many(lines: list[str], label: str) -> str | None:
    noun = "lines" if label == "Line" else "entries"
    return f"List at most {MAX_LINES} {noun}." if len(lines) > MAX_LINES else None


def parse_certifications(text: str, *, label: str = "Line") -> tuple[list[dict], list[str]]:
    """``Board | Specialty | Year`` lines -> rows and error messages."""
    lines, rows, errors = _lines(text), [], []
    if msg := _too_many(lines, label):
        return [], [msg]
    for n, line in enumerate(lines, 1):
        where = f"{label} {n}"
        parts, error = _parts(line, where, 3, "Board | Specialty | Year")
        if error:
            errors.append(error)
            continue
        board, specialty, raw_year = parts
        year, error = _year(raw_year, where, required=True)
        if not board or not specialty:
            error = f"{where}: name both the board and the specialty."
        if error:
            errors.append(error)
            continue
        rows.append({"board": board, "specialty": specialty, "year": year})
    return rows, errors


def parse_education(text: str, *, label: str = "Line") -> tuple[list[dict], list[str]]:
    """``Degree or program | Institution | Year`` lines (year optional) -> rows and errors."""
    lines, rows, errors = _lines(text), [], []
    if msg := _too_many(lines, label):
        return [], [msg]
    for n, line in enumerate(lines, 1):
        where = f"{label} {n}"
        if line.count("|") == 1:
            line += " |"
        parts, error = _parts(line, where, 3, "Degree or program | Institution | Year")
        if error:
            errors.append(error)
            continue
        degree, institution, raw_year = parts
        year, error = _year(raw_year, where, required=False)
        if not degree or not institution:
            error = f"{where}: name both the degree or program and the institution."
        if error:
            errors.append(error)
            continue
        rows.append({"degree": degree, "institution": institution, "year": year})
    return rows, errors


def parse_affiliations(text: str, *, label: str = "Line") -> tuple[list[str], list[str]]:
    """One hospital per line -> names (duplicates dropped) and errors."""
    lines = _lines(text)
    if msg := _too_many(lines, label):
        return [], [msg]
    errors = []
    for n, line in enumerate(lines, 1):
        if len(line) > MAX_PART:
            errors.append(f"{label} {n}: at most {MAX_PART} characters.")
        elif problem := _part_problem(line, f"{label} {n}"):
            errors.append(problem)
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


# -- the roster CSV: one cell per list, entries separated by ";" -------------------------
def _cell_lines(cell: str) -> str:
    return "\n".join(part for part in (cell or "").split(";"))


def certifications_from_cell(cell: str) -> tuple[list[dict], list[str]]:
    """``Board | Specialty | Year; ...`` -> rows and errors naming the entry."""
    return parse_certifications(_cell_lines(cell), label="Entry")


def education_from_cell(cell: str) -> tuple[list[dict], list[str]]:
    """``Degree | Institution | Year; ...`` (year optional) -> rows and errors."""
    return parse_education(_cell_lines(cell), label="Entry")


def affiliations_from_cell(cell: str) -> tuple[list[str], list[str]]:
    """``Hospital; Hospital`` -> names and errors."""
    return parse_affiliations(_cell_lines(cell), label="Entry")


def _to_cell(text: str) -> str:
    return "; ".join(text.splitlines())


def certifications_to_cell(rows: list[dict]) -> str:
    """Rows as one roster cell."""
    return _to_cell(format_certifications(rows))


def education_to_cell(rows: list[dict]) -> str:
    """Rows as one roster cell."""
    return _to_cell(format_education(rows))


def affiliations_to_cell(names: list[str]) -> str:
    """Names as one roster cell."""
    return _to_cell(format_affiliations(names))


# Roster column -> (cell parser, cell writer).
CELLS = {
    "board_certifications": (certifications_from_cell, certifications_to_cell),
    "education": (education_from_cell, education_to_cell),
    "hospital_affiliations": (affiliations_from_cell, affiliations_to_cell),
}
