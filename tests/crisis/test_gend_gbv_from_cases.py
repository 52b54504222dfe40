"""GEND_GBV from crisis cases with clinical care: the case says which violence; each person once."""

from datetime import UTC, date, datetime

from clinic_app.crisis.models import ActionKind, ActionStatus, CaseVisit, ResponseAction, SurvivorKind
from clinic_app.extensions import db
from clinic_app.reports.engine import aggregate
from clinic_app.reports.facts import Window
from clinic_app.reports.formats import get_format
from clinic_app.reports.indicators import INDICATORS
from tests.crisis.fundkit import make_case

WINDOW = Window(date(2026, 10, 1), date(2026, 12, 31), None)


def _gbv() -> dict:
    return aggregate(INDICATORS["GEND_GBV"], ("violence_type", "pep_given"), WINDOW, get_format("mer"))


def _provided(case, kind, user, when=datetime(2026, 11, 19, 10, tzinfo=UTC)):
    db.session.add(
        ResponseAction(
            clinic_id=case.clinic_id, case_id=case.id, kind=kind, status=ActionStatus.PROVIDED,
            done_at=when, recorded_by_id=user.id,
        )
    )  # fmt: skip
    db.session.commit()


def _registered_case(clinic, nurse, client, violations):
    case = make_case(clinic, nurse, violations=violations, client_id=client.id)
    case.survivor_kind = SurvivorKind.REGISTERED
    db.session.commit()
    return case


def test_a_sexual_violence_survivor_without_pep_counts_as_sexual(make, clinic, nurse):
    client = make.client(clinic=clinic)
    case = _registered_case(clinic, nurse, client, ["sexual", "physical"])
    _provided(case, ActionKind.MEDICAL_CARE, nurse)
    assert _gbv() == {("Sexual violence", "No PEP"): 1}


def test_pep_provided_on_the_case_is_the_sub_count(make, clinic, nurse):
    client = make.client(clinic=clinic)
    case = _registered_case(clinic, nurse, client, ["sexual"])
    _provided(case, ActionKind.PEP, nurse)
    assert _gbv() == {("Sexual violence", "PEP given"): 1}


def test_a_case_without_clinical_care_does_not_count(make, clinic, nurse):
    client = make.client(clinic=clinic)
    _registered_case(clinic, nurse, client, ["sexual"])
    assert _gbv() == {}


def test_a_visit_linked_to_a_case_counts_the_person_once(make, clinic, nurse):
    client = make.client(clinic=clinic)
    case = _registered_case(clinic, nurse, client, ["physical"])
    visit = make.visit(client=client, recorded_by=nurse, service_date=date(2026, 11, 19))
    db.session.add(CaseVisit(clinic_id=clinic.id, case_id=case.id, visit_id=visit.id, linked_by_id=nurse.id))
    db.session.commit()
    _provided(case, ActionKind.MEDICAL_CARE, nurse)
    assert _gbv() == {("Physical or emotional violence", "No PEP"): 1}
