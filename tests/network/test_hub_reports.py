"""Network reports on the hub, where all clinics meet: people count once, PrEP_NEW is a first start anywhere."""

from datetime import date

from clinic_app.clients.models import KeyPopulation, Sex
from clinic_app.visits.models import PrepEventType, VisitReason
from tests.reports.clinic_history import KP_CLINIC, NEG, ClinicHistory
from tests.reports.test_indicators import nonzero, report, table


def test_a_start_at_a_second_clinic_that_did_not_know_is_not_prep_new(make, clinic, other_clinic):
    """Started at Beitbridge in FY2026Q1; Ngodwana, without her consent to share, recorded a start in Q2."""
    nurse = make.user(role="nurse", clinic=clinic)
    h = ClinicHistory(clinic=clinic, other_clinic=other_clinic, nurse=nurse, peer=nurse)
    person = h.client("p", make, sex=Sex.FEMALE, born=date(1999, 1, 1), kp=KeyPopulation.FSW)
    first = h.visit("a", make, person, date(2025, 10, 2), reasons=(VisitReason.PREP,))
    h.hiv(first, NEG, KP_CLINIC)
    h.prep(first, PrepEventType.INITIATION)
    again = h.visit("b", make, person, date(2026, 2, 3), reasons=(VisitReason.PREP,), clinic=other_clinic)
    h.hiv(again, NEG, KP_CLINIC)
    h.prep(again, PrepEventType.INITIATION)

    network = ("BBR", "NGO")
    assert nonzero(table(report("mer", "FY2026Q1", network), "PrEP_NEW: key population type")) == {("FSW", ""): 1}
    assert nonzero(table(report("mer", "FY2026Q2", network), "PrEP_NEW: key population type")) == {}
    assert nonzero(table(report("mer", "FY2026Q2", ("NGO",)), "PrEP_NEW: key population type")) == {}
