"""Writing a visit's sections to their tables, and keeping each correction in history."""

import uuid
from datetime import date
from enum import Enum

from clinic_app.core.actor import Actor
from clinic_app.core.timeutil import add_months
from clinic_app.screening import algorithms
from clinic_app.screening.models import CervicalScreening, HivTest, StiScreening, TreatmentTiming
from clinic_app.visits import clinical
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
    VisitReason,
    VisitRevision,
)
from clinic_app.visits.sections import (
    CervicalInput,
    CervicalTreatmentInput,
    CommoditiesInput,
    HivTestInput,
    PepInput,
    PrepInput,
    SelfTestInput,
    ServicesInput,
    StiInput,
    ViolenceInput,
)

SECTION_REASONS = {
    "hiv": VisitReason.HIV_TESTING,
    "selftest": VisitReason.HIV_TESTING,
    "sti": VisitReason.STI,
    "prep": VisitReason.PREP,
    "pep": VisitReason.PEP,
    "cervical": VisitReason.CERVICAL,
    "commodities": VisitReason.CONDOMS,
    "violence": VisitReason.VIOLENCE,
    "cervical_tx": VisitReason.CERVICAL,
}
_SKIP = {"id", "created_at", "updated_at", "visit_id", "clinic_id"}


def implied_reasons(services: ServicesInput) -> set[VisitReason]:
    reasons = {SECTION_REASONS[name] for name in services.given()}
    if services.hiv and services.hiv.screening_result is None and not services.hiv.declined:
        reasons.discard(VisitReason.HIV_TESTING)
        reasons.add(VisitReason.ART)  # a known positive seen for linkage, not tested
    return reasons


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
    if row is None:
        return None
    if isinstance(row, list):
        return {str(item.item): item.quantity for item in row} or None
    return {c.key: plain(getattr(row, c.key)) for c in row.__table__.columns if c.key not in _SKIP}


def _hiv_row(data: HivTestInput, *, service_date: date, algorithm=algorithms.TWO_TESTS, **_ctx) -> HivTest:
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


def _sti_row(data: StiInput, **_ctx) -> StiScreening:
    return StiScreening(
        syndromes=[s.value for s in data.syndromes],
        syphilis_result=data.syphilis_result,
        treatments=[t.value for t in data.treatments],
    )


def _prep_row(data: PrepInput, *, service_date: date, **_ctx) -> PrepEvent:
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


def _pep_row(data: PepInput, **_ctx) -> PepCourse:
    return PepCourse(
        exposure=data.exposure,
        hours_since_exposure=data.hours_since_exposure,
        regimen=data.regimen,
        outcome=data.outcome,
        outcome_on=data.outcome_on,
    )


def _cervical_row(data: CervicalInput, *, service_date: date, hiv_positive: bool, **_ctx) -> CervicalScreening:
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


def _selftest_row(data: SelfTestInput, **_ctx) -> SelfTestKit:
    return SelfTestKit(
        distribution=data.distribution, for_self=data.for_self, for_partner=data.for_partner, for_other=data.for_other
    )


def _violence_row(data: ViolenceInput, **_ctx) -> ViolenceCare:
    return ViolenceCare(**{kind.value: kind in data.types for kind in ViolenceType})


def _later_treatment_row(data: CervicalTreatmentInput, **_ctx) -> LaterCervicalTreatment:
    return LaterCervicalTreatment(screen_id=uuid.UUID(str(data.screen_id)), treatment=data.treatment)


def _dispensed_rows(data: CommoditiesInput, **_ctx) -> list[Dispensed]:
    return [
        Dispensed(item=item, quantity=getattr(data, item.value)) for item in Commodity if getattr(data, item.value) > 0
    ]


# section name -> (Visit attribute, row builder)
SECTIONS = {
    "hiv": ("hiv_test", _hiv_row),
    "sti": ("sti_screening", _sti_row),
    "prep": ("prep_event", _prep_row),
    "pep": ("pep_course", _pep_row),
    "cervical": ("cervical_screening", _cervical_row),
    "selftest": ("self_test_kit", _selftest_row),
    "violence": ("violence_care", _violence_row),
    "cervical_tx": ("later_treatment", _later_treatment_row),
    "commodities": ("dispensed", _dispensed_rows),
}


def apply_sections(
    visit: Visit,
    services: ServicesInput,
    *,
    actor: Actor,
    hiv_positive: bool,
    keep_history: bool,
    algorithm: algorithms.TestingAlgorithm = algorithms.TWO_TESTS,
) -> list[str]:
    """Make the visit's sections match ``services``; returns the names of sections that changed.

    With ``keep_history`` (a correction), each changed section leaves a VisitRevision
    holding what it was and what it became.
    """
    changed = []
    for name, (attribute, build) in SECTIONS.items():
        data = getattr(services, name)
        current = getattr(visit, attribute)
        new = (
            build(data, service_date=visit.service_date, hiv_positive=hiv_positive, algorithm=algorithm)
            if data
            else None
        )
        if isinstance(new, list) and not new:
            new = None
        for row in new if isinstance(new, list) else [new] if new is not None else []:
            row.clinic_id = visit.clinic_id
        before, after = snapshot(current), snapshot(new)
        if before == after:
            continue
        changed.append(name)
        treated_before = getattr(current, "screen_id", None)  # read before the row is changed in place
        _replace(visit, attribute, current, new)
        if keep_history:
            visit_revision(visit, actor, name, before, after)
        if name == "cervical_tx":
            _treat_earlier_screen(visit, treated_before, new, actor=actor, hiv_positive=hiv_positive)
    return changed


def _treat_earlier_screen(visit: Visit, treated_before, after, *, actor: Actor | None, hiv_positive: bool) -> None:
    """Fill (or clear) the earlier screen's treatment from this visit's later-treatment row, keeping the
    change in the screening visit's history."""
    from clinic_app.extensions import db

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
        if actor is not None:
            visit_revision(screening_visit, actor, "cervical", was, snapshot(screen))


def _copy_columns(target, source) -> None:
    for column in source.__table__.columns:
        if column.key not in _SKIP:
            setattr(target, column.key, getattr(source, column.key))


def _replace(visit: Visit, attribute: str, current, new) -> None:
    """Change rows in place: a row deleted and re-inserted would break the one-per-visit keys."""
    if attribute == "dispensed":
        by_item = {row.item: row for row in current}
        wanted = {row.item: row for row in new or []}
        for item, row in by_item.items():
            if item not in wanted:
                visit.dispensed.remove(row)
            else:
                row.quantity = wanted[item].quantity
        visit.dispensed.extend(row for item, row in wanted.items() if item not in by_item)
    elif current is not None and new is not None:
        _copy_columns(current, new)
    else:
        setattr(visit, attribute, new)


def visit_revision(visit: Visit, actor: Actor, section: str, before: dict | None, after: dict | None) -> None:
    from clinic_app.extensions import db

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


def load_sections(visit: Visit) -> ServicesInput:
    """The visit's recorded sections as inputs, to fill the correction form."""
    from clinic_app.screening.models import StiSyndrome, StiTreatment

    def fields(row, cls, **extra):
        names = cls.__dataclass_fields__
        return cls(**{n: getattr(row, n) for n in names if n not in extra}, **extra)

    hiv, sti, prep, pep, cx, kit = (
        visit.hiv_test,
        visit.sti_screening,
        visit.prep_event,
        visit.pep_course,
        visit.cervical_screening,
        visit.self_test_kit,
    )
    goods = {str(d.item): d.quantity for d in visit.dispensed}
    prep_input = fields(prep, PrepInput) if prep else None
    if (
        prep_input
        and prep.months_dispensed
        and prep.next_appointment_on == add_months(visit.service_date, prep.months_dispensed)
    ):
        prep_input.next_appointment_on = None  # derived, not typed: recompute it after a correction
    return ServicesInput(
        hiv=fields(hiv, HivTestInput) if hiv else None,
        sti=StiInput(
            syndromes=[StiSyndrome(s) for s in sti.syndromes],
            syphilis_result=sti.syphilis_result,
            treatments=[StiTreatment(t) for t in sti.treatments],
        )
        if sti
        else None,
        prep=prep_input,
        pep=fields(pep, PepInput) if pep else None,
        cervical=fields(cx, CervicalInput) if cx else None,
        selftest=fields(kit, SelfTestInput) if kit else None,
        commodities=CommoditiesInput(**goods) if goods else None,
        violence=ViolenceInput(types=visit.violence_care.types) if visit.violence_care else None,
        cervical_tx=CervicalTreatmentInput(
            screen_id=str(visit.later_treatment.screen_id), treatment=visit.later_treatment.treatment
        )
        if visit.later_treatment
        else None,
    )
