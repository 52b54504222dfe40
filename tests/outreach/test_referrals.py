"""Referral slips: the codes, issuing them, the loop closed at the visit, and redemptions refused."""

import re
import uuid
from collections import Counter
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from clinic_app.extensions import db
from clinic_app.outreach import referrals
from clinic_app.outreach.models import Referral
from clinic_app.outreach.services import issue_referral
from clinic_app.visits.models import Visit
from clinic_app.visits.services import VisitInput, record_visit, update_visit
from tests.helpers import count, form_state, text
from tests.outreach.pages import figures_shown, new_key, peer_row, visit_form

TODAY = date(2026, 11, 20)


def issue(actor, *, today=TODAY, client=None, valid_days=30, service="hiv_test") -> Referral:
    referral, created = issue_referral(
        actor=actor,
        service=service,
        client_number=client.client_number if client else None,
        submission_key=uuid.uuid4(),
        valid_days=valid_days,
        today=today,
    )
    assert created
    return referral


def redeem(actor, client, code, day, *, visit_type="new", today=TODAY) -> Visit:
    data = VisitInput(service_date=day, visit_type=visit_type, reasons=["hiv_testing"], referral_code=code)
    return record_visit(actor=actor, client=client, data=data, today=today)


# --------------------------------------------------------------------------- the codes
def test_code_is_eight_characters_of_the_alphabet_without_look_alikes():
    assert not set("0O1IL") & set(referrals.ALPHABET)
    assert len(set(referrals.ALPHABET)) == len(referrals.ALPHABET) == 31
    for _ in range(200):
        code = referrals.new_code()
        assert len(code) == 8
        assert set(code) <= set(referrals.ALPHABET)
        assert re.fullmatch(
            r"[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{4}-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{4}", referrals.display_code(code)
        )
        assert referrals.display_code(code).replace("-", "") == code


@pytest.mark.parametrize("typed", ["k7mq-4xp9", "K7MQ4XP9", "k7mq4xp9", " K7MQ 4XP9 ", "K7MQ-4XP9"])
def test_typed_code_is_read_whatever_the_case_dashes_or_spaces(typed):
    assert referrals.normalise_code(typed) == "K7MQ4XP9"


@pytest.mark.parametrize("typed", ["K7MQ-4XP", "K7MQ-4XP99", "K7MQ-4XP0", "K7MQ-4XPO", "K7MQ-4XPI", "K7MQ-4XPL", ""])
def test_text_that_cannot_be_a_code_is_not_read_as_one(typed):
    assert referrals.normalise_code(typed) is None


@pytest.fixture(scope="module")
def many_codes():
    return [referrals.new_code() for _ in range(20_000)]


def test_twenty_thousand_codes_are_all_different(many_codes):
    assert len(set(many_codes)) == len(many_codes)


def test_every_position_uses_the_whole_alphabet_evenly(many_codes):
    expected = len(many_codes) / len(referrals.ALPHABET)
    for position in range(referrals.CODE_LENGTH):
        seen = Counter(code[position] for code in many_codes)
        assert set(seen) == set(referrals.ALPHABET), position
        chi_square = sum((seen[ch] - expected) ** 2 / expected for ch in referrals.ALPHABET)
        # 30 degrees of freedom: P(chi-square > 120) is about 1e-12 for a uniform draw.
        assert chi_square < 120, (position, chi_square)


def _as_number(code: str) -> int:
    value = 0
    for ch in code:
        value = value * len(referrals.ALPHABET) + referrals.ALPHABET.index(ch)
    return value


def test_slips_issued_one_after_another_share_no_structure(pe_actor):
    codes = [issue(pe_actor).code for _ in range(50)]
    assert len(set(codes)) == 50
    same_places = sum(sum(a == b for a, b in zip(x, y, strict=True)) for x, y in zip(codes, codes[1:], strict=False))
    # Random codes share about 8/31 places per pair (13 over 49 pairs); counted codes share nearly all.
    assert same_places < 60
    steps = {_as_number(y) - _as_number(x) for x, y in zip(codes, codes[1:], strict=False)}
    assert len(steps) > 40
    assert codes != sorted(codes)
    assert len({code[0] for code in codes}) > 5
    assert len({code[-1] for code in codes}) > 5


def test_unique_code_draws_again_when_the_code_is_taken(pe_actor, monkeypatch):
    taken = issue(pe_actor).code
    fresh = next(c for c in iter(referrals.new_code, None) if c != taken)
    drawn = iter([taken, fresh])
    calls = []

    def fake_new_code():
        calls.append(1)
        return next(drawn)

    monkeypatch.setattr(referrals, "new_code", fake_new_code)
    referral = issue(pe_actor)
    assert referral.code == fresh
    assert len(calls) == 2
    assert count(Referral) == 2


# --------------------------------------------------------------------------- issuing
def test_slip_is_valid_for_the_configured_days(pe_actor):
    referral = issue(pe_actor, today=TODAY, valid_days=30)
    assert (referral.issued_on, referral.expires_on) == (TODAY, TODAY + timedelta(days=30))
    assert referral.peer_educator_id == pe_actor.id
    assert referral.visit_id is None and referral.completed_on is None


def test_peer_educator_issues_a_slip_and_sees_its_code(app, browser, pe, today):
    as_pe = browser(pe)
    response = as_pe.post("/outreach/referrals/new", data={"service": "prep", "submission_key": new_key()})
    assert response.status_code == 302
    referral = db.session.scalars(select(Referral)).one()
    assert response.headers["Location"] == f"/outreach/referrals/{referral.id}"
    page = text(as_pe.get(response.headers["Location"]))
    assert "Referral issued. Show or print the slip." in page
    assert referrals.display_code(referral.code) in page
    assert re.search(r"\b[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}\b", page)
    assert "PrEP" in page
    expires = (today + timedelta(days=app.config["REFERRAL_VALID_DAYS"])).isoformat()
    assert f"Valid until {expires}" in page
    assert referral.issued_on == today


def test_slip_for_an_unknown_client_number_is_not_issued(browser, pe):
    response = browser(pe).post(
        "/outreach/referrals/new", data={"service": "sti", "client_number": "1234-5678-0", "submission_key": new_key()}
    )
    assert response.status_code == 422
    state = form_state(response)
    assert state.errors["client_number"] == ["No client has this number. Check the health card, or leave it empty."]
    assert state.values["client_number"] == "1234-5678-0"
    assert count(Referral) == 0


def test_slip_needs_the_service(browser, pe):
    response = browser(pe).post("/outreach/referrals/new", data={"service": "", "submission_key": new_key()})
    assert response.status_code == 422
    assert "service" in form_state(response).errors
    assert count(Referral) == 0


def test_same_referral_form_sent_twice_gives_the_same_slip_once(browser, pe):
    as_pe = browser(pe)
    data = {"service": "hiv_test", "submission_key": new_key()}
    first = as_pe.post("/outreach/referrals/new", data=data)
    assert "Referral issued. Show or print the slip." in text(as_pe.get(first.headers["Location"]))
    second = as_pe.post("/outreach/referrals/new", data=data)
    assert second.status_code == 302
    assert second.headers["Location"] == first.headers["Location"]
    page = text(as_pe.get(second.headers["Location"]))
    assert "This was already saved; it was not stored twice." in page
    assert count(Referral) == 1


def test_resubmitted_referral_returns_the_row_already_saved(pe_actor):
    key = uuid.uuid4()
    first, created = issue_referral(actor=pe_actor, service="prep", client_number=None, submission_key=key, today=TODAY)
    again, created_again = issue_referral(
        actor=pe_actor, service="prep", client_number=None, submission_key=key, today=TODAY
    )
    assert (created, created_again) == (True, False)
    assert again.id == first.id and again.code == first.code
    assert count(Referral) == 1


# --------------------------------------------------------------------------- the loop, through the pages
@pytest.mark.parametrize("spelling", ["lower-with-dash", "lower-no-dash"])
def test_referral_closes_the_loop_from_slip_to_visit_to_figures(browser, pe, nurse, person, today, spelling):
    client = person(alias="Sisi")
    as_pe, as_nurse = browser(pe), browser(nurse)
    issued = as_pe.post("/outreach/referrals/new", data={"service": "hiv_test", "submission_key": new_key()})
    referral = db.session.scalars(select(Referral)).one()
    shown = referrals.display_code(referral.code)
    typed = shown.lower() if spelling == "lower-with-dash" else shown.lower().replace("-", "")

    recorded = as_nurse.post(f"/visits/for/{client.id}/new", data=visit_form(today, referral_code=typed))
    assert recorded.status_code == 302, form_state(recorded).errors
    visit = db.session.scalars(select(Visit)).one()
    db.session.refresh(referral)
    assert referral.visit_id == visit.id
    assert referral.completed_on == visit.service_date == today
    assert referral.visit.client_id == client.id  # the client who came, through the linked visit
    assert visit.referral_code == referral.code

    slip = text(as_pe.get(issued.headers["Location"]))
    assert f"Used on {today.isoformat()}" in slip

    period = {"start": today.isoformat(), "end": today.isoformat()}
    mine = figures_shown(as_pe.get("/outreach/figures", query_string=period))
    clinic_wide = as_nurse.get("/outreach/figures", query_string=period)
    assert "Outreach and referrals at Beitbridge" in text(clinic_wide)
    for shown_figures in (mine, figures_shown(clinic_wide)):
        assert shown_figures["referrals issued"] == "1"
        assert shown_figures["referrals completed"] == "1"
        assert shown_figures["completion rate"] == "100%"
        assert shown_figures["median days from referral to visit"] == "0"
        assert shown_figures["new clients recruited"] == "1"
    row = peer_row(clinic_wide, "Thandi Moyo")
    assert (row["Issued"], row["Completed"], row["Rate"], row["Mean days"], row["New clients"]) == (
        "1",
        "1",
        "100%",
        "0",
        "1",
    )


def test_figures_show_the_days_from_referral_to_visit(browser, pe, pe_actor, nurse, person, today):
    client = person()
    referral = issue(pe_actor, today=today - timedelta(days=3))
    as_nurse = browser(nurse)
    response = as_nurse.post(f"/visits/for/{client.id}/new", data=visit_form(today, referral_code=referral.code))
    assert response.status_code == 302
    period = {"start": (today - timedelta(days=10)).isoformat(), "end": today.isoformat()}
    mine = figures_shown(browser(pe).get("/outreach/figures", query_string=period))
    assert mine["median days from referral to visit"] == "3"
    assert (mine["referrals issued"], mine["referrals completed"], mine["completion rate"]) == ("1", "1", "100%")
    clinic_wide = as_nurse.get("/outreach/figures", query_string=period)
    assert figures_shown(clinic_wide)["median days from referral to visit"] == "3"
    assert peer_row(clinic_wide, "Thandi Moyo")["Mean days"] == "3"


def test_referral_completed_at_a_return_visit_is_not_a_new_client(pe_actor, nurse_actor, person, make, nurse):
    from clinic_app.outreach.figures import loop_figures

    returning, newcomer = person(mother="RE"), person(mother="NE")
    make.visit(client=returning, recorded_by=nurse, service_date=TODAY - timedelta(days=60))
    first, second = issue(pe_actor, today=TODAY - timedelta(days=4)), issue(pe_actor, today=TODAY - timedelta(days=2))
    issue(pe_actor, today=TODAY - timedelta(days=1))  # not redeemed
    redeem(nurse_actor, returning, first.code, TODAY - timedelta(days=2), visit_type="return")
    redeem(nurse_actor, newcomer, second.code, TODAY, visit_type="new")
    total, _per_peer = loop_figures(actor=nurse_actor, start=TODAY - timedelta(days=30), end=TODAY)
    assert (total.referrals_issued, total.referrals_completed, total.new_clients) == (3, 2, 1)
    assert total.completion_rate == pytest.approx(2 / 3)
    assert total.mean_days == 2.0 and total.median_days == 2.0


# --------------------------------------------------------------------------- redemptions refused at the visit
REFUSED = ["unknown", "used", "issued-after-the-visit", "for-another-client"]


@pytest.fixture
def refused_case(request, pe_actor, nurse_actor, person, today):
    """(the client, the code to type, the visit date, its type, the message beside the code field)."""
    client, other = person(mother="CL"), person(mother="OT")
    case = request.param
    if case == "unknown":
        code = referrals.new_code()
        return (
            client,
            referrals.display_code(code),
            today,
            "new",
            "No referral slip has this code. Check the 8 letters and digits with the client.",
        )
    if case == "used":
        referral = issue(pe_actor, today=today - timedelta(days=5))
        redeem(nurse_actor, client, referral.code, today - timedelta(days=3), today=today)
        used_on = (today - timedelta(days=3)).isoformat()
        # the client's second visit, with the slip the first one used
        return client, referral.code.lower(), today, "return", f"This referral code was already used on {used_on}."
    if case == "issued-after-the-visit":
        referral = issue(pe_actor, today=today)
        return (
            client,
            referral.code,
            today - timedelta(days=1),
            "new",
            f"This slip was issued on {today.isoformat()}, after the date of this visit.",
        )
    referral = issue(pe_actor, today=today, client=other)
    return client, referral.code, today, "new", "This slip was issued for another client."


@pytest.mark.parametrize("refused_case", REFUSED, indirect=True)
def test_refused_code_is_shown_beside_the_code_field_and_nothing_is_saved(browser, nurse, refused_case):
    client, code, day, visit_type, message = refused_case
    visits_before = count(Visit)
    completed_before = {r.id: (r.visit_id, r.completed_on, r.client_id) for r in db.session.scalars(select(Referral))}
    response = browser(nurse).post(
        f"/visits/for/{client.id}/new",
        data=visit_form(day, visit_type=visit_type, referral_code=code, notes="kept note"),
    )
    assert response.status_code == 422
    state = form_state(response)
    assert state.errors["referral_code"] == [message]
    assert state.values["referral_code"] == code
    assert state.values["notes"].strip() == "kept note"
    assert count(Visit) == visits_before
    db.session.expire_all()
    assert {r.id: (r.visit_id, r.completed_on, r.client_id) for r in db.session.scalars(select(Referral))} == (
        completed_before
    )


def test_slip_past_its_validity_still_closes_the_loop_and_is_marked_late(browser, nurse, pe_actor, person, today):
    referral = issue(pe_actor, today=today - timedelta(days=40), valid_days=30)
    client = person(mother="LT")
    response = browser(nurse).post(
        f"/visits/for/{client.id}/new", data=visit_form(today, visit_type="new", referral_code=referral.code)
    )
    assert response.status_code == 302
    db.session.expire_all()
    referral = db.session.get(Referral, referral.id)
    assert referral.completed_on == today and referral.visit_id is not None
    assert referral.completed_late


def test_slip_is_redeemable_on_the_day_it_is_issued_and_on_the_day_it_expires(pe_actor, nurse_actor, person):
    early, late = issue(pe_actor, today=TODAY - timedelta(days=30)), issue(pe_actor, today=TODAY - timedelta(days=30))
    redeem(nurse_actor, person(mother="EA"), early.code, TODAY - timedelta(days=30))
    redeem(nurse_actor, person(mother="LA"), late.code, TODAY)
    assert early.completed_on == TODAY - timedelta(days=30)
    assert late.completed_on == late.expires_on == TODAY


def test_slip_issued_for_a_client_is_redeemed_by_that_client(pe_actor, nurse_actor, person):
    client = person()
    referral = issue(pe_actor, client=client)
    visit = redeem(nurse_actor, client, referral.code, TODAY)
    assert (referral.visit_id, referral.client_id) == (visit.id, client.id)


# --------------------------------------------------------------------------- correcting the code on a visit
@pytest.fixture
def redeemed(browser, nurse, pe_actor, person, today):
    """A visit recorded through the form with slip A; slip B is still open."""
    client = person()
    first, second = issue(pe_actor, today=today - timedelta(days=2)), issue(pe_actor, today=today - timedelta(days=2))
    as_nurse = browser(nurse)
    response = as_nurse.post(f"/visits/for/{client.id}/new", data=visit_form(today, referral_code=first.code))
    assert response.status_code == 302
    visit = db.session.scalars(select(Visit)).one()
    return as_nurse, visit, first, second


def test_removing_the_code_from_a_visit_releases_the_slip(redeemed, today):
    as_nurse, visit, first, _second = redeemed
    response = as_nurse.post(f"/visits/{visit.id}/edit", data=visit_form(today, referral_code=""))
    assert response.status_code == 302
    db.session.expire_all()
    assert (first.visit_id, first.completed_on) == (None, None)
    assert visit.referral_code is None


def test_changing_the_code_on_a_visit_releases_the_first_slip_and_completes_the_new_one(redeemed, today):
    as_nurse, visit, first, second = redeemed
    typed = referrals.display_code(second.code).lower()
    response = as_nurse.post(f"/visits/{visit.id}/edit", data=visit_form(today, referral_code=typed))
    assert response.status_code == 302
    db.session.expire_all()
    assert (first.visit_id, first.completed_on) == (None, None)
    assert (second.visit_id, second.completed_on, second.visit.client_id) == (visit.id, today, visit.client_id)
    assert visit.referral_code == second.code


def test_saving_a_visit_again_with_the_same_code_keeps_the_slip_completed(redeemed, today):
    as_nurse, visit, first, _second = redeemed
    response = as_nurse.post(f"/visits/{visit.id}/edit", data=visit_form(today, referral_code=first.code, notes="x"))
    assert response.status_code == 302
    db.session.expire_all()
    assert (first.visit_id, first.completed_on) == (visit.id, today)


def test_slip_released_by_a_correction_can_be_redeemed_by_the_client_it_belongs_to(pe_actor, nurse_actor, person):
    """The nurse typed the slip on the wrong client's visit, then corrected it: the rightful client can use it."""
    wrong, rightful = person(mother="WR"), person(mother="RI")
    referral = issue(pe_actor, today=TODAY - timedelta(days=2))  # issued without a client
    visit = redeem(nurse_actor, wrong, referral.code, TODAY - timedelta(days=1))
    data = VisitInput(service_date=visit.service_date, visit_type="new", reasons=["hiv_testing"], referral_code=None)
    update_visit(actor=nurse_actor, visit=visit, data=data, today=TODAY)
    db.session.expire_all()
    assert referral.visit_id is None
    visit_of_rightful = redeem(nurse_actor, rightful, referral.code, TODAY)
    assert (referral.visit_id, referral.visit.client_id) == (visit_of_rightful.id, rightful.id)
    assert referral.client_id is None  # still issued for nobody in particular
