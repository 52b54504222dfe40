"""Opening a case, who sees it, consent, steps, follow-ups and closing."""

import uuid
from datetime import date

import pytest

from clinic_app.core.actor import Actor
from clinic_app.core.errors import Invalid, NotAllowed
from clinic_app.crisis import lists, services
from clinic_app.crisis.access import open_case as read_case
from clinic_app.crisis.alerts import alert_text
from clinic_app.crisis.models import ActionKind, ActionStatus, CaseStatus, ConsentPurpose, CrisisCase, SurvivorKind
from clinic_app.extensions import db
from tests.crisis.conftest import NOW
from tests.helpers import audit_events, text


def test_a_registered_survivor_is_found_by_health_card_number_or_uic(make, clinic, peer, open_case):
    client = make.client(clinic=clinic)
    by_number = open_case(peer, survivor_kind="registered", client_number=client.client_number)
    by_uic = open_case(peer, survivor_kind="registered", uic=client.uic.lower())
    assert by_number.client_id == client.id == by_uic.client_id


def test_every_error_of_the_first_form_comes_in_one_round_and_nothing_is_saved(peer, open_case):
    with pytest.raises(Invalid) as caught:
        open_case(peer, survivor_kind="registered", client_number="999", violations=[], incident_on=date(2027, 1, 1))
    assert set(caught.value.field_errors) == {"client_number", "violations", "incident_on"}
    assert db.session.query(CrisisCase).count() == 0


def test_without_consent_to_keep_the_record_nothing_points_to_the_survivor(make, clinic, peer, open_case):
    client = make.client(clinic=clinic)
    case = open_case(
        peer,
        survivor_kind="registered",
        client_number=client.client_number,
        keep_record=False,
        narrative="He hit me behind the Shell garage",
        place_text="behind the Shell garage",
    )
    assert case.survivor_kind == SurvivorKind.ANONYMOUS
    assert (case.client_id, case.narrative, case.place_text) == (None, None, None)
    assert not case.has_consent(ConsentPurpose.KEEP_RECORD)


def test_withdrawing_consent_to_keep_the_record_anonymises_the_case(make, clinic, peer, open_case):
    client = make.client(clinic=clinic)
    case = open_case(peer, survivor_kind="registered", client_number=client.client_number, narrative="At the lodge")
    assert case.has_consent(ConsentPurpose.KEEP_RECORD)
    services.revoke_consent(actor=Actor(peer), case_id=case.id, purpose="keep_record")
    db.session.expire_all()
    case = db.session.get(CrisisCase, case.id)
    assert (case.survivor_kind, case.client_id, case.narrative) == (SurvivorKind.ANONYMOUS, None, None)
    withdrawn = [c for c in case.consents if c.purpose == ConsentPurpose.KEEP_RECORD]
    assert withdrawn[0].revoked_at is not None and withdrawn[0].revoked_by_id == peer.id
    assert [e.detail for e in audit_events("crisis.consent_revoke")] == ["purpose=keep_record"]


def test_advocacy_consent_is_given_and_withdrawn_with_times(peer, open_case):
    case = open_case(peer)
    actor = Actor(peer)
    services.give_consent(actor=actor, case_id=case.id, purpose="advocacy")
    assert case.has_consent(ConsentPurpose.ADVOCACY)
    services.revoke_consent(actor=actor, case_id=case.id, purpose="advocacy")
    assert not case.has_consent(ConsentPurpose.ADVOCACY)
    services.give_consent(actor=actor, case_id=case.id, purpose="advocacy")
    rows = [c for c in case.consents if c.purpose == ConsentPurpose.ADVOCACY]
    assert [c.revoked_at is None for c in rows] == [False, True]


def test_a_referral_needs_the_survivors_consent_to_that_referral(peer, open_case):
    case = open_case(peer)
    actor = Actor(peer)
    refer = services.ActionInput(kind="police_report", status="referred", police_case_number="CR 12/11/2026")
    with pytest.raises(Invalid) as caught:
        services.record_action(actor=actor, case_id=case.id, data=refer)
    assert "status" in caught.value.field_errors
    services.give_consent(actor=actor, case_id=case.id, purpose="refer_police")
    action = services.record_action(actor=actor, case_id=case.id, data=refer)
    assert (action.status, action.police_case_number) == (ActionStatus.REFERRED, "CR 12/11/2026")


def test_sexual_violence_starts_a_pep_step_that_recording_pep_completes(peer, open_case):
    case = open_case(peer, violations=["sexual", "physical"])
    [pep] = case.actions
    assert (pep.kind, pep.status) == (ActionKind.PEP, None)
    services.record_action(actor=Actor(peer), case_id=case.id, data=services.ActionInput(kind="pep", status="provided"))
    assert [(a.kind, a.status) for a in case.actions] == [(ActionKind.PEP, ActionStatus.PROVIDED)]


def test_police_among_perpetrators_restricts_the_case_to_coordinator_and_assigned(make, clinic, coordinator, open_case):
    reporter = make.user(role="peer_educator", clinic=clinic)
    other_peer = make.user(role="peer_educator", clinic=clinic)
    nurse = make.user(role="nurse", clinic=clinic)
    case = open_case(reporter, perpetrators=["police"])
    assert case.restricted
    for outsider in (other_peer, nurse):
        with pytest.raises(NotAllowed):
            read_case(Actor(outsider), case.id, "responding")
    # The one who opened it responds to it until the coordinator takes her off.
    assert read_case(Actor(reporter), case.id, "responding") is case
    services.end_assignment(actor=Actor(coordinator), case_id=case.id, user_id=reporter.id)
    with pytest.raises(NotAllowed):
        read_case(Actor(reporter), case.id, "responding")
    services.assign_responder(actor=Actor(coordinator), case_id=case.id, user_id=nurse.id)
    assert read_case(Actor(nurse), case.id, "follow_up") is case


def test_every_open_of_a_restricted_case_needs_a_reason_and_is_audited_with_it(coordinator, peer, open_case):
    case = open_case(peer, perpetrators=["police", "client"])
    assert read_case(Actor(coordinator), case.id, None) is None
    assert read_case(Actor(coordinator), case.id, "made-up") is None
    assert read_case(Actor(coordinator), case.id, "review") is case
    assert [e.detail for e in audit_events("crisis.view_restricted")] == ["reason=review"]


def test_a_peer_educator_sees_the_cases_she_opened_or_is_assigned_to(make, clinic, coordinator, peer, open_case):
    colleague = make.user(role="peer_educator", clinic=clinic)
    mine = open_case(peer)
    theirs = open_case(colleague)
    shared = open_case(colleague)
    services.assign_responder(actor=Actor(coordinator), case_id=shared.id, user_id=peer.id)
    seen = {row.case.id for row in lists.case_list(actor=Actor(peer))}
    assert seen == {mine.id, shared.id}
    everything = {row.case.id for row in lists.case_list(actor=Actor(coordinator))}
    assert everything == {mine.id, theirs.id, shared.id}


def test_another_clinics_coordinator_sees_none_of_our_cases(make, other_clinic, peer, open_case):
    elsewhere = make.user(role="crt_coordinator", clinic=other_clinic)
    case = open_case(peer)
    assert lists.case_list(actor=Actor(elsewhere)) == []
    with pytest.raises(Exception):  # noqa: B017 (NotFound: another clinic's case does not exist for her)
        read_case(Actor(elsewhere), case.id, None)


def test_pep_window_cases_come_first_on_the_coordinators_list(coordinator, peer, open_case):
    physical = open_case(peer)
    late = open_case(peer, violations=["sexual"], incident_on=date(2026, 11, 10))
    urgent = open_case(peer, violations=["sexual"])
    rows = lists.case_list(actor=Actor(coordinator), now=NOW)
    assert [r.case.id for r in rows][0] == urgent.id
    assert {r.case.id for r in rows} == {physical.id, late.id, urgent.id}


def test_follow_ups_are_on_the_assignees_and_the_coordinators_lists(make, clinic, coordinator, peer, open_case):
    case = open_case(peer)
    follow_up = services.add_follow_up(
        actor=Actor(peer), case_id=case.id, due_on=date(2026, 11, 22), assigned_to_id=peer.id, today=date(2026, 11, 20)
    )
    assert lists.follow_up_list(actor=Actor(peer)) == [follow_up]
    assert lists.follow_up_list(actor=Actor(coordinator)) == [follow_up]
    with pytest.raises(Invalid):
        services.close_case(actor=Actor(coordinator), case_id=case.id, data=services.CloseInput(outcome="resolved"))
    services.complete_follow_up(actor=Actor(peer), follow_up_id=follow_up.id)
    assert lists.follow_up_list(actor=Actor(peer)) == []
    services.close_case(
        actor=Actor(coordinator),
        case_id=case.id,
        data=services.CloseInput(outcome="resolved", perpetrator_outcome="charged", court_case=True),
    )
    assert (case.status, case.court_case) == (CaseStatus.CLOSED, True)


def test_only_the_coordinator_closes_a_case(peer, open_case):
    case = open_case(peer)
    with pytest.raises(NotAllowed):
        services.close_case(actor=Actor(peer), case_id=case.id, data=services.CloseInput(outcome="resolved"))


def test_the_alert_text_names_no_survivor_number_uic_or_exact_place(make, clinic, peer, open_case):
    client = make.client(clinic=clinic, alias="Sweetie")
    case = open_case(
        peer,
        survivor_kind="registered",
        client_number=client.client_number,
        violations=["sexual"],
        place_text="room 4 of the Sunrise lodge",
        town="Beitbridge",
        safe_now=False,
    )
    alert = alert_text(case, NOW)
    assert alert.startswith(f"Case {case.reference} at Beitbridge: sexual violence 10 h ago.")
    assert "PEP" in alert and "medical care" in alert and "Not safe now." in alert
    for secret in (client.client_number, client.uic, "Sweetie", "Sunrise", "room 4"):
        assert secret not in alert


def test_the_case_page_shows_no_hiv_status_to_a_peer_educator(make, clinic, client, sign_in_as, peer, open_case):
    from clinic_app.screening.models import HivResult, HivTest, PreviousHivStatus

    survivor = make.client(clinic=clinic)
    visit = make.visit(client=survivor)
    db.session.add(
        HivTest(
            clinic_id=clinic.id,
            visit_id=visit.id,
            previous_status=PreviousHivStatus.KNOWN_POSITIVE,
            final_result=HivResult.POSITIVE,
        )
    )
    db.session.commit()
    case = open_case(peer, survivor_kind="registered", client_number=survivor.client_number)
    sign_in_as(peer)
    page = client.get(f"/crisis/cases/{case.id}")
    assert page.status_code == 200
    shown = text(page)
    assert case.reference in shown
    assert "HIV" not in shown and "Positive" not in shown


def test_a_peer_educator_opens_a_case_from_the_phone_form(client, sign_in_as, peer):
    sign_in_as(peer)
    form = client.get("/crisis/new")
    assert form.status_code == 200
    response = client.post(
        "/crisis/new",
        data={
            "submission_key": str(uuid.uuid4()),
            "survivor_kind": "unregistered",
            "alias": "Lulu",
            "violations": ["sexual"],
            "perpetrators": ["client"],
            "incident_on": "2026-11-20",
            "incident_time": "02:30",
            "channel": "peer",
            "safe_now": "yes",
            "keep_record": "y",
        },
    )
    assert response.status_code == 302
    case = db.session.query(CrisisCase).one()
    assert (case.survivor_alias, case.reported_by_id, case.safe_now) == ("Lulu", peer.id, True)
    page = client.get(response.headers["Location"])
    assert "PEP clock" in text(page)


def test_a_form_error_keeps_the_entries_and_answers_422(client, sign_in_as, peer):
    sign_in_as(peer)
    response = client.post(
        "/crisis/new",
        data={"submission_key": str(uuid.uuid4()), "survivor_kind": "unregistered", "incident_on": "2026-11-20"},
    )
    assert response.status_code == 422
    assert "Tick what happened" in text(response)
    assert db.session.query(CrisisCase).count() == 0


def test_pages_refuse_a_case_the_user_may_not_open_without_saying_it_exists(
    make, clinic, client, sign_in_as, peer, open_case
):
    colleague = make.user(role="peer_educator", clinic=clinic)
    theirs = open_case(colleague, narrative="At the bus rank")
    restricted = open_case(colleague, perpetrators=["police"])
    sign_in_as(peer)
    for case in (theirs, restricted):
        page = client.get(f"/crisis/cases/{case.id}?reason=responding")
        assert page.status_code == 404
        assert case.reference not in text(page)
    listing = text(client.get("/crisis/"))
    assert theirs.reference not in listing and restricted.reference not in listing


def test_the_coordinator_gives_a_reason_before_a_restricted_case_shows(
    client, sign_in_as, coordinator, peer, open_case
):
    case = open_case(peer, perpetrators=["police"], narrative="The officer took her money")
    sign_in_as(coordinator)
    asked = client.get(f"/crisis/cases/{case.id}")
    assert asked.status_code == 200
    assert "Why do you open this case?" in text(asked)
    assert "took her money" not in text(asked)
    shown = client.get(f"/crisis/cases/{case.id}?reason=review")
    assert "took her money" in text(shown)
    assert "Alert for the CRT group" in text(shown)


def test_the_new_visit_form_tells_the_nurse_about_the_open_case(
    make, client, sign_in_as, clinic, nurse, peer, open_case
):
    survivor = make.client(clinic=clinic)
    case = open_case(peer, survivor_kind="registered", client_number=survivor.client_number, violations=["sexual"])
    sign_in_as(nurse)
    page = text(client.get(f"/visits/for/{survivor.id}/new"))
    assert "Open crisis case of this client" in page and case.reference in page


def test_adding_police_among_perpetrators_later_restricts_the_case(make, clinic, client, sign_in_as, peer, open_case):
    colleague = make.user(role="peer_educator", clinic=clinic)
    case = open_case(colleague, perpetrators=["client"])
    services.assign_responder(
        actor=Actor(make.user(role="crt_coordinator", clinic=clinic)), case_id=case.id, user_id=peer.id
    )
    sign_in_as(peer)
    form = client.get(f"/crisis/cases/{case.id}/edit")
    assert form.status_code == 200
    response = client.post(
        f"/crisis/cases/{case.id}/edit",
        data={
            "survivor_kind": "anonymous",
            "violations": ["physical", "extortion"],
            "perpetrators": ["client", "police"],
            "incident_on": "2026-11-19",
            "channel": "hotline",
            "safe_now": "no",
            "injured": "unknown",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    case = db.session.get(CrisisCase, case.id)
    assert case.restricted and case.safe_now is False
    # The colleague who opened it is still assigned; nobody else but the coordinator and responders opens it.
    stranger = make.user(role="peer_educator", clinic=clinic)
    with pytest.raises(NotAllowed):
        read_case(Actor(stranger), case.id, "responding")
