"""Each clinical section's rows: built from its input when a visit is written, read back to correct it.

visits.sections names these functions in its registry; visits.recording calls them.
"""

import uuid
from datetime import date
from enum import Enum

from clinic_app.core.actor import Actor
from clinic_app.core.timeutil import add_months
from clinic_app.extensions import db
from clinic_app.screening import algorithms
from clinic_app.screening.models import (
    CervicalScreening,
    HivTest,
    StiScreening,
    StiSyndrome,
    StiTreatment,
    TreatmentTiming,
)
from clinic_app.visits import clinical
from clinic_app.visits.inputs import (
    CervicalInput,
    CervicalTreatmentInput,
    CommoditiesInput,
    HivTestInput,
    PepInput,
    PrepInput,
    SelfTestInput,
    StiInput,
    ViolenceInput,
)
from clinic_app.visits.models import (
    Commodity,
    Dispensed,
    LaterCervicalTreatment,
    PepCourse,
    PrepDistribution,
    PrepEvent,
    PrepEventType,
    SelfTestKit,
    ViolenceCare,
    ViolenceType,
    Visit,
    VisitRevision,
)

SKIP = {"id", "created_at", "updated_at", "visit_id", "clinic_id"}  # columns a section's history leaves out


def plain(value):
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def snapshot(row) -> dict | None:
    """A section's row (or rows) as the plain values its history keeps."""
    if row is None:
        return None
    if isinstance(row, list):
        return {str(item.item): item.quantity for item in row} or None
    return {c.key: plain(getattr(row, c.key)) for c in row.__table__.columns if c.key not in SKIP}


def visit_revision(visit: Visit, actor: Actor, section: str, before: dict | None, after: dict | None) -> None:
    db.session.add(
        VisitRevision(
            clinic_id=visit.clinic_id,
            visit_id=visit.id,
            section=section,
            changed_by_id=actor.id,
            before=before,
            after=after,
        )
    )


def _fields(row, cls):
    """The input ``cls`` holding the row's columns of the same names."""
    return cls(**{name: getattr(row, name) for name in cls.__dataclass_fields__})


# --- HIV test -------------------------------------------------------------------------------------------------


def build_hiv(data: HivTestInput, *, service_date: date, algorithm=algorithms.TWO_TESTS, **_ctx) -> HivTest:
    final = algorithms.hiv_final_result(
        data.screening_result, data.confirmatory_result, data.tiebreaker_result, algorithm
    )
    return HivTest(
        previous_status=data.previous_status,
        modality=data.modality,
        screening_result=data.screening_result,
        confirmatory_result=data.confirmatory_result,
        tiebreaker_result=data.tiebreaker_result,
        final_result=final,
        retest_on=algorithms.retest_on(final, service_date),
        result_received=data.result_received,
        declined=bool(data.declined),
        art_referred_to=(data.art_referred_to or "").strip() or None,
        art_started_on=data.art_started_on,
        art_site=data.art_site,
    )


def load_hiv(visit: Visit) -> HivTestInput | None:
    return _fields(visit.hiv_test, HivTestInput) if visit.hiv_test else None


# --- STI screening --------------------------------------------------------------------------------------------


def build_sti(data: StiInput, **_ctx) -> StiScreening:
    return StiScreening(
        syndromes=[s.value for s in data.syndromes],
        syphilis_result=data.syphilis_result,
        treatments=[t.value for t in data.treatments],
    )


def load_sti(visit: Visit) -> StiInput | None:
    sti = visit.sti_screening
    if sti is None:
        return None
    return StiInput(
        syndromes=[StiSyndrome(s) for s in sti.syndromes],
        syphilis_result=sti.syphilis_result,
        treatments=[StiTreatment(t) for t in sti.treatments],
    )


# --- PrEP -----------------------------------------------------------------------------------------------------


def build_prep(data: PrepInput, *, service_date: date, **_ctx) -> PrepEvent:
    stopping = data.event == PrepEventType.STOP
    next_on = data.next_appointment_on
    if next_on is None and not stopping and data.months_dispensed:
        next_on = add_months(service_date, data.months_dispensed)
    return PrepEvent(
        event=data.event,
        regimen=None if stopping else data.regimen,
        months_dispensed=None if stopping else data.months_dispensed,
        next_appointment_on=None if stopping else next_on,
        stop_reason=data.stop_reason if stopping else None,
        distribution=data.distribution or PrepDistribution.FACILITY,
        no_test_reason=None if stopping else (data.no_test_reason or "").strip()[:200] or None,
    )


def load_prep(visit: Visit) -> PrepInput | None:
    prep = visit.prep_event
    if prep is None:
        return None
    loaded = _fields(prep, PrepInput)
    if prep.months_dispensed and prep.next_appointment_on == add_months(visit.service_date, prep.months_dispensed):
        loaded.next_appointment_on = None  # derived, not typed: recompute it after a correction
    return loaded


# --- PEP ------------------------------------------------------------------------------------------------------


def build_pep(data: PepInput, **_ctx) -> PepCourse:
    return PepCourse(
        exposure=data.exposure,
        hours_since_exposure=data.hours_since_exposure,
        regimen=data.regimen,
        outcome=data.outcome,
        outcome_on=data.outcome_on,
    )


def load_pep(visit: Visit) -> PepInput | None:
    return _fields(visit.pep_course, PepInput) if visit.pep_course else None


# --- cervical cancer screening --------------------------------------------------------------------------------


def build_cervical(data: CervicalInput, *, service_date: date, hiv_positive: bool, **_ctx) -> CervicalScreening:
    return CervicalScreening(
        screening_type=data.screening_type,
        method=data.method,
        result=data.result,
        result_on=data.result_on,
        triage_result=data.triage_result,
        treatment=data.treatment,
        treatment_timing=data.treatment_timing,
        # Treated the same day: on the day of the screen, unless a date is given.
        treated_on=data.treated_on
        or (service_date if data.treatment_timing == TreatmentTiming.SAME_DAY and data.treatment else None),
        complete=clinical.cervical_complete(data.method, data.result, data.triage_result),
        outside_age_reason=(data.outside_age_reason or "").strip()[:200] or None,
        next_due_on=algorithms.cervical_next_due(
            method=data.method,
            result=data.result,
            triage=data.triage_result,
            treatment=data.treatment,
            screened_on=service_date,
            hiv_positive=hiv_positive,
        ),
    )


def load_cervical(visit: Visit) -> CervicalInput | None:
    return _fields(visit.cervical_screening, CervicalInput) if visit.cervical_screening else None


# --- HIV self-test kits ---------------------------------------------------------------------------------------


def build_selftest(data: SelfTestInput, **_ctx) -> SelfTestKit:
    return SelfTestKit(
        distribution=data.distribution, for_self=data.for_self, for_partner=data.for_partner, for_other=data.for_other
    )


def load_selftest(visit: Visit) -> SelfTestInput | None:
    return _fields(visit.self_test_kit, SelfTestInput) if visit.self_test_kit else None


# --- post-violence care ---------------------------------------------------------------------------------------


def build_violence(data: ViolenceInput, **_ctx) -> ViolenceCare:
    return ViolenceCare(**{kind.value: kind in data.types for kind in ViolenceType})


def load_violence(visit: Visit) -> ViolenceInput | None:
    return ViolenceInput(types=visit.violence_care.types) if visit.violence_care else None


# --- treatment of an earlier positive cervical screen ---------------------------------------------------------


def build_later_treatment(data: CervicalTreatmentInput, **_ctx) -> LaterCervicalTreatment:
    return LaterCervicalTreatment(screen_id=uuid.UUID(str(data.screen_id)), treatment=data.treatment)


def load_later_treatment(visit: Visit) -> CervicalTreatmentInput | None:
    later = visit.later_treatment
    return CervicalTreatmentInput(screen_id=str(later.screen_id), treatment=later.treatment) if later else None


def treat_earlier_screen(
    visit: Visit, before: dict | None, after: LaterCervicalTreatment | None, *, actor: Actor, hiv_positive: bool
) -> None:
    """Fill (or clear) the earlier screen's treatment from this visit's later-treatment row, keeping the
    change in the screening visit's history. ``before``: the row's values before this change."""
    treated_before = uuid.UUID(before["screen_id"]) if before else None
    ids = {i for i in (treated_before, after.screen_id if after is not None else None) if i is not None}
    for screen_id in ids:
        screen = db.session.get(CervicalScreening, screen_id)
        if screen is None:
            continue
        was = snapshot(screen)
        treated = after is not None and after.screen_id == screen_id
        screen.treatment = after.treatment if treated else None
        screen.treatment_timing = TreatmentTiming.REFERRED if treated else None
        screen.treated_on = visit.service_date if treated else None
        screening_visit = db.session.get(Visit, screen.visit_id)
        screen.next_due_on = algorithms.cervical_next_due(
            method=screen.method,
            result=screen.result,
            triage=screen.triage_result,
            treatment=screen.treatment,
            screened_on=screening_visit.service_date,
            hiv_positive=hiv_positive,
        )
        visit_revision(screening_visit, actor, "cervical", was, snapshot(screen))


# --- condoms and lubricant (one row per item given) -----------------------------------------------------------


def build_dispensed(data: CommoditiesInput, **_ctx) -> list[Dispensed]:
    return [
        Dispensed(item=item, quantity=getattr(data, item.value)) for item in Commodity if getattr(data, item.value) > 0
    ]


def load_dispensed(visit: Visit) -> CommoditiesInput | None:
    goods = {str(d.item): d.quantity for d in visit.dispensed}
    return CommoditiesInput(**goods) if goods else None
