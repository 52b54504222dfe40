"""Each clinical fact's Python predicate and SQL expression agree on the same records.

The histories are recorded through the visit service (as a nurse would), then every fact is
asked both ways, for each client and for dates around each event.
"""

import itertools
from datetime import date, timedelta

import pytest
from sqlalchemy import literal, select

from clinic_app.core.actor import Actor
from clinic_app.extensions import db
from clinic_app.screening.models import (
    ArtSite,
    AssayResult,
    CervicalMethod,
    CervicalResult,
    CervicalScreening,
    CervicalTreatment,
    CervicalVisitType,
    HivResult,
    HivTest,
    PreviousHivStatus,
    TreatmentTiming,
)
from clinic_app.screening.models import TestingModality as Modality
from clinic_app.visits import clinical
from clinic_app.visits.clinical import HivRecord
from clinic_app.visits.models import (
    PepCourse,
    PepExposure,
    PepRegimen,
    PrepEvent,
    PrepEventType,
    PrepRegimen,
    PrepStopReason,
    ViolenceCare,
    ViolenceType,
    Visit,
)
from clinic_app.visits.sections import CervicalInput, HivTestInput, PepInput, ServicesInput, ViolenceInput
from clinic_app.visits.services import VisitInput, record_visit
from tests.conftest import TODAY

pytestmark = pytest.mark.usefixtures("in_request")

D1, D2, D3, D4 = date(2026, 3, 2), date(2026, 4, 6), date(2026, 5, 4), date(2026, 6, 1)


def _record(actor, client, day, **sections):
    data = VisitInput(service_date=day, visit_type="return", reasons=["general"])
    return record_visit(actor=actor, client=client, data=data, services=ServicesInput(**sections), today=TODAY)


def _test(screening=AssayResult.NON_REACTIVE, confirmatory=None, **kw):
    values = dict(
        previous_status=PreviousHivStatus.NEGATIVE,
        modality=Modality.FACILITY_KP,
        screening_result=screening,
        confirmatory_result=confirmatory,
        result_received=True,
    )
    values.update(kw)
    return HivTestInput(**values)


@pytest.fixture
def histories(make, nurse):
    """Four clients: tested negative then positive and started on ART later; known positive by her
    own statement with ART the same day; always negative; positive and never linked."""
    actor = Actor(nurse)
    born = date(1994, 2, 28)
    people = {name: make.client(registered_by=nurse, date_of_birth=born, enrolled_on=D1) for name in "ABCD"}
    _record(actor, people["A"], D1, hiv=_test())
    _record(actor, people["A"], D3, hiv=_test(AssayResult.REACTIVE, AssayResult.REACTIVE))
    _record(
        actor,
        people["A"],
        D4,
        hiv=HivTestInput(
            previous_status=PreviousHivStatus.KNOWN_POSITIVE, art_started_on=D4, art_site=ArtSite.THIS_CLINIC
        ),
    )
    _record(
        actor,
        people["B"],
        D2,
        hiv=HivTestInput(
            previous_status=PreviousHivStatus.KNOWN_POSITIVE, art_started_on=D2, art_site=ArtSite.OTHER_FACILITY
        ),
    )
    _record(actor, people["C"], D1, hiv=_test())
    _record(actor, people["C"], D4, hiv=_test())
    _record(actor, people["D"], D2, hiv=_test(AssayResult.REACTIVE, AssayResult.REACTIVE))
    return people


def _records(client) -> list[HivRecord]:
    rows = db.session.execute(
        select(Visit.service_date, HivTest.final_result, HivTest.previous_status, HivTest.art_started_on)
        .join(HivTest, HivTest.visit_id == Visit.id)
        .where(Visit.client_id == client.id)
    )
    return [HivRecord(*row) for row in rows]


def _sql(expression) -> bool:
    return bool(db.session.scalar(select(expression)))


def _days():
    for day in (D1, D2, D3, D4):
        yield from (day - timedelta(days=1), day, day + timedelta(days=1))


def test_known_positive_on_a_date_agrees(histories):
    answers = {}
    for (name, person), day, before in itertools.product(histories.items(), _days(), (False, True)):
        python = clinical.known_positive_on(_records(person), day, known_before=before)
        assert python == _sql(clinical.known_positive_sql(literal(person.id), day, known_before=before)), (
            name,
            day,
            before,
        )
        answers[(name, day, before)] = python
    # The facts themselves, as a nurse would state them:
    assert answers[("A", D3, False)] and not answers[("A", D3, True)]  # diagnosed on D3, not known before
    assert answers[("A", D3 + timedelta(days=1), True)]
    assert answers[("B", D2, True)]  # her own statement counts on the day she makes it
    assert not any(answers[("C", day, b)] for day in _days() for b in (False, True))


def test_on_art_on_a_date_agrees(histories):
    for (name, person), day in itertools.product(histories.items(), _days()):
        records = _records(person)
        assert clinical.on_art_on(records, day) == _sql(clinical.on_art_sql(literal(person.id), day)), (name, day)
        assert clinical.living_with_hiv_on_art(records, day) == _sql(
            clinical.living_with_hiv_on_art_sql(literal(person.id), day)
        ), (name, day)
    assert clinical.living_with_hiv_on_art(_records(histories["A"]), D4)
    assert not clinical.living_with_hiv_on_art(_records(histories["A"]), D3)  # positive, not yet on ART
    assert not clinical.on_art_on(_records(histories["D"]), D4)


def test_positive_record_and_result_given_agree_on_every_test_row(histories, make, nurse):
    # Add the combinations a nurse can leave behind: an inconclusive test, a result not given.
    actor = Actor(nurse)
    extra = make.client(registered_by=nurse, enrolled_on=D1)
    _record(actor, extra, D1, hiv=_test(AssayResult.REACTIVE, None))
    _record(actor, extra, D2, hiv=_test(result_received=False))
    rows = db.session.execute(
        select(
            HivTest.final_result,
            HivTest.previous_status,
            HivTest.result_received,
            clinical.shows_positive_sql(),
            clinical.test_result_given_sql(),
        )
    ).all()
    assert len(rows) == 9
    for final, previous, received, positive_sql, given_sql in rows:
        assert clinical.shows_positive(final, previous) == bool(positive_sql)
        assert clinical.test_result_given(final, received, previous) == bool(given_sql)
    assert sum(bool(r[4]) for r in rows) == 5  # A twice, C twice, D; not the known positives, inconclusive, not given
    assert {r[0] for r in rows if r[4]} == {HivResult.NEGATIVE, HivResult.POSITIVE}


CERVICAL_CASES = [
    (method, result, triage)
    for method in CervicalMethod
    for result in (None, *CervicalResult)
    for triage in (None, *CervicalResult)
    if triage is None or (method == CervicalMethod.HPV and result == CervicalResult.POSITIVE)
]


def test_cervical_outcome_complete_and_positive_agree(make, nurse):
    client = make.client(registered_by=nurse, date_of_birth=date(1990, 1, 1), enrolled_on=D1)
    for n, (method, result, triage) in enumerate(CERVICAL_CASES):
        visit = make.visit(client=client, recorded_by=nurse, service_date=D1 + timedelta(days=n))
        treated = clinical.screen_positive(method, result, triage)
        db.session.add(
            CervicalScreening(
                clinic_id=visit.clinic_id,
                visit_id=visit.id,
                screening_type=CervicalVisitType.FIRST,
                method=method,
                result=result,
                triage_result=triage,
                treatment=CervicalTreatment.THERMAL_ABLATION if treated else CervicalTreatment.NONE,
                treatment_timing=TreatmentTiming.SAME_DAY if treated else None,
                complete=clinical.cervical_complete(method, result, triage),
            )
        )
    db.session.commit()
    rows = db.session.execute(
        select(
            CervicalScreening.method,
            CervicalScreening.result,
            CervicalScreening.triage_result,
            CervicalScreening.treatment,
            CervicalScreening.complete,
            clinical.cervical_outcome_sql(),
            clinical.cervical_complete_sql(),
            clinical.screen_positive_sql(),
            clinical.precancer_treated_sql(),
        )
    ).all()
    assert len(rows) == len(CERVICAL_CASES)
    for method, result, triage, treatment, stored, outcome, complete, positive, treated in rows:
        assert clinical.cervical_outcome(method, result, triage) == (CervicalResult(outcome) if outcome else None)
        assert clinical.cervical_complete(method, result, triage) == bool(complete) == stored
        assert clinical.screen_positive(method, result, triage) == bool(positive)
        assert clinical.precancer_treated(treatment) == bool(treated)
    # HPV positive without triage is the one positive result that is not complete.
    assert not clinical.cervical_complete(CervicalMethod.HPV, CervicalResult.POSITIVE, None)
    assert clinical.cervical_complete(CervicalMethod.VIA, CervicalResult.POSITIVE, None)


def test_complete_screens_recorded_at_visits_agree(make, nurse):
    actor = Actor(nurse)
    client = make.client(registered_by=nurse, date_of_birth=date(1990, 1, 1), enrolled_on=D1)
    hpv = dict(screening_type=CervicalVisitType.FIRST, method=CervicalMethod.HPV)
    _record(actor, client, D1, cervical=CervicalInput(**hpv, result=CervicalResult.POSITIVE))
    _record(
        actor,
        client,
        D2,
        cervical=CervicalInput(**hpv, result=CervicalResult.POSITIVE, triage_result=CervicalResult.NEGATIVE),
    )
    rows = db.session.execute(
        select(
            CervicalScreening.method,
            CervicalScreening.result,
            CervicalScreening.triage_result,
            CervicalScreening.complete,
            clinical.cervical_complete_sql(),
        ).order_by(CervicalScreening.created_at)
    ).all()
    assert [(clinical.cervical_complete(*r[:3]), r[3], bool(r[4])) for r in rows] == [
        (False, False, False),
        (True, True, True),
    ]


def test_prep_facts_agree(make, nurse):
    client = make.client(registered_by=nurse, enrolled_on=D1)
    for n, (event, reason) in enumerate(
        [(e, None) for e in PrepEventType if e != PrepEventType.STOP]
        + [(PrepEventType.STOP, r) for r in PrepStopReason]
    ):
        visit = make.visit(client=client, recorded_by=nurse, service_date=D1 + timedelta(days=n))
        db.session.add(PrepEvent(clinic_id=visit.clinic_id, visit_id=visit.id, event=event, stop_reason=reason))
    db.session.commit()
    rows = db.session.execute(
        select(
            PrepEvent.event,
            PrepEvent.stop_reason,
            clinical.prep_dispensed_sql(),
            clinical.seroconversion_stop_sql(),
        )
    ).all()
    for event, reason, dispensed, seroconverted in rows:
        assert clinical.prep_dispensed(event) == bool(dispensed)
        assert clinical.seroconversion_stop(event, reason) == bool(seroconverted)
    assert sum(bool(r[3]) for r in rows) == 1


def test_prep_type_agrees_for_every_regimen():
    for regimen in (*PrepRegimen, None):
        column = literal(regimen.value if regimen else None)
        assert db.session.scalar(select(clinical.prep_type_sql(column))) == clinical.prep_type(regimen), regimen
    assert clinical.prep_type(PrepRegimen.CAB_LA) == "injectable"


def test_post_violence_care_and_sexual_violence_agree(make, nurse):
    actor = Actor(nurse)
    kinds = [[], [ViolenceType.SEXUAL], [ViolenceType.PHYSICAL], [ViolenceType.EMOTIONAL, ViolenceType.PHYSICAL]]
    exposures = [None, PepExposure.SEXUAL_VIOLENCE, PepExposure.CONDOM_FAILURE]
    for n, (types, exposure, reason) in enumerate(itertools.product(kinds, exposures, ["general", "violence"])):
        if exposure == PepExposure.SEXUAL_VIOLENCE and types and ViolenceType.SEXUAL not in types:
            continue  # the visit rules refuse it
        client = make.client(registered_by=nurse, enrolled_on=D1)
        pep = PepInput(exposure, hours_since_exposure=10, regimen=PepRegimen.TDF_3TC_DTG) if exposure else None
        data = VisitInput(service_date=D1 + timedelta(days=n), visit_type="return", reasons=[reason])
        sections = ServicesInput(pep=pep, violence=ViolenceInput(types) if types else None)
        record_visit(actor=actor, client=client, data=data, services=sections, today=TODAY)
    rows = db.session.execute(
        select(
            Visit,
            clinical.post_violence_care_sql(Visit, ViolenceCare, PepCourse),
            clinical.sexual_violence_sql(ViolenceCare, PepCourse),
        )
        .outerjoin(ViolenceCare, ViolenceCare.visit_id == Visit.id)
        .outerjoin(PepCourse, PepCourse.visit_id == Visit.id)
    ).all()
    assert len(rows) > 10
    for visit, care, sexual in rows:
        types = visit.violence_care.types if visit.violence_care else []
        exposure = visit.pep_course.exposure if visit.pep_course else None
        assert clinical.post_violence_care(types, exposure, visit.reasons) == bool(care), visit
        assert clinical.sexual_violence(types, exposure) == bool(sexual), visit
    assert any(not care for _v, care, _s in rows) and any(sexual for *_x, sexual in rows)
