"""Staff forms: login, provider, clinic, user, synonyms, roster upload, quick actions."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    FieldList,
    FloatField,
    FormField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import (
    DataRequired,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from app.models import REPORT_STATUSES, ROLES, WALK_IN_KINDS, WEEKDAY_NAMES
from app.parsing.normalize import (
    address_case,
    clean_zip,
    name_case,
    normalize_credentials,
    state_code,
)
from app.parsing.validation import (
    GENDERS,
    PROVIDER_LIMITS,
    PROVIDER_REQUIRED,
    nfc,
    normalize_phone,
    npi_problem,
    too_long,
    url_problem,
)
from app.services.geo import zip_centroid
from app.staff.service_forms import ServiceRowForm


def _npi(form, field) -> None:
    if field.data:
        field.data = field.data.strip()
        problem = npi_problem(field.data)
        if problem:
            raise ValidationError(problem)


def _url(form, field) -> None:
    if field.data and field.data.strip():
        problem = url_problem(field.data)
        if problem:
            raise ValidationError(problem)


def _phone(form, field) -> None:
    try:
        field.data = normalize_phone(field.data or "")
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


def _zip(form, field) -> None:
    state = form.state.data if form.state.data and len(form.state.data) == 2 else ""
    try:
        field.data = clean_zip(field.data or "", state)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


def _state(form, field) -> None:
    try:
        field.data = state_code(field.data or "")
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


def _name(value):
    return name_case(value) if isinstance(value, str) else value


def _address(value):
    return address_case(value) if isinstance(value, str) else value


def _credentials(value):
    return normalize_credentials(value) if isinstance(value, str) else value


def _limit(name: str) -> Length:
    """A listing field's length rule, shared with the service (``provider_problems``)."""
    return Length(max=PROVIDER_LIMITS[name], message=too_long(PROVIDER_LIMITS[name]))


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class StaffForm(FlaskForm):
    """Base of every staff form: all text is NFC-normalised before any validator runs.

    So "Müller" typed with a combining diaeresis is stored, compared and length-checked as
    the same six characters as the precomposed spelling, on SQLite and PostgreSQL alike.
    """

    class Meta(FlaskForm.Meta):
        def bind_field(self, form, unbound_field, options):
            if issubclass(unbound_field.field_class, StringField):
                options["filters"] = [nfc, *unbound_field.kwargs.get("filters", ())]
            return super().bind_field(form, unbound_field, options)


class LoginForm(StaffForm):
    """Email and password."""

    email = EmailField("Email", validators=[DataRequired("Enter your email."), Length(max=254)])
    password = PasswordField(
        "Password", validators=[DataRequired("Enter your password."), Length(max=256)]
    )
    next = HiddenField()


class ActionForm(StaffForm):
    """A quick action button: only CSRF and the version the person saw."""

    version = IntegerField(validators=[Optional()])


class ProviderForm(StaffForm):
    """Every field of a listing. Clinic phones are read per clinic by the view."""

    first_name = StringField(
        "First name",
        [DataRequired(PROVIDER_REQUIRED["first_name"]), _limit("first_name")],
        filters=[_strip, _name],
    )
    middle_name = StringField("Middle name", [_limit("middle_name")], filters=[_strip, _name])
    last_name = StringField(
        "Last name",
        [DataRequired(PROVIDER_REQUIRED["last_name"]), _limit("last_name")],
        filters=[_strip, _name],
    )
    suffix = StringField("Suffix", [_limit("suffix")], filters=[_strip])
    credentials = StringField(
        "Credentials", [_limit("credentials")], filters=[_strip, _credentials]
    )
    npi = StringField("NPI", [Optional(), _npi], filters=[_strip])
    gender = SelectField(
        "Gender",
        choices=[SelectChoice("", "Not stated")]
        + [SelectChoice(code, label) for code, label in GENDERS.items()],
    )
    pronouns = StringField("Pronouns", [_limit("pronouns")], filters=[_strip])
    bio = TextAreaField("Biography", [_limit("bio")], filters=[_strip])
    bio_es = TextAreaField("Biography in Spanish", [_limit("bio_es")], filters=[_strip])
    photo = FileField("Headshot photo")
    remove_photo = BooleanField("Remove the photo")
    website = StringField("Website", [_limit("website"), _url], filters=[_strip])
    specialty_1 = StringField("Primary specialty", [Length(max=200)], filters=[_strip])
    specialty_2 = StringField("Second specialty", [Length(max=200)], filters=[_strip])
    specialty_3 = StringField("Third specialty", [Length(max=200)], filters=[_strip])
    specialty_4 = StringField("Fourth specialty", [Length(max=200)], filters=[_strip])
    clinics = SelectMultipleField("Clinics", coerce=int, validate_choice=True)
    languages = SelectMultipleField("Languages", coerce=int)
    more_languages = StringField("Other languages", [Length(max=500)], filters=[_strip])
    insurance = SelectMultipleField("Insurance plans accepted", coerce=int)
    accepting_new_patients = BooleanField("Accepting new patients")
    telehealth = BooleanField("Offers telehealth visits")
    sees_children = BooleanField("Sees children (under 18)")
    sees_adults = BooleanField("Sees adults")
    sees_older_adults = BooleanField("Sees older adults (65 and over)")
    board_certifications = TextAreaField("Board certifications", [Length(max=4000)])
    education = TextAreaField("Education and training", [Length(max=4000)])
    hospital_affiliations = TextAreaField("Hospital affiliations", [Length(max=4000)])
    active = BooleanField("Listed in the public directory")
    version = HiddenField()

    SPECIALTY_FIELDS = ("specialty_1", "specialty_2", "specialty_3", "specialty_4")


class LocationForm(StaffForm):
    """A clinic with its weekly hours (two opening intervals per weekday)."""

    name = StringField("Clinic name", [DataRequired("Enter a name."), Length(max=160)])
    neighborhood = StringField("Neighborhood", [Length(max=120)])
    address_line1 = StringField(
        "Street address",
        [DataRequired("Enter the street address."), Length(max=200)],
        filters=[_address],
    )
    address_line2 = StringField("Suite or floor", [Length(max=200)], filters=[_address])
    city = StringField(
        "City", [DataRequired("Enter the city."), Length(max=100)], filters=[_address]
    )
    state = StringField("State", [DataRequired("Enter the state."), Length(max=40), _state])
    zip = StringField("ZIP code", [DataRequired("Enter the ZIP code."), _zip])
    phone = StringField("Phone", [_phone])
    latitude = FloatField("Latitude", [Optional(), NumberRange(-90, 90)])
    longitude = FloatField("Longitude", [Optional(), NumberRange(-180, 180)])
    accessibility_notes = TextAreaField("Accessibility notes", [Length(max=2000)])
    parking_notes = TextAreaField("Parking and transit notes", [Length(max=2000)])
    wheelchair_entrance = BooleanField("Wheelchair-accessible entrance")
    accessible_parking = BooleanField("Accessible parking")
    elevator = BooleanField("Elevator")
    accessible_restroom = BooleanField("Accessible restroom")
    hearing_loop = BooleanField("Hearing loop")
    interpreter_services = BooleanField("Interpreter services")
    active = BooleanField("Open and listed")
    walk_in = SelectField(
        "Walk-in care", choices=[SelectChoice(v, label) for v, label in WALK_IN_KINDS], default=""
    )
    services = FieldList(FormField(ServiceRowForm))
    version = HiddenField()

    def validate(self, extra_validators=None) -> bool:
        """Field checks, then coordinates: both or neither, and a place the map can show."""
        ok = super().validate(extra_validators)
        lat, lon = self.latitude, self.longitude
        if lat.errors or lon.errors:
            return False
        if (lat.data is None) != (lon.data is None):
            missing = lon if lon.data is None else lat
            missing.errors = [
                *missing.errors,
                "Give both latitude and longitude, or leave both empty to use the ZIP code.",
            ]
            return False
        unknown_zip = self.zip.data and not self.zip.errors and not zip_centroid(self.zip.data)
        if lat.data is None and unknown_zip:
            lat.errors = [
                *lat.errors,
                "We have no map position for that ZIP code. Enter the clinic's latitude "
                "and longitude.",
            ]
            return False
        return ok

    @staticmethod
    def hour_field(day: int, slot: int, end: str) -> str:
        """The name of one time field, e.g. ``d0_opens1``."""
        return f"d{day}_{end}{slot}"

    @staticmethod
    def phone_field(day: int, end: str) -> str:
        """The name of one phone-line time field, e.g. ``p0_opens``."""
        return f"p{day}_{end}"

    @staticmethod
    def walk_in_field(day: int, end: str) -> str:
        """The name of one walk-in time field, e.g. ``w0_opens``."""
        return f"w{day}_{end}"


for _day, _name in enumerate(WEEKDAY_NAMES):
    for _slot in (1, 2):
        for _end, _label in (("opens", "Opens"), ("closes", "Closes")):
            setattr(
                LocationForm,
                LocationForm.hour_field(_day, _slot, _end),
                TimeField(
                    f"{_name} {_label.lower()}" + (" (second period)" if _slot == 2 else ""),
                    [Optional()],
                ),
            )
    for _end, _label in (("opens", "Phone opens"), ("closes", "Phone closes")):
        setattr(
            LocationForm,
            LocationForm.phone_field(_day, _end),
            TimeField(f"{_name} {_label.lower()}", [Optional()]),
        )
    for _end, _label in (("opens", "Walk-ins from"), ("closes", "Walk-ins until")):
        setattr(
            LocationForm,
            LocationForm.walk_in_field(_day, _end),
            TimeField(f"{_name}: {_label.lower()}", [Optional()]),
        )


class UserForm(StaffForm):
    """A new staff or admin account."""

    email = EmailField("Email", [DataRequired("Enter an email."), Length(max=254)])
    role = SelectField("Role", choices=[SelectChoice(r, r.title()) for r in ROLES])
    password = PasswordField("Password", [InputRequired("Enter a password."), Length(max=256)])
    confirm = PasswordField(
        "Repeat the password", [EqualTo("password", "The two passwords do not match.")]
    )


class SynonymsForm(StaffForm):
    """A specialty's lay synonyms, one per line."""

    synonyms = TextAreaField("Synonyms (one per line)", [Length(max=4000)])
    version = HiddenField()


class ConditionForm(StaffForm):
    """An everyday condition: the words patients use and the specialties that treat it."""

    name = StringField("Name", [DataRequired("Enter the condition's name."), Length(max=200)])
    terms = TextAreaField("Words patients use (one per line)", [Length(max=16000)])
    specialty_codes = TextAreaField(
        "NUCC codes of the specialties that treat it (one per line, first-line care first)",
        [Length(max=2000)],
    )
    audience = SelectField(
        "Who it is for",
        choices=[
            SelectChoice("", "Everyone"),
            SelectChoice("children", "Children"),
            SelectChoice("women", "Women"),
        ],
        validate_choice=False,
    )
    category = StringField("Category", [Length(max=60)])
    version = HiddenField()


class RosterUploadForm(StaffForm):
    """A roster CSV to preview."""

    file = FileField("Roster CSV file", [FileRequired("Choose a CSV file.")])
    blank_clears = BooleanField("Blank cells clear values")


class NppesUploadForm(StaffForm):
    """An NPPES extract to reconcile the directory against."""

    file = FileField("NPPES extract (CSV)", [FileRequired("Choose a CSV file.")])


class RosterApplyForm(StaffForm):
    """Apply a previewed roster, named by its token and checksum."""

    token = HiddenField(validators=[DataRequired()])
    digest = HiddenField(validators=[DataRequired()])
    confirm_clear = BooleanField("Yes, clear these values")


class RosterJobForm(StaffForm):
    """Discard a preview or undo an applied import, named by its token."""

    token = HiddenField(validators=[DataRequired()])


class ReportStatusForm(StaffForm):
    """Move a patient's report along: in progress, fixed or not a problem."""

    status = SelectField(
        "Status",
        choices=[SelectChoice(key, label) for key, label in REPORT_STATUSES.items()],
    )
    note = StringField("Note for colleagues (optional)", [Optional(), Length(max=1000)])


class CodeForm(StaffForm):
    """A second-factor code: six digits from the app, or a recovery code."""

    code = StringField(
        "Code",
        validators=[DataRequired("Enter the code."), Length(max=64)],
        filters=[_strip],
    )


class TotpEnrolForm(StaffForm):
    """The first code from a newly added authenticator app."""

    code = StringField(
        "Code from the app",
        validators=[DataRequired("Enter the six-digit code your app shows."), Length(max=16)],
        filters=[_strip],
    )


class PasskeyNameForm(StaffForm):
    """A passkey's name."""

    name = StringField("Name", validators=[Length(max=60)], filters=[_strip])


class PasswordChangeForm(StaffForm):
    """The current password and a new one, twice."""

    current = PasswordField(
        "Current password",
        validators=[DataRequired("Enter your current password."), Length(max=256)],
    )
    password = PasswordField(
        "New password", validators=[DataRequired("Enter a new password."), Length(max=256)]
    )
    confirm = PasswordField(
        "Confirm new password",
        validators=[
            DataRequired("Enter the new password again."),
            EqualTo("password", "The passwords do not match."),
        ],
    )


class RoleForm(StaffForm):
    """A user's new role."""

    role = SelectField("Role", choices=[SelectChoice(r, r.title()) for r in ROLES])


class ContentForm(StaffForm):
    """A site text in one language: title, Markdown body and review status."""

    title = StringField("Title", [DataRequired("Enter the page's title."), Length(max=200)])
    body = TextAreaField("Text (Markdown)", [Length(max=100_000)])
    review_status = SelectField(
        "Review status",
        choices=[
            SelectChoice("machine", "Machine translation (not reviewed)"),
            SelectChoice("reviewed", "Reviewed by a qualified translator"),
        ],
        validate_choice=False,
    )
    reviewer = StringField("Reviewer's name", [Length(max=200)])
    reviewed_on = DateField("Reviewed on", [Optional()])
    version = HiddenField()
