"""Visit services: record, correct, list, and the client's timeline."""

import re
from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from clinic_app.audit.services import record_alone, record_event, record_list_page
from clinic_app.clients.models import Client
from clinic_app.core.actor import Actor
from clinic_app.core.errors import Conflict, Invalid, NotFound
from clinic_app.core.timeutil import local_today
from clinic_app.extensions import db
from clinic_app.screening import algorithms
from clinic_app.screening.models import CervicalResult, HivResult
from clinic_app.visits import clinical, contributions
from clinic_app.visits.facts import client_facts, treatable_screens
from clinic_app.visits.models import Visit, VisitReason, VisitReasonRow, VisitRevision, VisitType
from clinic_app.visits.recording import apply_sections, implied_reasons, load_sections
from clinic_app.visits.rows import plain, visit_revision
from clinic_app.visits.rules import RuleContext, RuleSettings
from clinic_app.visits.sections import SECTIONS, ServicesInput, check

EARLIEST_SERVICE_DATE = date(2000, 1, 1)
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass
class VisitInput:
    service_date: date | None
    visit_type: str
    reasons: list[str]
    referral_code: str | None = None
    notes: str | None = None
    next_appointment_on: date | None = None


class DuplicateVisit(Conflict):
    def __init__(self, visit: Visit):
        super().__init__(_("A visit for this client on this date is already recorded here; add to that visit instead."))
        self.visit = visit


def _has_earlier_visit(client: Client, before: date, exclude_id=None) -> bool:
    query = select(Visit.id).where(Visit.client_id == client.id, Visit.service_date < before)
    if exclude_id is not None:
        query = query.where(Visit.id != exclude_id)
    return db.session.scalar(select(exists(query))) or False


def suggested_visit_type(client: Client, on: date) -> VisitType:
    """New when the registry holds no earlier visit of this client at any clinic."""
    return VisitType.RETURN if _has_earlier_visit(client, on) else VisitType.NEW


def _clean(client: Client, data: VisitInput, today: date, exclude_id=None, implied=frozenset()) -> dict:
    errors: dict[str, str] = {}
    day = data.service_date
    if day is None:
        errors["service_date"] = _("Give the date the client was seen.")
    elif day > today:
        errors["service_date"] = _("The date of service is in the future.")
    elif day < max(EARLIEST_SERVICE_DATE, client.date_of_birth or EARLIEST_SERVICE_DATE):
        errors["service_date"] = _("The date of service is before the client was born.")
    elif day < client.enrolled_on:
        errors["service_date"] = _(
            "The client was enrolled on %(day)s; correct the enrolment date first if this visit was earlier.",
            day=client.enrolled_on.isoformat(),
        )
    if data.visit_type not in {t.value for t in VisitType}:
        errors["visit_type"] = _("Choose new or return.")
    elif (
        day
        and not errors.get("service_date")
        and data.visit_type == VisitType.NEW
        and _has_earlier_visit(client, day, exclude_id)
    ):
        errors["visit_type"] = _("This client has an earlier visit, so this is a return visit.")
    reasons = list(dict.fromkeys(list(data.reasons or []) + sorted(r.value for r in implied)))
    if not reasons:
        errors["reasons"] = _("Tick at least one reason for the visit, or record a service below.")
    elif any(r not in {v.value for v in VisitReason} for r in reasons):
        errors["reasons"] = _("Choose reasons from the list.")
    code = None
    if (data.referral_code or "").strip():
        code = contributions.referrals.get().normalise_code(data.referral_code)
        if code is None:
            errors["referral_code"] = _("A referral code has 8 letters and digits, like K7MQ-4XP9.")
    next_on = data.next_appointment_on
    if next_on is not None and day and not day < next_on <= day + timedelta(days=366):
        errors["next_appointment_on"] = _("The next appointment must fall within a year after this visit.")
    if errors:
        raise Invalid(_("Please correct the fields marked below."), errors)
    notes = _CONTROL_RE.sub("", data.notes or "").strip() or None
    return {
        "service_date": day,
        "visit_type": VisitType(data.visit_type),
        "reasons": [VisitReason(r) for r in reasons],
        "referral_code": code,
        "notes": notes,
        "next_appointment_on": next_on,
    }


def _same_day_visit(client: Client, clinic_id, day: date, exclude_id=None) -> Visit | None:
    query = select(Visit).where(Visit.client_id == client.id, Visit.clinic_id == clinic_id, Visit.service_date == day)
    if exclude_id is not None:
        query = query.where(Visit.id != exclude_id)
    return db.session.scalars(query.limit(1)).first()


def rule_settings(country=None) -> RuleSettings:
    config = current_app.config
    return RuleSettings(
        testing_algorithm=algorithms.testing_algorithm(country),
        prep_test_window_days=config["PREP_TEST_WINDOW_DAYS"],
        prep_refill_grace_days=config["PREP_REFILL_GRACE_DAYS"],
        hiv_retest_months=config["HIV_RETEST_MONTHS"],
        cervical_min_age=config["CERVICAL_MIN_AGE"],
        cervical_max_age=config["CERVICAL_MAX_AGE"],
    )


def _check_services(
    client: Client, values: dict, services: ServicesInput, today: date, exclude_id=None, country=None, clinic_id=None
):
    """Run the clinical rules; returns the client's facts for the rows to be written."""
    facts = client_facts(client, exclude_visit_id=exclude_id, clinic_id=clinic_id)
    ctx = RuleContext(
        facts=facts,
        service_date=values["service_date"],
        today=today,
        services=services,
        settings=rule_settings(country),
    )
    errors = check(ctx)
    if errors:
        raise Invalid(_("Nothing was saved. Please correct the fields marked below."), errors)
    return ctx.known_positive or ctx.hiv_result_today == HivResult.POSITIVE


def _checked(
    client: Client,
    data: VisitInput,
    services: ServicesInput,
    today: date,
    exclude_id=None,
    *,
    country=None,
    clinic_id=None,
):
    """Every check of a visit's entries and the clinical rules, all at once: one round shows every problem.

    Returns the cleaned values and whether the client is HIV positive (for the rows to be written).
    """
    errors: dict[str, str] = {}
    values = None
    try:
        values = _clean(client, data, today, exclude_id=exclude_id, implied=implied_reasons(services))
    except Invalid as error:
        errors.update(error.field_errors)
    hiv_positive = False
    if data.service_date is not None and "service_date" not in errors:
        try:
            day = {"service_date": data.service_date}
            hiv_positive = _check_services(client, day, services, today, exclude_id, country, clinic_id)
        except Invalid as error:
            for name, message in error.field_errors.items():
                errors.setdefault(name, message)
    if errors:
        raise Invalid(_("Nothing was saved. Please correct the fields marked below."), errors)
    return values, hiv_positive


def visit_problems(
    *, actor: Actor, client: Client, data: VisitInput, services: ServicesInput, visit: Visit | None = None
) -> dict[str, str]:
    """What record_visit (or update_visit, for ``visit``) would refuse in these entries, without saving.

    The visit form asks it when some fields did not even parse, so that the clinical rules' messages
    come in the same round as the format errors.
    """
    actor.require("visits.edit" if visit is not None else "visits.record")
    today = local_today(actor.user.clinic.timezone)
    try:
        _checked(
            client,
            data,
            services,
            today,
            exclude_id=visit.id if visit is not None else None,
            country=actor.user.clinic.country,
            clinic_id=actor.clinic_id,
        )
    except Invalid as error:
        return error.field_errors
    return {}


def _referral(values: dict, client: Client, visit_id=None):
    """The peer referral this visit redeems, checked before anything is written."""
    if not values["referral_code"]:
        return None
    slips = contributions.referrals.get()  # outreach's
    return slips.redeemable(values["referral_code"], client=client, on=values["service_date"], visit_id=visit_id)


def _flush_or_duplicate(client: Client, clinic_id, day: date, exclude_id=None) -> None:
    """Write now; a visit saved meanwhile by a simultaneous submit becomes a DuplicateVisit."""
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        existing = _same_day_visit(client, clinic_id, day, exclude_id)
        if existing is None:
            raise
        raise DuplicateVisit(existing) from None


def record_visit(
    *, actor: Actor, client: Client, data: VisitInput, services: ServicesInput | None = None, today: date | None = None
) -> Visit:
    """Record a visit at the actor's clinic with everything done at it, in one unit of work.

    The clinical rules run first; nothing is stored unless every section passes.
    One visit per client, clinic and day: a second submit is refused, not stored twice.
    """
    actor.require("visits.record")
    if client.is_merged:
        raise Conflict(_("This record was merged into another; record the visit there."))
    services = services or ServicesInput()
    today = today or local_today(actor.user.clinic.timezone)
    # A second visit the same day is added to the first: say so before anything else is checked.
    existing = _same_day_visit(client, actor.clinic_id, data.service_date) if data.service_date else None
    if existing is not None:
        raise DuplicateVisit(existing)
    values, hiv_positive = _checked(
        client, data, services, today, country=actor.user.clinic.country, clinic_id=actor.clinic_id
    )
    referral = _referral(values, client)
    reasons = values.pop("reasons")
    visit = Visit(clinic_id=actor.clinic_id, client_id=client.id, recorded_by_id=actor.id, **values)
    visit.reason_rows = [VisitReasonRow(reason=r) for r in reasons]
    db.session.add(visit)
    _write(actor, client, visit, services, hiv_positive=hiv_positive, referral=referral, correction=False)
    # Which services were given is health information: it stays out of the audit trail.
    record_event(actor=actor, action="visit.create", target=visit)
    db.session.commit()
    return visit


def update_visit(
    *, actor: Actor, visit: Visit, data: VisitInput, services: ServicesInput | None = None, today: date | None = None
) -> Visit:
    """Correct a visit of the actor's clinic, or add services to it.

    Each changed section keeps its previous values in the visit's history; the
    audit trail records which parts changed (never the values).
    """
    actor.require("visits.edit")
    _check_own_clinic(actor, visit)
    services = services if services is not None else load_sections(visit)
    today = today or local_today(actor.user.clinic.timezone)
    values, hiv_positive = _checked(
        visit.client,
        data,
        services,
        today,
        exclude_id=visit.id,
        country=actor.user.clinic.country,
        clinic_id=visit.clinic_id,
    )
    existing = _same_day_visit(visit.client, visit.clinic_id, values["service_date"], exclude_id=visit.id)
    if existing is not None:
        raise DuplicateVisit(existing)
    referral = _referral(values, visit.client, visit_id=visit.id)
    changed = _correct_visit_fields(actor, visit, values, services)
    changed += _write(
        actor, visit.client, visit, services, hiv_positive=hiv_positive, referral=referral, correction=True
    )
    record_event(
        actor=actor, action="visit.update", target=visit, detail=("fields=" + ",".join(changed)) if changed else None
    )
    db.session.commit()
    return visit


def _correct_visit_fields(actor: Actor, visit: Visit, values: dict, services: ServicesInput) -> list[str]:
    """Set the visit's own fields (date, type, reasons, notes...), keeping what they were in its history;
    returns the names of those that changed."""
    reasons = values.pop("reasons")
    changed = [name for name, value in values.items() if getattr(visit, name) != value]
    before = {name: plain(getattr(visit, name)) for name in changed}
    after = {name: plain(values[name]) for name in changed}
    if sorted(reasons) != sorted(visit.reasons):
        changed.append("reasons")
        # Reasons that only follow a section added or removed are that section's history, not the visit's.
        implied = implied_reasons(load_sections(visit)) | implied_reasons(services)
        if (set(reasons) ^ set(visit.reasons)) - implied:
            before["reasons"], after["reasons"] = sorted(plain(list(visit.reasons))), sorted(plain(reasons))
        visit.reason_rows = [VisitReasonRow(reason=r) for r in reasons]
    if after:
        visit_revision(visit, actor, "visit", before, after)
    for name, value in values.items():
        setattr(visit, name, value)
    return changed


def _write(
    actor: Actor,
    client: Client,
    visit: Visit,
    services: ServicesInput,
    *,
    hiv_positive: bool,
    referral,
    correction: bool,
) -> list[str]:
    """What recording and correcting a visit share once its entries passed every check: write the sections
    (a correction keeps each changed one's history), flush, redeem the referral the visit brought.
    Returns the names of the sections that changed.

    The flush also brings the client's status row (visits.status) and report facts (reports.upkeep) in
    step, in the same transaction: visits.status says why that is a session hook.
    """
    algorithm = algorithms.testing_algorithm(actor.user.clinic.country)
    changed = apply_sections(
        visit, services, actor=actor, hiv_positive=hiv_positive, keep_history=correction, algorithm=algorithm
    )
    _flush_or_duplicate(client, visit.clinic_id, visit.service_date, exclude_id=visit.id if correction else None)
    slips = contributions.referrals.get()  # outreach's
    if correction:
        slips.release(visit)  # the code it redeemed may have been corrected away
    if referral is not None:
        slips.complete(referral, visit=visit)
    return changed


def _check_own_clinic(actor: Actor, visit: Visit) -> None:
    # Visits of other clinics show on the client's timeline but are not opened
    # or changed here: they belong to the clinic that made them.
    if visit.clinic_id != actor.clinic_id:
        raise NotFound()


def view_visit(*, actor: Actor, visit_id) -> Visit:
    actor.require("visits.list")
    visit = db.session.get(Visit, visit_id)
    if visit is None:
        raise NotFound()
    _check_own_clinic(actor, visit)
    record_alone(actor=actor, action="visit.view", target=visit)
    return visit


def visit_history(visit: Visit) -> list[tuple[VisitRevision, str]]:
    """Corrections of the visit's services, newest first, with who made them."""
    from clinic_app.auth.models import User

    return list(
        db.session.execute(
            select(VisitRevision, User.display_name)
            .join(User, User.id == VisitRevision.changed_by_id)
            .where(VisitRevision.visit_id == visit.id)
            .order_by(VisitRevision.changed_at.desc())
        ).all()
    )


def treatable_screen_choices(client: Client, clinic_id, visit_id=None) -> list[tuple[str, str]]:
    """The positive screens a visit may record the treatment of, as choices (date, method, result)."""
    screens = treatable_screens(client, clinic_id=clinic_id, visit_id=visit_id)
    return [
        (screen_id, f"{day.isoformat()} · {method.label} · {CervicalResult(outcome).label if outcome else ''}")
        for screen_id, (day, method, outcome) in screens.items()
    ]


def client_timeline(client: Client) -> list[Visit]:
    """Every visit of the client at every clinic, newest first."""
    query = (
        select(Visit)
        .where(Visit.client_id == client.id)
        .options(joinedload(Visit.recorded_by), *WITH_SECTIONS)
        .order_by(Visit.service_date.desc(), Visit.created_at.desc())
    )
    return list(db.session.scalars(query))


# Load every section of many visits in a fixed number of queries.
WITH_SECTIONS = tuple(selectinload(getattr(Visit, section.attribute)) for section in SECTIONS)


@dataclass
class ClinicalSummary:
    latest_hiv: Visit | None
    positive_since: date | None
    art_started_on: date | None
    latest_prep: Visit | None
    latest_cervical: Visit | None


def clinical_summary(visits: list[Visit]) -> ClinicalSummary:
    """What a nurse checks first, from the client's timeline (newest first)."""
    tested = [v for v in visits if v.hiv_test and v.hiv_test.final_result]
    positives = [
        v.service_date
        for v in visits
        if v.hiv_test and clinical.shows_positive(v.hiv_test.final_result, v.hiv_test.previous_status)
    ]
    art = [v.hiv_test.art_started_on for v in visits if v.hiv_test and v.hiv_test.art_started_on]
    return ClinicalSummary(
        latest_hiv=tested[0] if tested else None,
        positive_since=min(positives) if positives else None,
        art_started_on=min(art) if art else None,
        latest_prep=next((v for v in visits if v.prep_event), None),
        latest_cervical=next(
            (
                v
                for v in visits
                if v.cervical_screening
                and clinical.cervical_complete(
                    v.cervical_screening.method, v.cervical_screening.result, v.cervical_screening.triage_result
                )
            ),
            None,
        ),
    )


def next_appointment(visits: list[Visit], today: date) -> date | None:
    """The next appointment set at the latest visit (the visit's own or PrEP's), if it is still ahead."""
    if not visits:
        return None
    latest = visits[0]
    dates = [latest.next_appointment_on, latest.prep_event.next_appointment_on if latest.prep_event else None]
    ahead = [d for d in dates if d is not None and d >= today]
    return min(ahead) if ahead else None


@dataclass
class VisitFilters:
    date_from: date | None = None
    date_to: date | None = None
    visit_type: str | None = None
    reason: str | None = None


def list_visits(*, actor: Actor, filters: VisitFilters, page: int, per_page: int):
    """A page of the actor's clinic's visits, newest first, in a fixed number of queries."""
    actor.require("visits.list")
    query = (
        select(Visit)
        .where(Visit.clinic_id == actor.clinic_id)
        .options(joinedload(Visit.client), joinedload(Visit.recorded_by))
        .order_by(Visit.service_date.desc(), Visit.created_at.desc())
    )
    if filters.date_from:
        query = query.where(Visit.service_date >= filters.date_from)
    if filters.date_to:
        query = query.where(Visit.service_date <= filters.date_to)
    if filters.visit_type in {t.value for t in VisitType}:
        query = query.where(Visit.visit_type == VisitType(filters.visit_type))
    if filters.reason in {r.value for r in VisitReason}:
        query = query.where(Visit.reason_rows.any(VisitReasonRow.reason == VisitReason(filters.reason)))
    pagination = db.paginate(query, page=page, per_page=per_page, error_out=False)
    record_list_page(actor=actor, action="visit.list", object_type="visits", pagination=pagination)
    return pagination
