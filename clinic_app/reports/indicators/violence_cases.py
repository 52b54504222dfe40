"""GEND_GBV's second source: crisis cases with clinical care.

A case counts when, in the period, a clinic visit was linked to it (CaseVisit) or a medical or PEP step
was provided by us. The violence type comes from the case (sexual when it holds sexual violence, whether
or not PEP was given); PEP given is a PEP step provided on the case. Rows are per registered survivor, so
the engine's person de-duplication counts each person once: a visit linked to a case is one event, not two.
An anonymous survivor has no person to count once and is left to the crisis report.
"""

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import and_, case, exists, select, union_all
from sqlalchemy.orm import aliased

from clinic_app.crisis.models import (
    ActionKind,
    ActionStatus,
    CaseViolation,
    CaseVisit,
    CrisisCase,
    ResponseAction,
    Violation,
)
from clinic_app.reports.facts import Window
from clinic_app.visits.models import Visit


def _sexual():
    return case(
        (
            exists(
                select(CaseViolation.case_id)
                .where(CaseViolation.case_id == CrisisCase.id, CaseViolation.violation == Violation.SEXUAL)
                .correlate(CrisisCase)
            ),
            1,
        ),
        else_=0,
    )


def _pep_provided():
    pep = aliased(ResponseAction)  # the outer query may join ResponseAction too
    return case(
        (
            exists(
                select(pep.id)
                .where(pep.case_id == CrisisCase.id, pep.kind == ActionKind.PEP, pep.status == ActionStatus.PROVIDED)
                .correlate(CrisisCase)
            ),
            1,
        ),
        else_=0,
    )


def care_in_cases(window: Window):
    """(client_id, on_date, sexual 0/1, pep 0/1) for each case with clinical care in the window."""
    linked = (
        select(
            Visit.client_id.label("client_id"),
            Visit.service_date.label("on_date"),
            _sexual().label("sexual"),
            _pep_provided().label("pep"),
        )
        .select_from(CaseVisit)
        .join(Visit, Visit.id == CaseVisit.visit_id)
        .join(CrisisCase, CrisisCase.id == CaseVisit.case_id)
        .where(window.dates(Visit.service_date), window.clinics(Visit.clinic_id))
    )
    start = datetime.combine(window.start, time.min, UTC)
    end = datetime.combine(window.end + timedelta(days=1), time.min, UTC)
    given = (
        select(
            CrisisCase.client_id.label("client_id"),
            CrisisCase.incident_on.label("on_date"),
            _sexual().label("sexual"),
            _pep_provided().label("pep"),
        )
        .join(
            ResponseAction,
            and_(
                ResponseAction.case_id == CrisisCase.id,
                ResponseAction.kind.in_((ActionKind.MEDICAL_CARE, ActionKind.PEP)),
                ResponseAction.status == ActionStatus.PROVIDED,
                ResponseAction.done_at >= start,
                ResponseAction.done_at < end,
            ),
        )
        .where(CrisisCase.client_id.is_not(None), window.clinics(CrisisCase.clinic_id))
        .distinct()
    )
    # One selectable with the four columns, so GEND_GBV can union it with the visits' own rows.
    return union_all(linked, given).subquery().select()
