"""Administrator pages: users, the full audit log, specialty synonyms and conditions."""

from __future__ import annotations

from datetime import timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, HealthCondition, Specialty, User
from app.services.conditions import ConditionData, create_condition, update_condition
from app.services.mfa import factor_summaries
from app.services.specialties import MAX_SYNONYM_LENGTH, update_synonyms
from app.services.users import UserError, create_user, set_active
from app.staff import bp
from app.staff.args import date_arg, int_arg, page_arg
from app.staff.forms import ActionForm, ConditionForm, SynonymsForm, UserForm
from app.staff.provider_form import parse_version
from app.staff.routes import admin_required
from app.staff.step_up import step_up_required
from app.transaction import InvalidInput, StaleEdit, unit_of_work

AUDIT_PER_PAGE = 50


@bp.route("/users", methods=["GET", "POST"])
@admin_required
@step_up_required(
    "Create a user",
    secret_fields={"password": "Password", "confirm": "Repeat the password"},
    methods=("POST",),
)
def users() -> ResponseReturnValue:
    """List accounts and create new ones."""
    form = UserForm()
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                with unit_of_work():
                    user = create_user(
                        form.email.data, form.role.data, form.password.data, current_user
                    )
            except (UserError, InvalidInput) as exc:
                text = " ".join(exc.errors.values()) if isinstance(exc, InvalidInput) else str(exc)
                target = (
                    form.password
                    if "password" in text.lower() or "character" in text
                    else form.email
                )
                target.errors = [*target.errors, text]
            else:
                flash(f"Created {user.role} account {user.email}.", "info")
                return redirect(url_for(".users"))
        status = 422
    accounts = db.session.scalars(select(User).order_by(User.email)).all()
    html = render_template(
        "staff/users.html",
        form=form,
        accounts=accounts,
        factors=factor_summaries(accounts),
        action_form=ActionForm(),
    )
    return html, status


@bp.post("/users/<id:user_id>/<any(activate,deactivate):action>")
@admin_required
def user_active(user_id: int, action: str) -> ResponseReturnValue:
    """Activate or deactivate an account; deactivation ends its sessions."""
    user = db.get_or_404(User, user_id)
    if not ActionForm().validate():
        abort(400)
    if user.id == current_user.id:
        flash("You cannot deactivate your own account.", "error")
        return redirect(url_for(".users"))
    with unit_of_work():
        set_active(user, action == "activate", current_user)
    flash(f"{user.email} is now {'active' if user.active else 'deactivated'}.", "info")
    return redirect(url_for(".users"))


@bp.get("/audit")
@admin_required
def audit_log() -> str:
    """Show the audit log, filtered by actor, action, entity and date."""
    stmt = select(AuditEvent)
    actor = request.args.get("actor", "").strip()[:254]
    if actor:
        stmt = stmt.where(func.lower(AuditEvent.actor_label).contains(actor.lower()))
    action = request.args.get("action", "").strip()[:40]
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    entity = request.args.get("entity", "").strip()[:40]
    if entity:
        stmt = stmt.where(AuditEvent.entity_type == entity)
    entity_id = int_arg("entity_id")
    if entity_id:
        stmt = stmt.where(AuditEvent.entity_id == entity_id)
    since, until = date_arg("from"), date_arg("to")
    for name, day in (("from", since), ("to", until)):
        if request.args.get(name) and day is None:
            flash(f"Ignored the “{name}” date: enter a real date like 2024-05-31.", "error")
    if since:
        stmt = stmt.where(AuditEvent.at >= since)
    if until:
        stmt = stmt.where(AuditEvent.at < until + timedelta(days=1))
    page = db.paginate(
        stmt.order_by(AuditEvent.id.desc()),
        page=page_arg(),
        per_page=AUDIT_PER_PAGE,
        error_out=False,
    )
    actions = db.session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action))
    entities = db.session.scalars(
        select(AuditEvent.entity_type).distinct().order_by(AuditEvent.entity_type)
    )
    return render_template(
        "staff/audit.html",
        page=page,
        args=request.args,
        actions=list(actions),
        entities=list(entities),
    )


@bp.get("/specialties")
@admin_required
def specialties() -> str:
    """List specialties (featured first) to edit their lay synonyms."""
    q = request.args.get("q", "").strip()[:100].lower()
    stmt = select(Specialty).order_by(Specialty.featured.desc(), Specialty.display_name)
    if q:
        stmt = stmt.where(
            func.lower(Specialty.display_name).contains(q) | func.lower(Specialty.code).contains(q)
        )
    else:
        stmt = stmt.where(Specialty.featured.is_(True))
    return render_template("staff/specialties.html", items=db.session.scalars(stmt).all(), q=q)


@bp.route("/specialties/<id:specialty_id>", methods=["GET", "POST"])
@admin_required
def specialty_edit(specialty_id: int) -> ResponseReturnValue:
    """Edit one specialty's synonyms; providers with it are re-indexed."""
    spec = db.get_or_404(Specialty, specialty_id)
    form = SynonymsForm()
    status = 200
    if request.method == "GET":
        form.synonyms.data = "\n".join(spec.synonyms or [])
        form.version.data = str(spec.version)
    elif form.validate():
        version = parse_version(form.version.data)
        if version is None:
            abort(400)
        lines = form.synonyms.data.replace(";", "\n").splitlines()
        words = [w.strip()[:MAX_SYNONYM_LENGTH] for w in lines]
        try:
            with unit_of_work():
                update_synonyms(spec, words, version, current_user)
        except StaleEdit as exc:
            form.version.data = str(exc.current.version)
            status = 409
            flash(
                "Someone else changed these synonyms first. Their version is shown below "
                "your text; save again to replace it.",
                "error",
            )
            spec = exc.current
        else:
            flash(f"Saved the synonyms for {spec.display_name}.", "info")
            return redirect(url_for(".specialty_edit", specialty_id=spec.id))
    else:
        status = 422
    return render_template("staff/specialty_form.html", form=form, spec=spec), status


@bp.get("/conditions")
@admin_required
def conditions() -> str:
    """List the condition vocabulary, filtered by name or word, to edit what search knows."""
    q = request.args.get("q", "").strip()[:100].lower()
    page = page_arg()
    stmt = select(HealthCondition).order_by(HealthCondition.name)
    if q:
        stmt = stmt.where(func.lower(HealthCondition.name).contains(q, autoescape=True))
    items = db.paginate(stmt, page=page, per_page=AUDIT_PER_PAGE, error_out=False)
    return render_template("staff/conditions.html", page=items, q=q)


def _condition_data(form: ConditionForm) -> ConditionData:
    return ConditionData(
        name=form.name.data or "",
        terms=(form.terms.data or "").replace(";", "\n").splitlines(),
        specialty_codes=(form.specialty_codes.data or "").replace(",", "\n").splitlines(),
        audience=form.audience.data or "",
        category=form.category.data or "",
    )


@bp.route("/conditions/new", methods=["GET", "POST"])
@admin_required
def condition_new() -> ResponseReturnValue:
    """Add a condition; search understands its words at once."""
    form = ConditionForm()
    if request.method == "POST":
        if form.validate():
            try:
                with unit_of_work():
                    condition = create_condition(_condition_data(form), current_user)
            except InvalidInput as exc:
                _form_errors(form, exc)
            else:
                flash(f"Added “{condition.name}”.", "info")
                return redirect(url_for(".condition_edit", condition_id=condition.id))
        return render_template("staff/condition_form.html", form=form, condition=None), 422
    return render_template("staff/condition_form.html", form=form, condition=None)


@bp.route("/conditions/<id:condition_id>", methods=["GET", "POST"])
@admin_required
def condition_edit(condition_id: int) -> ResponseReturnValue:
    """Edit one condition's words and specialties; stale saves get 409 with theirs shown."""
    condition = db.get_or_404(HealthCondition, condition_id)
    form = ConditionForm()
    status = 200
    if request.method == "GET":
        form.name.data = condition.name
        form.terms.data = "\n".join(condition.terms or [])
        form.specialty_codes.data = "\n".join(condition.specialty_codes or [])
        form.audience.data = condition.audience
        form.category.data = condition.category
        form.version.data = str(condition.version)
    elif form.validate():
        version = parse_version(form.version.data)
        if version is None:
            abort(400)
        try:
            with unit_of_work():
                update_condition(condition, _condition_data(form), version, current_user)
        except StaleEdit as exc:
            condition = exc.current
            form.version.data = str(condition.version)
            status = 409
            flash(
                "Someone else changed this condition first. Their version is shown above "
                "the form; save again to replace it with yours.",
                "error",
            )
        except InvalidInput as exc:
            _form_errors(form, exc)
            status = 422
        else:
            flash(f"Saved “{condition.name}”.", "info")
            return redirect(url_for(".condition_edit", condition_id=condition.id))
    else:
        status = 422
    return render_template("staff/condition_form.html", form=form, condition=condition), status


def _form_errors(form: ConditionForm, exc: InvalidInput) -> None:
    """Show a service's field errors on the form."""
    for name, message in exc.errors.items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = [*field.errors, message]
