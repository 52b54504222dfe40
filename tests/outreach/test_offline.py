"""The peer educator's outbox: entries sent later are stored once, with the page's messages; slips issued
without signal take codes from a block reserved per peer educator (unique, audited, released)."""

import uuid
from datetime import timedelta

from sqlalchemy import select

from clinic_app.extensions import db
from clinic_app.outreach import offline
from clinic_app.outreach.models import OutreachContact, Referral, ReservedCode
from tests.helpers import audit_events, count

CONTACT = {"kind": ["individual"], "hiv_info": ["y"], "male_condoms": ["5"]}


def _send(client, kind: str, key: str, fields: dict, **extra):
    return client.post(f"/outreach/offline/{kind}", json={"uuid": key, "fields": fields, **extra})


def _contact(today, **changes):
    return {**CONTACT, "contact_date": [today.isoformat()], **changes}


# --------------------------------------------------------------------------- exactly once
def test_a_contact_sent_twice_with_its_uuid_is_stored_once_and_answered_the_same(browser, pe, today):
    as_pe, key = browser(pe), str(uuid.uuid4())
    first = _send(as_pe, "contact", key, _contact(today))
    again = _send(as_pe, "contact", key, _contact(today))
    assert first.status_code == again.status_code == 200
    assert first.json["message"] == again.json["message"] == "Contact saved."
    assert (first.json["status"], again.json["status"]) == ("saved", "already")
    (contact,) = db.session.scalars(select(OutreachContact)).all()
    assert contact.submission_key == uuid.UUID(key)
    assert contact.peer_educator_id == pe.id and contact.male_condoms == 5


def test_a_rejected_contact_gets_the_messages_of_the_page_and_nothing_is_stored(browser, pe, today):
    response = _send(browser(pe), "contact", str(uuid.uuid4()), _contact(today, hiv_info=[], male_condoms=[]))
    assert response.status_code == 422
    assert response.json["message"] == "The contact was not saved. Please correct the fields marked below."
    assert response.json["errors"] == [
        {
            "field": "hiv_info",
            "label": "HIV prevention information",
            "message": "Tick what was given or done at this contact.",
        }
    ]
    future = _send(browser(pe), "contact", str(uuid.uuid4()), _contact(today + timedelta(days=1)))
    assert [e["message"] for e in future.json["errors"]] == ["The date is in the future."]
    assert count(OutreachContact) == 0


def test_another_peer_educators_uuid_does_not_return_her_entry(browser, pe, other_pe, today):
    key = str(uuid.uuid4())
    assert _send(browser(pe), "contact", key, _contact(today)).status_code == 200
    response = _send(browser(other_pe), "contact", key, _contact(today))
    assert response.status_code == 422
    assert count(OutreachContact) == 1


def test_an_unreadable_entry_is_refused_without_a_500(browser, pe):
    as_pe = browser(pe)
    for body in ({"uuid": "nope", "fields": {}}, {"fields": "x"}, [], {"uuid": str(uuid.uuid4())}):
        assert as_pe.post("/outreach/offline/contact", json=body).status_code == 400
    assert as_pe.post("/outreach/offline/referral", data="not json").status_code == 400
    assert count(OutreachContact) == 0


# --------------------------------------------------------------------------- code blocks
def test_a_phone_reserves_a_block_of_unique_codes_per_peer_educator_audited(browser, pe, other_pe):
    mine = browser(pe).post("/outreach/offline/codes").json["codes"]
    hers = browser(other_pe).post("/outreach/offline/codes").json["codes"]
    assert len(mine) == len(hers) == offline.BLOCK_SIZE
    codes = [c["code"] for c in mine + hers]
    assert len(set(codes)) == len(codes)
    assert all(
        c["display"] == f"{c['code'][:4]}-{c['code'][4:]}" and c["qr"].startswith("data:image/svg") for c in mine
    )
    rows = db.session.scalars(select(ReservedCode)).all()
    assert {(r.peer_educator_id, r.code) for r in rows} == {(pe.id, c["code"]) for c in mine} | {
        (other_pe.id, c["code"]) for c in hers
    }
    assert [e.detail for e in audit_events("referral.codes_reserve")] == [
        "added=10 released=0 held=10",
        "added=10 released=0 held=10",
    ]
    # Asked again: the same block, nothing added, nothing audited.
    assert browser(pe).post("/outreach/offline/codes").json["codes"] == mine
    assert len(audit_events("referral.codes_reserve")) == 2


def test_a_slip_issued_offline_keeps_its_reserved_code_and_is_stored_once(browser, pe, today):
    as_pe = browser(pe)
    code = as_pe.post("/outreach/offline/codes").json["codes"][0]["code"]
    key, day = str(uuid.uuid4()), (today - timedelta(days=2)).isoformat()
    first = _send(as_pe, "referral", key, {"service": ["prep"]}, code=code, issued_on=day)
    again = _send(as_pe, "referral", key, {"service": ["prep"]}, code=code, issued_on=day)
    assert first.status_code == again.status_code == 200
    assert first.json["code"] == again.json["code"] == f"{code[:4]}-{code[4:]}"
    (referral,) = db.session.scalars(select(Referral)).all()
    assert (referral.code, referral.issued_on.isoformat(), referral.submission_key) == (code, day, uuid.UUID(key))
    assert db.session.scalar(select(ReservedCode).where(ReservedCode.code == code)).referral_id == referral.id
    # The used code is no longer offered; the block is topped up with a new one.
    block = [c["code"] for c in as_pe.post("/outreach/offline/codes").json["codes"]]
    assert code not in block and len(block) == offline.BLOCK_SIZE


def test_a_code_not_reserved_by_her_or_already_used_is_refused_beside_the_field(browser, pe, other_pe):
    hers = browser(other_pe).post("/outreach/offline/codes").json["codes"][0]["code"]
    as_pe = browser(pe)
    refused = _send(as_pe, "referral", str(uuid.uuid4()), {"service": ["sti"]}, code=hers)
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json["errors"]] == ["code"]
    assert "was not reserved on your phone, or it was used or has expired" in refused.json["errors"][0]["message"]
    mine = as_pe.post("/outreach/offline/codes").json["codes"][0]["code"]
    assert _send(as_pe, "referral", str(uuid.uuid4()), {"service": ["sti"]}, code=mine).status_code == 200
    used = _send(as_pe, "referral", str(uuid.uuid4()), {"service": ["sti"]}, code=mine)
    assert used.status_code == 422 and [e["field"] for e in used.json["errors"]] == ["code"]
    assert count(Referral) == 1


def test_a_slip_with_a_bad_client_number_stays_rejected_and_keeps_its_code_for_the_correction(browser, pe):
    as_pe = browser(pe)
    code, key = as_pe.post("/outreach/offline/codes").json["codes"][0]["code"], str(uuid.uuid4())
    rejected = _send(as_pe, "referral", key, {"service": ["prep"], "client_number": ["1234-5678-0"]}, code=code)
    assert rejected.status_code == 422
    assert (
        rejected.json["errors"][0]["message"] == "No client has this number. Check the health card, or leave it empty."
    )
    corrected = _send(as_pe, "referral", key, {"service": ["prep"], "client_number": [""]}, code=code)
    assert corrected.status_code == 200 and corrected.json["code"] == f"{code[:4]}-{code[4:]}"


def test_online_slips_never_take_a_reserved_code(monkeypatch, pe_actor, today):
    from clinic_app.outreach import referrals, services

    block = offline.reserve_codes(actor=pe_actor, today=today, size=1)
    drawn = iter([block.codes[0].code, "23456789"])
    monkeypatch.setattr(referrals, "new_code", lambda: next(drawn))
    referral, _created = services.issue_referral(
        actor=pe_actor, service="prep", client_number=None, submission_key=uuid.uuid4()
    )
    assert referral.code == "23456789"


def test_expired_codes_are_released_after_the_grace_and_all_unused_at_sign_out(browser, pe, pe_actor, today):
    offline.reserve_codes(actor=pe_actor, today=today - timedelta(days=offline.CODE_DAYS + offline.GRACE_DAYS + 1))
    block = offline.reserve_codes(actor=pe_actor, today=today)
    assert (block.released, block.added, len(block.codes)) == (
        offline.BLOCK_SIZE,
        offline.BLOCK_SIZE,
        offline.BLOCK_SIZE,
    )
    as_pe = browser(pe)
    as_pe.post("/auth/logout")
    assert count(ReservedCode) == 0
    assert [e.detail for e in audit_events("referral.codes_release")] == [f"released={offline.BLOCK_SIZE}"]


# --------------------------------------------------------------------------- the installable app
def test_the_app_manifest_and_service_worker_are_served_from_the_app(browser, pe):
    as_pe = browser(pe)
    manifest = as_pe.get("/outreach/app.webmanifest")
    assert manifest.status_code == 200 and manifest.mimetype == "application/manifest+json"
    assert manifest.json["start_url"] == "/outreach/" and manifest.json["display"] == "standalone"
    assert all(icon["src"].startswith("/static/") for icon in manifest.json["icons"])
    worker = as_pe.get("/outreach/sw.js")
    assert worker.status_code == 200 and worker.mimetype == "text/javascript"
    body = worker.get_data(as_text=True)
    assert '"/outreach/contacts/new"' in body and '"/outreach/referrals/new"' in body
    assert "http" not in body.replace("self.location.origin", "")  # same origin only, no CDN
    for path in ("/static/icons/bluebox-192.png", "/static/js/offline.js"):
        response = as_pe.get(path)
        assert response.status_code == 200
        response.close()
