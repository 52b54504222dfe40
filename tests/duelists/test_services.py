"""The five due lists: hand-built boundary cases, filters, the pages, and a hand check on the demo data."""

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from clinic_app.auth.models import User
from clinic_app.clients.models import Client
from clinic_app.clients.services import merge_clients
from clinic_app.clinics.models import Clinic
from clinic_app.core.actor import Actor
from clinic_app.core.errors import NotAllowed
from clinic_app.core.timeutil import add_months, local_today
from clinic_app.duelists.services import (
    DUE_LISTS,
    DueEntry,
    DueFilters,
    DueSettings,
    due_counts,
    due_page,
)
from clinic_app.extensions import db
from clinic_app.screening.models import (
    AssayResult,
    CervicalMethod,
    CervicalResult,
    CervicalScreening,
    CervicalVisitType,
    HivResult,
    HivTest,
    PreviousHivStatus,
)
from clinic_app.visits.models import PrepEvent, PrepEventType, PrepRegimen, Visit
from tests.helpers import text

TODAY = date(2026, 11, 20)


def due_entries(*, actor, name, settings, filters) -> list[DueEntry]:
    """A whole list, on one page."""
    return due_page(actor=actor, name=name, settings=settings, filters=filters, per_page=100_000).entries


# --------------------------------------------------------------------------- building histories by hand
class History:
    """Visits and their services written straight to the tables, to place each date exactly."""

    def __init__(self, make, clinic, nurse):
        self.make, self.clinic, self.nurse = make, clinic, nurse
        self._minute = 0

    def client(self, **kw) -> Client:
        kw.setdefault("enrolled_on", date(2024, 1, 1))
        return self.make.client(registered_by=self.nurse, clinic=self.clinic, **kw)

    def visit(self, client, day, *, clinic=None, next_appointment_on=None) -> Visit:
        self._minute += 1  # distinct creation times, in the order the visits are made
        created = datetime.combine(day, time(8, 0), UTC) + timedelta(minutes=self._minute)
        return self.make.visit(
            client=client,
            clinic=clinic or self.clinic,
            recorded_by=self.nurse if clinic is None else None,
            service_date=day,
            next_appointment_on=next_appointment_on,
            created_at=created,
        )

    def _add(self, row):
        db.session.add(row)
        db.session.commit()
        return row

    def hiv(self, client, day, result=HivResult.NEGATIVE, *, art_started_on=None, clinic=None, **kw):
        visit = self.visit(client, day, clinic=clinic)
        screening = {
            HivResult.NEGATIVE: AssayResult.NON_REACTIVE,
            HivResult.POSITIVE: AssayResult.REACTIVE,
            HivResult.INCONCLUSIVE: AssayResult.REACTIVE,
            None: None,
        }[result]
        confirmatory = {HivResult.POSITIVE: AssayResult.REACTIVE, HivResult.INCONCLUSIVE: AssayResult.NON_REACTIVE}
        values = dict(
            previous_status=PreviousHivStatus.NEGATIVE,
            screening_result=screening,
            confirmatory_result=confirmatory.get(result),
            final_result=result,
            art_started_on=art_started_on,
        )
        values.update(kw)
        self._add(HivTest(clinic_id=visit.clinic_id, visit_id=visit.id, **values))
        return visit

    def known_positive(self, client, day, *, art_started_on=None, clinic=None):
        return self.hiv(
            client,
            day,
            None,
            previous_status=PreviousHivStatus.KNOWN_POSITIVE,
            art_started_on=art_started_on,
            clinic=clinic,
        )

    def prep(self, client, day, event=PrepEventType.FOLLOW_UP, *, next_on=None, months=3, clinic=None):
        visit = self.visit(client, day, clinic=clinic)
        stopping = event == PrepEventType.STOP
        self._add(
            PrepEvent(
                clinic_id=visit.clinic_id,
                visit_id=visit.id,
                event=event,
                regimen=None if stopping else PrepRegimen.TDF_FTC,
                months_dispensed=None if stopping else months,
                next_appointment_on=None if stopping else (next_on or add_months(day, months)),
                stop_reason="client_choice" if stopping else None,
            )
        )
        return visit

    def cervical(self, client, day, next_due, *, complete=True, clinic=None):
        visit = self.visit(client, day, clinic=clinic)
        self._add(
            CervicalScreening(
                clinic_id=visit.clinic_id,
                visit_id=visit.id,
                screening_type=CervicalVisitType.FIRST,
                method=CervicalMethod.VIA if complete else CervicalMethod.HPV,
                result=CervicalResult.NEGATIVE if complete else CervicalResult.POSITIVE,
                complete=complete,
                next_due_on=next_due,
            )
        )
        return visit


@pytest.fixture
def history(make, clinic, nurse):
    return History(make, clinic, nurse)


def entries(actor, name, clinic, *, peer=None, **settings) -> list[DueEntry]:
    settings.setdefault("today", TODAY)
    return due_entries(
        actor=actor, name=name, settings=DueSettings(**settings), filters=DueFilters(clinic.id, peer and peer.id)
    )


def listed(actor, name, clinic, **kw) -> set:
    return {e.client.id for e in entries(actor, name, clinic, **kw)}


def days(n: int) -> timedelta:
    return timedelta(days=n)


# --------------------------------------------------------------------------- PrEP refill
def test_prep_refill_lists_appointments_due_within_a_week_or_past(history, nurse_actor, clinic):
    overdue = history.client()
    history.prep(overdue, date(2026, 8, 1), next_on=TODAY - days(30))
    due_today = history.client()
    history.prep(due_today, date(2026, 8, 20), next_on=TODAY)
    in_a_week = history.client()
    history.prep(in_a_week, date(2026, 8, 27), next_on=TODAY + days(7))
    in_eight_days = history.client()
    history.prep(in_eight_days, date(2026, 8, 28), next_on=TODAY + days(8))
    found = entries(nurse_actor, "prep_refill", clinic)
    assert [e.client.id for e in found] == [overdue.id, due_today.id, in_a_week.id]  # oldest due first
    first = found[0]
    assert (first.since, first.last_seen, first.note) == (TODAY - days(30), date(2026, 8, 1), "3")
    assert [e.days_overdue(TODAY) for e in found] == [30, 0, -7]


def test_prep_refill_follows_the_due_soon_setting(history, nurse_actor, clinic):
    person = history.client()
    history.prep(person, date(2026, 8, 28), next_on=TODAY + days(8))
    assert listed(nurse_actor, "prep_refill", clinic, due_soon_days=8) == {person.id}
    assert listed(nurse_actor, "prep_refill", clinic, due_soon_days=0) == set()


def test_prep_stop_as_the_latest_prep_event_is_not_listed(history, nurse_actor, clinic):
    stopped = history.client()
    history.prep(stopped, date(2026, 5, 1), next_on=date(2026, 8, 1))
    history.prep(stopped, date(2026, 7, 1), PrepEventType.STOP)
    restarted = history.client()
    history.prep(restarted, date(2026, 5, 1), PrepEventType.STOP)
    history.prep(restarted, date(2026, 7, 1), PrepEventType.RESTART, next_on=date(2026, 10, 1))
    assert listed(nurse_actor, "prep_refill", clinic) == {restarted.id}


def test_prep_refill_looks_only_at_the_latest_prep_event(history, nurse_actor, clinic):
    refilled = history.client()
    history.prep(refilled, date(2026, 5, 1), next_on=date(2026, 8, 1))
    history.prep(refilled, date(2026, 8, 1), next_on=date(2026, 12, 31))
    assert listed(nurse_actor, "prep_refill", clinic) == set()


@pytest.mark.parametrize("how", ["confirmed", "said_so"])
def test_positive_clients_are_not_on_the_prep_refill_list(history, nurse_actor, clinic, how):
    person = history.client()
    history.prep(person, date(2026, 7, 1), next_on=date(2026, 10, 1))
    if how == "confirmed":
        history.hiv(person, date(2026, 9, 1), HivResult.POSITIVE)
    else:
        history.known_positive(person, date(2026, 9, 1))
    assert listed(nurse_actor, "prep_refill", clinic) == set()


# --------------------------------------------------------------------------- HIV retest
def test_hiv_retest_keeps_the_end_of_month_rule(history, nurse_actor, clinic):
    """31 Aug + 3 months is 30 Nov: due on 30 Nov, not in December."""
    end_of_august = history.client()
    history.hiv(end_of_august, date(2026, 8, 31))
    first_of_september = history.client()
    history.hiv(first_of_september, date(2026, 9, 1))
    found = entries(nurse_actor, "hiv_retest", clinic, today=date(2026, 11, 30), due_soon_days=0)
    assert [e.client.id for e in found] == [end_of_august.id]
    assert (found[0].since, found[0].last_seen) == (date(2026, 11, 30), date(2026, 8, 31))
    found = entries(nurse_actor, "hiv_retest", clinic, today=date(2026, 11, 30))
    assert [e.client.id for e in found] == [end_of_august.id, first_of_september.id]


def test_hiv_retest_lists_tests_due_within_a_week_or_past(history, nurse_actor, clinic):
    long_ago = history.client()
    history.hiv(long_ago, date(2026, 3, 3))
    due_today = history.client()
    history.hiv(due_today, date(2026, 8, 20))
    in_a_week = history.client()
    history.hiv(in_a_week, date(2026, 8, 27))
    in_eight_days = history.client()
    history.hiv(in_eight_days, date(2026, 8, 28))
    found = entries(nurse_actor, "hiv_retest", clinic)
    assert [e.client.id for e in found] == [long_ago.id, due_today.id, in_a_week.id]
    assert [e.since for e in found] == [date(2026, 6, 3), TODAY, TODAY + days(7)]


def test_an_inconclusive_result_is_due_for_retest_14_days_later(history, nurse_actor, clinic):
    """National algorithm: an inconclusive result is retested after 14 days, not after 3 months."""
    due = history.client()
    history.hiv(due, TODAY - days(21), HivResult.INCONCLUSIVE)
    within_the_week = history.client()
    history.hiv(within_the_week, TODAY - days(7), HivResult.INCONCLUSIVE)
    not_yet = history.client()
    history.hiv(not_yet, TODAY - days(6), HivResult.INCONCLUSIVE)
    found = entries(nurse_actor, "hiv_retest", clinic)
    assert [e.client.id for e in found] == [due.id, within_the_week.id]
    assert [e.since for e in found] == [TODAY - days(7), TODAY + days(7)]


def test_hiv_retest_interval_follows_the_setting(history, nurse_actor, clinic):
    person = history.client()
    history.hiv(person, date(2026, 5, 20))
    assert listed(nurse_actor, "hiv_retest", clinic, hiv_retest_months=6) == {person.id}
    assert listed(nurse_actor, "hiv_retest", clinic, hiv_retest_months=6, today=date(2026, 11, 12)) == set()


def test_hiv_retest_counts_from_the_latest_test(history, nurse_actor, clinic):
    person = history.client()
    history.hiv(person, date(2026, 3, 1))
    history.hiv(person, date(2026, 10, 1))
    assert listed(nurse_actor, "hiv_retest", clinic) == set()


@pytest.mark.parametrize("how", ["confirmed_later", "said_so_later", "positive_long_ago"])
def test_positive_clients_are_not_on_the_hiv_retest_list(history, nurse_actor, clinic, how):
    person = history.client()
    if how == "positive_long_ago":
        history.hiv(person, date(2025, 1, 1), HivResult.POSITIVE)
    history.hiv(person, date(2026, 3, 1))
    if how == "confirmed_later":
        history.hiv(person, date(2026, 4, 1), HivResult.POSITIVE)
    elif how == "said_so_later":
        history.known_positive(person, date(2026, 4, 1))
    assert listed(nurse_actor, "hiv_retest", clinic) == set()


# --------------------------------------------------------------------------- cervical rescreen
def test_cervical_rescreen_lists_next_screens_due_within_a_week_or_past(history, nurse_actor, clinic):
    overdue = history.client()
    history.cervical(overdue, date(2023, 10, 1), TODAY - days(40))
    in_a_week = history.client()
    history.cervical(in_a_week, date(2023, 11, 27), TODAY + days(7))
    in_eight_days = history.client()
    history.cervical(in_eight_days, date(2023, 11, 28), TODAY + days(8))
    found = entries(nurse_actor, "cervical_rescreen", clinic)
    assert [e.client.id for e in found] == [overdue.id, in_a_week.id]
    assert (found[0].since, found[0].last_seen) == (TODAY - days(40), date(2023, 10, 1))


def test_cervical_rescreen_uses_the_latest_complete_screen(history, nurse_actor, clinic):
    pending_after = history.client()  # an HPV-positive screen awaiting triage does not hide the due date
    history.cervical(pending_after, date(2023, 10, 1), TODAY - days(1))
    history.cervical(pending_after, date(2026, 11, 1), None, complete=False)
    rescreened = history.client()
    history.cervical(rescreened, date(2023, 10, 1), TODAY - days(1))
    history.cervical(rescreened, date(2026, 11, 1), date(2029, 11, 1))
    referred = history.client()  # latest complete screen: suspected cancer, no next date
    history.cervical(referred, date(2023, 10, 1), TODAY - days(1))
    history.cervical(referred, date(2026, 11, 1), None)
    assert listed(nurse_actor, "cervical_rescreen", clinic) == {pending_after.id}


# --------------------------------------------------------------------------- unlinked positives
def test_positive_without_art_start_is_listed_from_the_test_date(history, nurse_actor, clinic):
    person = history.client()
    history.hiv(person, date(2026, 10, 1), HivResult.POSITIVE)
    [entry] = entries(nurse_actor, "unlinked_positive", clinic)
    assert (entry.client.id, entry.since, entry.last_seen) == (person.id, date(2026, 10, 1), date(2026, 10, 1))


def test_art_start_at_the_same_or_any_later_visit_removes_from_the_unlinked_list(
    history, nurse_actor, clinic, other_clinic
):
    same_visit = history.client()
    history.hiv(same_visit, date(2026, 10, 1), HivResult.POSITIVE, art_started_on=date(2026, 10, 1))
    later_here = history.client()
    history.hiv(later_here, date(2026, 10, 1), HivResult.POSITIVE)
    history.known_positive(later_here, date(2026, 10, 20), art_started_on=date(2026, 10, 20))
    later_elsewhere = history.client()
    history.hiv(later_elsewhere, date(2026, 10, 1), HivResult.POSITIVE)
    history.known_positive(later_elsewhere, date(2026, 10, 20), art_started_on=date(2026, 10, 20), clinic=other_clinic)
    still_waiting = history.client()
    history.hiv(still_waiting, date(2026, 10, 1), HivResult.POSITIVE)
    history.known_positive(still_waiting, date(2026, 10, 20))
    assert listed(nurse_actor, "unlinked_positive", clinic) == {still_waiting.id}


def test_negative_and_inconclusive_results_are_not_on_the_unlinked_list(history, nurse_actor, clinic):
    history.hiv(history.client(), date(2026, 10, 1))
    history.hiv(history.client(), date(2026, 10, 1), HivResult.INCONCLUSIVE)
    assert listed(nurse_actor, "unlinked_positive", clinic) == set()


# --------------------------------------------------------------------------- missed appointments
def test_missed_appointment_after_the_grace_days(history, nurse_actor, clinic):
    long_missed = history.client()
    history.visit(long_missed, date(2026, 6, 1), next_appointment_on=TODAY - days(30))
    just_missed = history.client()
    history.visit(just_missed, date(2026, 8, 1), next_appointment_on=TODAY - days(8))
    in_grace = history.client()
    history.visit(in_grace, date(2026, 8, 1), next_appointment_on=TODAY - days(7))
    coming = history.client()
    history.visit(coming, date(2026, 8, 1), next_appointment_on=TODAY + days(3))
    no_appointment = history.client()
    history.visit(no_appointment, date(2026, 1, 5))
    found = entries(nurse_actor, "missed_appointment", clinic)
    assert [e.client.id for e in found] == [long_missed.id, just_missed.id]
    assert (found[1].since, found[1].last_seen, found[1].days_overdue(TODAY)) == (
        TODAY - days(8),
        date(2026, 8, 1),
        8,
    )
    assert listed(nurse_actor, "missed_appointment", clinic, missed_grace_days=6) == {
        long_missed.id,
        just_missed.id,
        in_grace.id,
    }


def test_missed_appointment_uses_the_prep_appointment_when_the_visit_has_none(history, nurse_actor, clinic):
    person = history.client()
    history.prep(person, date(2026, 6, 1), next_on=date(2026, 9, 1))
    stopped = history.client()
    history.prep(stopped, date(2026, 6, 1), PrepEventType.STOP)
    assert listed(nurse_actor, "missed_appointment", clinic) == {person.id}


def test_missed_appointment_looks_only_at_the_latest_visit(history, nurse_actor, clinic):
    came_back = history.client()
    history.visit(came_back, date(2026, 6, 1), next_appointment_on=date(2026, 9, 1))
    history.visit(came_back, date(2026, 9, 20))
    assert listed(nurse_actor, "missed_appointment", clinic) == set()


# --------------------------------------------------------------------------- filters
def _one_due_on_every_list(history, client, clinic=None):
    history.prep(client, date(2026, 5, 1), next_on=date(2026, 8, 1), clinic=clinic)
    history.hiv(client, date(2026, 5, 2), clinic=clinic)
    history.cervical(client, date(2023, 5, 3), date(2026, 5, 3), clinic=clinic)
    history.visit(client, date(2026, 6, 1), clinic=clinic, next_appointment_on=date(2026, 9, 1))
    positive = history.client()
    history.hiv(positive, date(2026, 5, 4), HivResult.POSITIVE, clinic=clinic)
    return positive


@pytest.mark.parametrize("name", list(DUE_LISTS))
def test_lists_are_filtered_by_the_clinic_where_the_service_was_given(history, nurse_actor, clinic, other_clinic, name):
    here, there = history.client(), history.client()
    positive_here = _one_due_on_every_list(history, here)
    positive_there = _one_due_on_every_list(history, there, clinic=other_clinic)
    if name == "unlinked_positive":
        here, there = positive_here, positive_there
    assert listed(nurse_actor, name, clinic) == {here.id}
    assert listed(nurse_actor, name, other_clinic) == {there.id}


def test_a_later_service_at_another_clinic_moves_the_client_to_that_clinics_list(
    history, nurse_actor, clinic, other_clinic
):
    person = history.client()
    history.prep(person, date(2026, 5, 1), next_on=date(2026, 8, 1))
    history.prep(person, date(2026, 8, 1), next_on=date(2026, 11, 1), clinic=other_clinic)
    assert listed(nurse_actor, "prep_refill", clinic) == set()
    assert listed(nurse_actor, "prep_refill", other_clinic) == {person.id}


@pytest.mark.parametrize("name", list(DUE_LISTS))
def test_lists_are_filtered_by_peer_educator(history, make, nurse_actor, clinic, name):
    peer, other_peer = make.user(role="peer_educator", clinic=clinic), make.user(role="peer_educator", clinic=clinic)
    people = {
        "followed": history.client(peer_educator_id=peer.id),
        "by_other": history.client(peer_educator_id=other_peer.id),
        "nobody": history.client(),
    }
    positives = {key: _one_due_on_every_list(history, person) for key, person in people.items()}
    if name == "unlinked_positive":
        for key, positive in positives.items():
            positive.peer_educator_id = people[key].peer_educator_id
        db.session.commit()
        people = positives
    assert listed(nurse_actor, name, clinic, peer=peer) == {people["followed"].id}
    assert listed(nurse_actor, name, clinic, peer=other_peer) == {people["by_other"].id}
    assert listed(nurse_actor, name, clinic) == {p.id for p in people.values()}
    counts = due_counts(actor=nurse_actor, settings=DueSettings(today=TODAY), filters=DueFilters(clinic.id, peer.id))
    assert counts[name] == 1


def test_a_merged_record_is_listed_once_under_the_record_kept(history, make, nurse_actor, clinic):
    keep, duplicate = history.client(), history.client(mother="TE")
    history.prep(duplicate, date(2026, 7, 1), next_on=date(2026, 10, 1))
    merge_clients(actor=Actor(make.user(role="data_admin", clinic=clinic)), keep=keep, duplicate=duplicate)
    assert listed(nurse_actor, "prep_refill", clinic) == {keep.id}


def test_counts_match_the_lists(history, nurse_actor, clinic):
    for _ in range(2):
        _one_due_on_every_list(history, history.client())
    counts = due_counts(actor=nurse_actor, settings=DueSettings(today=TODAY), filters=DueFilters(clinic.id))
    assert counts == {name: len(entries(nurse_actor, name, clinic)) for name in DUE_LISTS}
    assert counts["prep_refill"] == 2
    assert counts["unlinked_positive"] == 2


@pytest.mark.parametrize("role", ["peer_educator", "me_officer", "admin"])
def test_roles_without_clinical_access_cannot_read_due_lists(make, clinic, role):
    actor = Actor(make.user(role=role, clinic=clinic))
    with pytest.raises(NotAllowed):
        due_entries(actor=actor, name="prep_refill", settings=DueSettings(today=TODAY), filters=DueFilters(clinic.id))
    with pytest.raises(NotAllowed):
        due_counts(actor=actor, settings=DueSettings(today=TODAY), filters=DueFilters(clinic.id))


# --------------------------------------------------------------------------- the pages
def _figure(page: str, name: str) -> int:
    found = re.search(r"<b>(\d+)</b>\s*" + re.escape(str(DUE_LISTS[name].title)), page)
    assert found, f"no count shown for {name}"
    return int(found.group(1))


@pytest.fixture
def due_today(history, clinic):
    """Clients due as of the clinic's real today (the pages use the clinic's date)."""
    today = local_today(clinic.timezone)
    prep = history.client()
    history.prep(prep, today - days(100), next_on=today - days(1))
    positive = history.client()
    history.hiv(positive, today - days(3), HivResult.POSITIVE)
    return {"prep": prep, "positive": positive, "today": today}


def test_due_list_overview_shows_the_counts_to_a_nurse(client, sign_in_as, nurse, due_today):
    sign_in_as(nurse)
    response = client.get("/duelists/")
    assert response.status_code == 200
    page = text(response)
    assert _figure(page, "prep_refill") == 1
    assert _figure(page, "unlinked_positive") == 1
    assert _figure(page, "hiv_retest") == 0
    assert _figure(page, "cervical_rescreen") == 0
    # the PrEP visit 100 days ago gave no visit appointment; its PrEP appointment was yesterday (in grace)
    assert _figure(page, "missed_appointment") == 0


def test_due_list_page_shows_the_clients_due(client, sign_in_as, nurse, due_today):
    sign_in_as(nurse)
    response = client.get("/duelists/prep_refill")
    assert response.status_code == 200
    page = text(response)
    assert due_today["prep"].client_number in page
    assert due_today["positive"].client_number not in page
    assert "1 client" in page
    assert (due_today["today"] - days(1)).isoformat() in page
    # The PrEP list shows how many months were dispensed last time (the refill to prepare).
    assert "Months dispensed" in page
    assert 'data-label="Months dispensed" class="num">3</td>' in response.get_data(as_text=True)


def test_due_list_pages_filter_by_clinic_and_peer(client, sign_in_as, nurse, make, clinic, other_clinic, due_today):
    sign_in_as(nurse)
    page = text(client.get(f"/duelists/?clinic={other_clinic.id}"))
    assert _figure(page, "prep_refill") == 0
    peer = make.user(role="peer_educator", clinic=clinic)
    page = text(client.get(f"/duelists/?peer={peer.id}"))
    assert _figure(page, "prep_refill") == 0
    due_today["prep"].peer_educator_id = peer.id
    db.session.commit()
    page = text(client.get(f"/duelists/prep_refill?peer={peer.id}"))
    assert due_today["prep"].client_number in page


def test_a_long_list_comes_in_pages_oldest_due_first(history, nurse_actor, clinic):
    people = []
    for offset in range(5):
        person = history.client()
        history.prep(person, date(2026, 6, 1), next_on=date(2026, 10, 1) + days(offset))
        people.append(person)
    settings, filters = DueSettings(today=TODAY), DueFilters(clinic.id)
    pages = [
        due_page(actor=nurse_actor, name="prep_refill", settings=settings, filters=filters, page=n, per_page=2)
        for n in (1, 2, 3)
    ]
    assert [p.total for p in pages] == [5, 5, 5]
    assert [p.pages for p in pages] == [3, 3, 3]
    assert [e.client.id for p in pages for e in p.entries] == [person.id for person in people]
    assert (pages[0].has_prev, pages[0].has_next, pages[2].has_next) == (False, True, False)
    # A page past the end shows the last one.
    beyond = due_page(actor=nurse_actor, name="prep_refill", settings=settings, filters=filters, page=9, per_page=2)
    assert beyond.page == 3 and [e.client.id for e in beyond.entries] == [people[4].id]


@pytest.mark.parametrize("app", [{"DUE_LIST_PAGE_SIZE": 2}], indirect=True)
def test_the_list_page_shows_the_whole_count_and_a_pager(client, sign_in_as, nurse, history):
    today = local_today(history.clinic.timezone)
    people = [history.client() for _ in range(3)]
    for offset, person in enumerate(people):
        history.prep(person, today - days(100), next_on=today - days(10 - offset))
    sign_in_as(nurse)
    first = text(client.get("/duelists/prep_refill"))
    assert "3 clients" in first and "1 to 2 shown, oldest due first" in first and "Page 1 of 2" in first
    assert people[0].client_number in first and people[2].client_number not in first
    second = text(client.get("/duelists/prep_refill?page=2"))
    assert "3 to 3 shown" in second and "Page 2 of 2" in second
    assert people[2].client_number in second and people[0].client_number not in second


@pytest.mark.parametrize("name", list(DUE_LISTS))
def test_every_due_list_page_answers_with_its_clients(client, sign_in_as, nurse, history, due_today, name):
    today = due_today["today"]
    retest = history.client()
    history.hiv(retest, add_months(today, -4))
    screen = history.client()
    history.cervical(screen, today - days(800), today - days(2))
    missed = history.client()
    history.visit(missed, today - days(90), next_appointment_on=today - days(20))
    on_list = {
        "prep_refill": due_today["prep"],
        "hiv_retest": retest,
        "cervical_rescreen": screen,
        "unlinked_positive": due_today["positive"],
        "missed_appointment": missed,
    }
    sign_in_as(nurse)
    assert _figure(text(client.get("/duelists/")), name) == 1
    response = client.get(f"/duelists/{name}")
    assert response.status_code == 200
    page = text(response)
    assert on_list[name].client_number in page
    assert "1 client" in page


def test_unknown_due_list_is_not_found(client, sign_in_as, nurse):
    sign_in_as(nurse)
    assert client.get("/duelists/everyone").status_code == 404


@pytest.mark.parametrize("role", ["peer_educator", "me_officer"])
@pytest.mark.parametrize("path", ["/duelists/", "/duelists/prep_refill"])
def test_due_list_pages_are_refused_to_peer_educators_and_me_officers(client, sign_in_as, make, clinic, role, path):
    sign_in_as(make.user(role=role, clinic=clinic))
    response = client.get(path)
    assert response.status_code == 403


# --------------------------------------------------------------------------- hand check on the demo data
def _expected_lists(settings: DueSettings) -> dict[str, dict]:
    """Each list's {clinic id: {client id: due since}}, worked out client by client from the definitions.

    prep_refill: the latest PrEP event is not a stop and its next appointment is on or before today + due soon.
    hiv_retest: the latest test with a result is negative and that date + retest months is on or before
    today + due soon, or it is inconclusive and that date + 14 days is.
    cervical_rescreen: the latest complete screen has a next date on or before today + due soon.
    unlinked_positive: the latest positive result, and no ART start date at any visit.
    missed_appointment: the latest visit's appointment (the visit's, else its PrEP one) is more than the grace
    days before today. Clients ever positive (a positive result or a stated known positive) are left off the
    PrEP and retest lists. Each client is listed at the clinic of the visit that puts them on the list.
    """
    horizon = settings.today + timedelta(days=settings.due_soon_days)
    lists: dict[str, dict] = {name: {} for name in DUE_LISTS}

    def put(name, visit, since):
        lists[name].setdefault(visit.clinic_id, {})[visit.client_id] = since

    people = db.session.scalars(select(Client).where(Client.merged_into_id.is_(None))).all()
    loaders = [selectinload(getattr(Visit, a)) for a in ("hiv_test", "prep_event", "cervical_screening")]
    for person in people:
        visits = db.session.scalars(select(Visit).where(Visit.client_id == person.id).options(*loaders)).all()
        visits = sorted(visits, key=lambda v: (v.service_date, v.created_at))
        if not visits:
            continue
        tests = [v for v in visits if v.hiv_test is not None]
        ever_positive = any(
            v.hiv_test.final_result == HivResult.POSITIVE
            or v.hiv_test.previous_status == PreviousHivStatus.KNOWN_POSITIVE
            for v in tests
        )
        preps = [v for v in visits if v.prep_event is not None]
        if preps and not ever_positive:
            last = preps[-1]
            due = last.prep_event.next_appointment_on
            if last.prep_event.event != PrepEventType.STOP and due is not None and due <= horizon:
                put("prep_refill", last, due)
        resulted = [v for v in tests if v.hiv_test.final_result is not None]
        if resulted and not ever_positive:
            last = resulted[-1]
            if last.hiv_test.final_result == HivResult.NEGATIVE:
                due = add_months(last.service_date, settings.hiv_retest_months)
            else:
                due = last.service_date + timedelta(days=14)
            if last.hiv_test.final_result in (HivResult.NEGATIVE, HivResult.INCONCLUSIVE) and due <= horizon:
                put("hiv_retest", last, due)
        screens = [v for v in visits if v.cervical_screening is not None and v.cervical_screening.complete]
        if screens:
            last = screens[-1]
            due = last.cervical_screening.next_due_on
            if due is not None and due <= horizon:
                put("cervical_rescreen", last, due)
        positives = [v for v in tests if v.hiv_test.final_result == HivResult.POSITIVE]
        if positives and not any(v.hiv_test.art_started_on for v in tests):
            put("unlinked_positive", positives[-1], positives[-1].service_date)
        last = visits[-1]
        appointment = last.next_appointment_on
        if appointment is None and last.prep_event is not None and last.prep_event.event != PrepEventType.STOP:
            appointment = last.prep_event.next_appointment_on
        if appointment is not None and (settings.today - appointment).days > settings.missed_grace_days:
            put("missed_appointment", last, appointment)
    return lists


@pytest.fixture
def demo(app, demo_data):
    demo_data(150)
    nurse = db.session.scalar(select(User).where(User.username == "nurse"))
    clinics = db.session.scalars(select(Clinic).order_by(Clinic.code)).all()
    last_day = db.session.scalar(select(Visit.service_date).order_by(Visit.service_date.desc()).limit(1))
    return Actor(nurse), clinics, last_day


@pytest.mark.parametrize("days_after_last_visit", [0, 45])
@pytest.mark.parametrize("name", list(DUE_LISTS))
def test_due_lists_on_the_demo_data_match_a_hand_check(demo, name, days_after_last_visit):
    actor, clinics, last_day = demo
    settings = DueSettings(today=last_day + timedelta(days=days_after_last_visit))
    expected = _expected_lists(settings)[name]
    assert len(clinics) == 6  # the five demo sites and Kazungula, a Blue Box the demo knows from the network
    assert sum(len(found) for found in expected.values()) > 0, f"the demo data puts nobody on {name}"
    for clinic in clinics:
        got = due_entries(actor=actor, name=name, settings=settings, filters=DueFilters(clinic.id))
        assert {e.client.id: e.since for e in got} == expected.get(clinic.id, {}), clinic.code
        count = due_counts(actor=actor, settings=settings, filters=DueFilters(clinic.id))[name]
        assert count == len(expected.get(clinic.id, {})), clinic.code


@pytest.mark.parametrize("name", list(DUE_LISTS))
def test_due_lists_on_the_demo_data_match_a_hand_check_for_a_peer_educator(demo, name):
    actor, clinics, last_day = demo
    settings = DueSettings(today=last_day + timedelta(days=30))
    expected = _expected_lists(settings)
    peer = db.session.scalar(select(User).where(User.username == "peer"))
    followed = set(db.session.scalars(select(Client.id).where(Client.peer_educator_id == peer.id)))
    assert followed
    home = next(c for c in clinics if c.id == peer.clinic_id)
    got = due_entries(actor=actor, name=name, settings=settings, filters=DueFilters(home.id, peer.id))
    want = {cid: since for cid, since in expected[name].get(home.id, {}).items() if cid in followed}
    assert {e.client.id: e.since for e in got} == want


def test_counts_follow_a_new_visit_at_once(history, nurse_actor, clinic):
    """The home page's counts are read live from the status rows: a visit just saved is counted."""
    settings, filters = DueSettings(today=TODAY), DueFilters(clinic.id)
    person = history.client()
    history.hiv(person, date(2026, 3, 3))
    assert due_counts(actor=nurse_actor, settings=settings, filters=filters)["hiv_retest"] == 1
    history.hiv(history.client(), date(2026, 3, 4))
    assert due_counts(actor=nurse_actor, settings=settings, filters=filters)["hiv_retest"] == 2
    history.hiv(person, date(2026, 11, 1))  # retested: no longer due
    assert due_counts(actor=nurse_actor, settings=settings, filters=filters)["hiv_retest"] == 1
