"""Crisis response evidence: cases, response times, services, outcomes and fund spending (the crisis report).

Only cases whose survivor consented to de-identified use as evidence (advocacy consent in force)
are counted, by the date of the incident (clinic local date), to the month: no narrative, place,
survivor or time of day leaves in any of these numbers. Times are worked out in Python where a
clinic's time zone matters (PEP within 72 hours) and handed to the engine as fact rows.
"""

import statistics
from datetime import UTC, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, String, and_, case, cast, exists, extract, false, func, literal, select, union_all

from clinic_app.clinics.models import Clinic
from clinic_app.crisis.fund_models import ApplicationStatus, FundApplication
from clinic_app.crisis.models import (
    ActionKind,
    ActionStatus,
    CaseConsent,
    CasePerpetrator,
    CaseViolation,
    ConsentPurpose,
    CrisisCase,
    ResponseAction,
    Violation,
)
from clinic_app.extensions import db
from clinic_app.reports.dimensions import NOT_SERVICES
from clinic_app.reports.facts import Window
from clinic_app.reports.indicators.base import Indicator, nobody
from clinic_app.visits.clinical import pep_given_in_window


def advocacy_consent():
    """The survivor's consent to use the de-identified case as evidence, in force (not revoked)."""
    return exists(
        select(CaseConsent.id).where(
            CaseConsent.case_id == CrisisCase.id,
            CaseConsent.purpose == ConsentPurpose.ADVOCACY,
            CaseConsent.revoked_at.is_(None),
        )
    )


def evidence_cases(window: Window):
    """Consented cases of the window's clinics whose incident falls in the window."""
    return (window.dates(CrisisCase.incident_on), window.clinics(CrisisCase.clinic_id), advocacy_consent())


def month_of(column):
    """'2026-11' from a date, in portable SQL."""
    month = cast(extract("month", column), Integer)
    return (
        cast(cast(extract("year", column), Integer), String)
        + "-"
        + case((month < 10, "0"), else_="")
        + cast(month, String)
    )


def _case_facts(*extra, window: Window):
    return (
        select(
            *nobody(),
            CrisisCase.incident_on.label("on_date"),
            Clinic.name.label("site"),
            month_of(CrisisCase.incident_on).label("month"),
            literal(1).label("weight"),
            *extra,
        )
        .select_from(CrisisCase)
        .join(Clinic, Clinic.id == CrisisCase.clinic_id)
        .where(*evidence_cases(window))
    )


def crisis_cases(window: Window):
    return _case_facts(window=window)


def crisis_violations(window: Window):
    return _case_facts(CaseViolation.violation.label("violation"), window=window).join(
        CaseViolation, CaseViolation.case_id == CrisisCase.id
    )


def crisis_perpetrators(window: Window):
    return _case_facts(CasePerpetrator.perpetrator.label("perpetrator"), window=window).join(
        CasePerpetrator, CasePerpetrator.case_id == CrisisCase.id
    )


def crisis_services(window: Window):
    """Services given or offered on the cases: one row per response action with a status."""
    return _case_facts(
        ResponseAction.kind.label("response"), ResponseAction.status.label("delivery"), window=window
    ).join(
        ResponseAction,
        and_(
            ResponseAction.case_id == CrisisCase.id,
            ResponseAction.status.is_not(None),
            ResponseAction.kind.not_in(NOT_SERVICES),
        ),
    )


def crisis_outcomes(window: Window):
    outcome = case((CrisisCase.outcome.is_(None), "open"), else_=cast(CrisisCase.outcome, String))
    return _case_facts(outcome.label("case_outcome"), window=window)


def _paid(window: Window):
    return (
        select(*nobody(), FundApplication.paid_on.label("on_date"), FundApplication.purpose.label("fund_purpose"))
        .join(CrisisCase, CrisisCase.id == FundApplication.case_id)
        .where(
            FundApplication.status == ApplicationStatus.PAID,
            window.dates(FundApplication.paid_on),
            window.clinics(FundApplication.clinic_id),
            advocacy_consent(),
        )
    )


def crisis_fund_payments(window: Window):
    return _paid(window).add_columns(literal(1).label("weight"))


def crisis_fund_spent(window: Window):
    # Whole currency units, each payment rounded to the nearest unit (amounts are kept in cents).
    return _paid(window).add_columns(
        FundApplication.currency.label("currency"), ((FundApplication.amount + 50) // 100).label("weight")
    )


# --- times: worked out per case in the clinic's time zone ------------------------------------------------------


def _given_rows(counts: dict[tuple, int], names: tuple[str, ...]):
    """Counts worked out in Python as fact rows (at most one row per combination)."""
    rows = [
        select(
            *nobody(),
            literal(None).label("on_date"),
            literal(n).label("weight"),
            *[literal(value).label(name) for name, value in zip(names, key, strict=True)],
        )  # fmt: skip
        for key, n in sorted(counts.items())
        if n
    ]
    if not rows:
        empty = [literal(None).label(name) for name in names]
        return select(*nobody(), literal(None).label("on_date"), literal(0).label("weight"), *empty).where(false())
    return rows[0] if len(rows) == 1 else union_all(*rows)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _first_contact_hours(window: Window) -> list[float | None]:
    """Hours from the report to the first contact with the survivor, per case (None: none recorded)."""
    first = (
        select(func.min(ResponseAction.done_at))
        .where(ResponseAction.case_id == CrisisCase.id, ResponseAction.kind == ActionKind.FIRST_CONTACT)
        .where(ResponseAction.done_at.is_not(None))
        .scalar_subquery()
    )
    hours = []
    for reported_at, contact_at in db.session.execute(
        select(CrisisCase.reported_at, first).where(*evidence_cases(window))
    ):
        if contact_at is None:
            hours.append(None)
        else:
            hours.append(max((_aware(contact_at) - _aware(reported_at)).total_seconds() / 3600, 0.0))
    return hours


def _band(hours: float | None) -> str:
    if hours is None:
        return "none"
    for limit, code in ((1, "1h"), (6, "6h"), (24, "24h")):
        if hours <= limit:
            return code
    return "later"


def crisis_first_contact(window: Window):
    counts: dict[tuple, int] = {}
    for hours in _first_contact_hours(window):
        counts[(_band(hours),)] = counts.get((_band(hours),), 0) + 1
    return _given_rows(counts, ("contact_time",))


def crisis_first_contact_median(window: Window):
    known = [h for h in _first_contact_hours(window) if h is not None]
    return _given_rows({(): round(statistics.median(known))} if known else {}, ())


def crisis_pep(window: Window):
    """Sexual-violence cases by when PEP was given (first PEP action provided) against the 72-hour window."""
    given = (
        select(func.min(ResponseAction.done_at))
        .where(
            ResponseAction.case_id == CrisisCase.id,
            ResponseAction.kind == ActionKind.PEP,
            ResponseAction.status == ActionStatus.PROVIDED,
            ResponseAction.done_at.is_not(None),
        )
        .scalar_subquery()
    )
    sexual = exists(
        select(CaseViolation.case_id).where(
            CaseViolation.case_id == CrisisCase.id, CaseViolation.violation == Violation.SEXUAL
        )
    )
    query = (
        select(CrisisCase.incident_on, CrisisCase.incident_time, Clinic.timezone, given)
        .join(Clinic, Clinic.id == CrisisCase.clinic_id)
        .where(*evidence_cases(window), sexual)
    )
    counts: dict[tuple, int] = {}
    for incident_on, incident_time, tz_name, given_at in db.session.execute(query):
        if given_at is None:
            key = ("not_given",)
        elif pep_given_in_window(incident_on, incident_time, tz_name, _aware(given_at)):
            key = ("within_72h",)
        else:
            key = ("after_72h",)
        counts[key] = counts.get(key, 0) + 1
    return _given_rows(counts, ("pep_timing",))


CRISIS_CASES = Indicator(
    "CRISIS_CASES",
    _l("Crisis cases"),
    _l(
        "Cases of violence, arrest or abuse whose survivor consented to their use as evidence, counted once "
        "each in the month of the incident (its date at the clinic)."
    ),
    "events",
    ("site", "month"),
    crisis_cases,
)
CRISIS_VIOLATIONS = Indicator(
    "CRISIS_VIOLATIONS",
    _l("Crisis cases by violation type"),
    _l(
        "Consented cases counted once under each type of violation they hold, in the month of the incident: a case of "
        "physical and sexual violence counts under both, so the total is larger than the number of cases."
    ),
    "events",
    ("violation", "month", "site"),
    crisis_violations,
)
CRISIS_PERPETRATORS = Indicator(
    "CRISIS_PERPETRATORS",
    _l("Crisis cases by perpetrator type"),
    _l(
        "Consented cases counted once under each type of perpetrator named, in the month of the incident: the total "
        "is larger than the number of cases when several types are named."
    ),
    "events",
    ("perpetrator", "month", "site"),
    crisis_perpetrators,
)
CRISIS_FIRST_CONTACT = Indicator(
    "CRISIS_FIRST_CONTACT",
    _l("Time from report to first contact"),
    _l(
        "Consented cases by the hours from the moment the case was reported to the first recorded contact with the "
        "survivor (the earliest 'first contact' step), for incidents in the period."
    ),
    "events",
    ("contact_time",),
    crisis_first_contact,
)
CRISIS_FIRST_CONTACT_MEDIAN = Indicator(
    "CRISIS_FIRST_CONTACT_MEDIAN",
    _l("Median hours from report to first contact"),
    _l(
        "The median, in whole hours, of the hours from report to first contact over the cases of the period "
        "that have a first contact recorded (0 when none has)."
    ),
    "hours",
    (),
    crisis_first_contact_median,
)
CRISIS_PEP = Indicator(
    "CRISIS_PEP",
    _l("Sexual-violence survivors and PEP within 72 hours"),
    _l(
        "Consented cases with sexual violence, by when PEP was first given as a step provided by us: "
        "within 72 hours of the incident (an unknown time of day counts from the end of that day), "
        "later, or not recorded. The share given PEP within 72 hours is the first row over the total."
    ),
    "events",
    ("pep_timing",),
    crisis_pep,
)
CRISIS_SERVICES = Indicator(
    "CRISIS_SERVICES",
    _l("Services on site and referred"),
    _l(
        "Services of the response (police report, legal aid, medical care, PEP, shelter, psychosocial support, "
        "emergency fund, scene visit, other) of consented cases with their status: provided by us on site, "
        "referred, already received elsewhere, declined, or unavailable; one per service recorded on a case "
        "of the period."
    ),
    "events",
    ("response", "delivery"),
    crisis_services,
)
CRISIS_OUTCOMES = Indicator(
    "CRISIS_OUTCOMES",
    _l("Case outcomes"),
    _l(
        "Consented cases of the period (by the date of the incident) by their outcome when closed, or still "
        "open on the day the report is made."
    ),
    "events",
    ("case_outcome",),
    crisis_outcomes,
)
CRISIS_FUND_PAYMENTS = Indicator(
    "CRISIS_FUND_PAYMENTS",
    _l("Emergency fund payments by purpose"),
    _l("Payments from the emergency fund on consented cases, by the date the money was paid out, by purpose."),
    "events",
    ("fund_purpose",),
    crisis_fund_payments,
)
CRISIS_FUND_SPENT = Indicator(
    "CRISIS_FUND_SPENT",
    _l("Emergency fund spending by purpose"),
    _l(
        "The money paid from the emergency fund on consented cases, by the date it was paid out, by purpose and "
        "currency, in whole currency units (each payment rounded to the nearest unit)."
    ),
    "currency units",
    ("fund_purpose", "currency"),
    crisis_fund_spent,
)

CRISIS_INDICATORS = (
    CRISIS_CASES,
    CRISIS_VIOLATIONS,
    CRISIS_PERPETRATORS,
    CRISIS_FIRST_CONTACT,
    CRISIS_FIRST_CONTACT_MEDIAN,
    CRISIS_PEP,
    CRISIS_SERVICES,
    CRISIS_OUTCOMES,
    CRISIS_FUND_PAYMENTS,
    CRISIS_FUND_SPENT,
)
