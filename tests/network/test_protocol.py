"""Signing and framing of sync requests, and what a clinic's writes leave in its outbox."""

import uuid

import pytest
from sqlalchemy import select

from clinic_app.clients.services import ClientDetails, update_client
from clinic_app.extensions import db
from clinic_app.network import protocol, transport
from clinic_app.network.models import ClientCorrection, NodeLink, OutboxEntry
from clinic_app.network.tables import BY_NAME, SYNCED, row_payload


def _message(body: bytes, counter: int = 7) -> bytes:
    return protocol.canonical(
        hub_id="hub", method="POST", path="/network/api/push", clinic_id="c", counter=counter, body=body
    )


def test_a_signature_covers_the_body_and_the_counter():
    private, public = protocol.new_key_pair()
    body = protocol.encode({"records": []})
    signature = protocol.sign(private, _message(body))
    assert protocol.verify(public, _message(body), signature)
    assert not protocol.verify(public, _message(body + b"x"), signature)
    assert not protocol.verify(public, _message(body, counter=8), signature)
    _other_private, other_public = protocol.new_key_pair()
    assert not protocol.verify(other_public, _message(body), signature)
    assert not protocol.verify(public, _message(body), "not base64!")


def test_payloads_round_trip_compressed_and_garbage_is_refused():
    assert protocol.decode(protocol.encode({"a": [1, "b"]})) == {"a": [1, "b"]}
    with pytest.raises(ValueError):
        protocol.decode(b"plain text")


@pytest.mark.parametrize("url", ["http://hub.example.org", "ftp://hub", "hub.example.org", "http://10.0.0.5:8000"])
def test_the_hub_is_reached_over_https_only(url):
    with pytest.raises(ValueError):
        transport.check_hub_url(url)


def test_https_and_loopback_hub_addresses_are_accepted():
    assert transport.check_hub_url("https://hub.example.org/") == "https://hub.example.org"
    assert transport.check_hub_url("http://127.0.0.1:8123") == "http://127.0.0.1:8123"


def _enrolled(clinic):
    db.session.add(
        NodeLink(
            id=1,
            hub_url="https://hub.example.org",
            hub_id=str(uuid.uuid4()),
            clinic_id=clinic.id,
            private_key="x",
            network_key="k",
        )
    )
    db.session.commit()


def test_an_enrolled_clinics_writes_are_queued_and_names_and_phones_never_leave(make, clinic, nurse, nurse_actor):
    _enrolled(clinic)
    client = make.client(clinic=clinic, registered_by=nurse, alias="Rosie", phone="+263 77 123 4567")
    queued = db.session.scalars(select(OutboxEntry.table_name).where(OutboxEntry.record_id == str(client.id))).all()
    assert queued == ["clients"]
    row = db.session.execute(select(BY_NAME["clients"].table).where(BY_NAME["clients"].table.c.id == client.id)).one()
    payload = row_payload(BY_NAME["clients"], row._mapping)
    assert "alias" not in payload and "phone" not in payload and payload["client_number"] == client.client_number


def test_a_registration_change_becomes_a_correction_with_before_and_after(make, clinic, nurse, nurse_actor):
    _enrolled(clinic)
    client = make.client(clinic=clinic, registered_by=nurse)
    details = ClientDetails(
        mother_letters="MA",
        own_letters="JO",
        sex="female",
        key_population="fsw",
        nationality="MZ",
        enrolled_on=client.enrolled_on,
        date_of_birth=client.date_of_birth,
    )
    update_client(actor=nurse_actor, client=client, details=details)
    [correction] = db.session.scalars(select(ClientCorrection)).all()
    assert correction.changes == {"nationality": ["ZW", "MZ"]}
    assert correction.clinic_id == clinic.id
    names = db.session.scalars(select(OutboxEntry.table_name).order_by(OutboxEntry.seq)).all()
    assert names == ["clients", "client_corrections"]  # the nurse was made before this clinic enrolled


def test_a_clinic_not_enrolled_queues_nothing(make, clinic, nurse):
    make.client(clinic=clinic, registered_by=nurse)
    assert db.session.scalars(select(OutboxEntry)).all() == []


def test_crisis_case_files_and_derived_rows_never_cross():
    names = [spec.name for spec in SYNCED]
    assert not [name for name in names if name.startswith("crisis")]  # case files never leave the clinic
    assert "client_status" not in names  # derived: every site recomputes it


def test_a_visit_correction_crosses_without_the_notes():
    spec = BY_NAME["visit_revisions"]
    row = {"id": str(uuid.uuid4()), "before": {"notes": "at the rank", "visit_type": "new"}, "after": {"notes": None}}
    payload = row_payload(spec, row)
    assert payload["before"] == {"visit_type": "new"} and payload["after"] == {}


def test_a_new_client_number_is_none_in_the_network_index(monkeypatch, clinic):
    from clinic_app.clients import identifiers, services
    from clinic_app.network.models import IndexNumber

    db.session.add(IndexNumber(number="1111-1111-1", client_id=uuid.uuid4()))  # issued at another clinic
    db.session.commit()
    drawn = iter(["1111-1111-1", "2222-2222-2"])
    monkeypatch.setattr(identifiers, "new_client_number", lambda: next(drawn))
    assert services.new_unique_number() == "2222-2222-2"
