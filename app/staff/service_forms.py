"""The clinic form's service rows: one row per service offered there, plus blank rows to add.

The rows carry no rules of their own: ``app.services.clinic_services`` holds them, and
``services_from`` puts its messages on the rows' fields.
"""

from __future__ import annotations

from wtforms import (
    BooleanField,
    Form,
    HiddenField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)

from app.models import SERVICE_CATEGORIES, HealthcareService, Specialty
from app.parsing.validation import nfc
from app.services.clinic_services import ServiceInput, list_problems

BLANK_ROWS = 2


class ServiceRowForm(Form):
    """One service at the clinic (no CSRF field of its own: the clinic form has it)."""

    class Meta(Form.Meta):
        def bind_field(self, form, unbound_field, options):
            if issubclass(unbound_field.field_class, StringField):
                options["filters"] = [nfc, *unbound_field.kwargs.get("filters", ())]
            return super().bind_field(form, unbound_field, options)

    id = HiddenField()
    name = StringField("Service")
    category = SelectField(
        "Kind of service",
        choices=[SelectChoice("", "Choose…"), *(SelectChoice(v, t) for v, t in SERVICE_CATEGORIES)],
        default="",
        validate_choice=False,  # the service's rule names a bad choice in words
    )
    type_text = StringField("Type (as patients would say it)")
    specialty_id = SelectField(
        "Specialty (links it to providers)", default="", validate_choice=False
    )
    telehealth = BooleanField("Offered by video too")
    description = TextAreaField("Description")
    remove = BooleanField("Remove this service")


def specialty_choices() -> list[SelectChoice]:
    """The specialty menu: none, then every specialty by name."""
    from app.extensions import db

    rows = db.session.execute(
        db.select(Specialty.id, Specialty.display_name).order_by(Specialty.display_name)
    ).all()
    return [SelectChoice("", "None"), *(SelectChoice(str(i), name) for i, name in rows)]


def fill_services(rows, services: list[HealthcareService]) -> None:
    """The form's rows: each service, then blank rows to add new ones."""
    while len(rows):
        rows.pop_entry()
    for s in services:
        rows.append_entry(
            {
                "id": str(s.id),
                "name": s.name,
                "category": s.category,
                "type_text": s.type_text,
                "specialty_id": str(s.specialty_id or ""),
                "telehealth": s.telehealth,
                "description": s.description,
            }
        )
    for _ in range(BLANK_ROWS):
        rows.append_entry()


def set_choices(rows) -> None:
    """Give every row the specialty menu (read once)."""
    choices = specialty_choices()
    for row in rows:
        row.form.specialty_id.choices = choices


def _is_blank(row: Form) -> bool:
    return not (row.id.data or (row.name.data or "").strip() or row.category.data)


def _int_or_none(raw: str | None) -> int | None:
    """A row number as sent (ASCII digits, at most 9 of them); None when blank or mangled."""
    raw = (raw or "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 9 else None


def _specialty_id(raw: str | None) -> int | None:
    """None for no specialty; a mangled value becomes 0, which the rule refuses."""
    if not (raw or "").strip():
        return None
    return _int_or_none(raw) or 0


def services_from(rows) -> list[ServiceInput] | None:
    """The rows as the service takes them (blank rows skipped); None, with errors on the
    rows' fields, when the rule refuses one."""
    kept: list[tuple[Form, ServiceInput]] = []
    bad_id = False
    for entry in rows:
        row = entry.form
        if _is_blank(row):
            continue
        ident = _int_or_none(row.id.data)
        if row.id.data and ident is None:
            row.name.errors = [*row.name.errors, "Reload the page: this row lost its number."]
            bad_id = True
        kept.append(
            (
                row,
                ServiceInput(
                    id=ident,
                    name=row.name.data or "",
                    category=row.category.data or "",
                    type_text=row.type_text.data or "",
                    specialty_id=_specialty_id(row.specialty_id.data),
                    telehealth=bool(row.telehealth.data),
                    description=row.description.data or "",
                    remove=bool(row.remove.data),
                ),
            )
        )
    found = list_problems([data for _, data in kept])
    for index, problems in found.items():
        row = kept[index][0]
        for name, message in problems.items():
            field = getattr(row, name)
            field.errors = [*field.errors, message]
    return None if found or bad_id else [data for _, data in kept]
