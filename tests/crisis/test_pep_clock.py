"""The PEP clock: hours since the incident and hours left of 72, with the time of day known or not;
the nurse's list and the visit screen; PEP given at a linked visit completes the case's PEP step."""

from datetime import UTC, date, datetime, time

from clinic_app.core.actor import Actor
from clinic_app.core.db import utcnow
from clinic_app.core.timeutil import local_today
from clinic_app.crisis import care
from clinic_app.crisis.models import ActionKind, ActionStatus, CaseVisit, SurvivorKind
from clinic_app.extensions import db
from clinic_app.visits.clinical import PepWindow, pep_clock, pep_given_in_window
from clinic_app.visits.models import PepCourse, PepExposure, PepRegimen
from tests.crisis.conftest import NOW
from tests.helpers import text

HARARE = "Africa/Harare"  # UTC+2


def test_hours_since_and_left_with_a_known_time():
    # 22:00 in Harare is 20:00 UTC; at 06:00 UTC the next day 10 hours have passed, 62 are left.
    clock = pep_clock(date(2026, 11, 19), time(22, 0), HARARE, NOW)
    assert (clock.hours_since, clock.hours_left, clock.window) == (10, 62, PepWindow.OPEN)


def test_the_window_closes_at_exactly_72_hours():
    at = datetime(2026, 11, 19, 20, 0, tzinfo=UTC)
    just_before = pep_clock(date(2026, 11, 19), time(22, 0), HARARE, at.replace(day=22))
    assert just_before.window == PepWindow.CLOSED  # 22 Nov 20:00 UTC is the 72nd hour: closed
    almost = pep_clock(date(2026, 11, 19), time(22, 0), HARARE, datetime(2026, 11, 22, 19, 59, tzinfo=UTC))
    assert (almost.window, almost.hours_since, almost.hours_left) == (PepWindow.OPEN, 71, 0)


def test_an_unknown_time_counts_from_the_start_of_the_day():
    # From 19 Nov 00:00 Harare (18 Nov 22:00 UTC) to 20 Nov 06:00 UTC: 32 hours since, 40 left.
    clock = pep_clock(date(2026, 11, 19), None, HARARE, NOW)
    assert (clock.time_known, clock.hours_since, clock.hours_left) == (False, 32, 40)


def test_an_unknown_time_may_have_closed_before_it_surely_has():
    maybe = pep_clock(date(2026, 11, 19), None, HARARE, datetime(2026, 11, 21, 23, 0, tzinfo=UTC))
    assert (maybe.window, maybe.hours_left, maybe.inside) == (PepWindow.MAYBE_CLOSED, 0, True)
    closed = pep_clock(date(2026, 11, 19), None, HARARE, datetime(2026, 11, 22, 22, 0, tzinfo=UTC))
    assert (closed.window, closed.inside) == (PepWindow.CLOSED, False)


def test_an_incident_later_today_than_now_has_zero_hours_since():
    clock = pep_clock(date(2026, 11, 20), time(23, 0), HARARE, NOW)
    assert (clock.hours_since, clock.hours_left) == (0, 72)


def test_pep_given_in_the_window():
    assert pep_given_in_window(date(2026, 11, 19), time(22, 0), HARARE, datetime(2026, 11, 22, 19, 0, tzinfo=UTC))
    assert not pep_given_in_window(date(2026, 11, 19), time(22, 0), HARARE, datetime(2026, 11, 22, 21, 0, tzinfo=UTC))
    # Time unknown: given before the window could have closed (end of the day + 72 h) counts.
    assert pep_given_in_window(date(2026, 11, 19), None, HARARE, datetime(2026, 11, 22, 21, 0, tzinfo=UTC))


def _pep_visit(make, client, nurse, day=date(2026, 11, 20)):
    visit = make.visit(client=client, recorded_by=nurse, service_date=day, reasons=("pep",))
    db.session.add(
        PepCourse(
            clinic_id=visit.clinic_id,
            visit_id=visit.id,
            exposure=PepExposure.SEXUAL_VIOLENCE,
            hours_since_exposure=12,
            regimen=PepRegimen.TDF_3TC_DTG,
        )
    )
    db.session.commit()
    return visit


def test_pep_given_at_the_linked_visit_completes_the_cases_pep_step(make, clinic, nurse, peer, open_case):
    survivor = make.client(clinic=clinic)
    case = open_case(peer, survivor_kind="registered", client_number=survivor.client_number, violations=["sexual"])
    visit = _pep_visit(make, survivor, nurse)
    actor = Actor(nurse)
    [offered] = care.offer_for_visit(actor=actor, visit=visit, now=NOW)
    assert offered.case.id == case.id and offered.pep_urgent
    care.link_visit(actor=actor, visit_id=visit.id, case_id=case.id)
    pep = next(a for a in case.actions if a.kind == ActionKind.PEP)
    assert (pep.status, pep.visit_id) == (ActionStatus.PROVIDED, visit.id)
    assert pep.done_at is not None
    assert db.session.query(CaseVisit).filter_by(case_id=case.id).count() == 1
    assert care.offer_for_visit(actor=actor, visit=visit, now=NOW) == []


def test_a_not_yet_registered_survivor_is_linked_through_her_uic(make, clinic, nurse, peer, open_case):
    survivor = make.client(clinic=clinic)
    case = open_case(peer, survivor_kind="unregistered", alias="Lulu", uic=survivor.uic, violations=["physical"])
    visit = make.visit(client=survivor, recorded_by=nurse, service_date=date(2026, 11, 20))
    care.link_visit(actor=Actor(nurse), visit_id=visit.id, case_id=case.id)
    assert (case.client_id, case.survivor_kind) == (survivor.id, SurvivorKind.REGISTERED)


def test_the_nurse_home_page_lists_survivors_needing_care_with_the_clock(client, sign_in_as, nurse, peer, open_case):
    now = utcnow()  # the home page reads the clock now
    urgent = open_case(
        peer,
        now=now,
        violations=["sexual"],
        perpetrators=["police"],
        incident_on=local_today(HARARE, now),
        incident_time=None,
    )
    sign_in_as(nurse)
    page = text(client.get("/"))
    assert "Survivors needing clinical care" in page
    assert urgent.reference in page
    assert "PEP:" in page and "h left" in page


def test_a_case_whose_window_passed_without_pep_says_so(client, sign_in_as, peer, open_case):
    case = open_case(peer, violations=["sexual"], incident_on=date(2026, 11, 1))
    sign_in_as(peer)
    assert "The 72-hour PEP window passed without PEP." in text(client.get(f"/crisis/cases/{case.id}"))


def test_the_visit_screen_offers_the_open_case_and_links_it(make, client, sign_in_as, clinic, nurse, peer, open_case):
    survivor = make.client(clinic=clinic)
    case = open_case(peer, survivor_kind="registered", client_number=survivor.client_number, violations=["sexual"])
    visit = _pep_visit(make, survivor, nurse)
    sign_in_as(nurse)
    page = client.get(f"/visits/{visit.id}")
    assert "Open crisis case of this client" in text(page) and case.reference in text(page)
    response = client.post(f"/crisis/visits/{visit.id}/link", data={"case_id": str(case.id)})
    assert response.status_code == 302
    assert f"Linked to crisis case {case.reference}." in text(client.get(f"/visits/{visit.id}"))
