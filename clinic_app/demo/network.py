"""The demo's Beitbridge desktop as a node of the clinic network (all invented; no hub runs in the demo).

What the Network page and the client pages then show: a sync two hours ago, the day's records waiting,
the last problem in words (the hub did not answer), the network index, and clients registered at a
Blue Box in Botswana that Beitbridge has taken on: two who agreed to share the continuity minimum
(shown on their client page), one who said no and one not yet asked (only their registration is here).
Two more are only in the index: searching their UIC finds them at Kazungula.
"""

import base64
import random
import uuid
from datetime import date, timedelta

from sqlalchemy import func, insert, select

from clinic_app.clients import identifiers
from clinic_app.clients.models import Client, KeyPopulation, Sex
from clinic_app.clinics.models import Clinic
from clinic_app.core.db import utcnow
from clinic_app.core.places import Country
from clinic_app.extensions import db
from clinic_app.network import node
from clinic_app.network.hub_sync import uic_hash
from clinic_app.network.models import (
    Continuity,
    IndexEntry,
    IndexNumber,
    NodeLink,
    OutboxEntry,
    ShareConsent,
)
from clinic_app.screening.models import HivResult
from clinic_app.visits.models import PrepEventType, PrepRegimen, Visit

# Nothing listens here: "Sync now" shows how a hub that does not answer reads, without leaving the computer.
DEMO_HUB = "https://127.0.0.1:8443"
ELSEWHERE = ("KAZ", "Kazungula", Country.BW, "Africa/Gaborone")
# (mother's and own letters, born, sex, key population, answer on sharing (None: not asked), held here)
TAKEN_ON = (
    ("KE", "NA", date(1996, 2, 14), Sex.FEMALE, KeyPopulation.FSW, True, True),
    ("DI", "MO", date(1991, 7, 3), Sex.TRANSGENDER, KeyPopulation.TGSW, True, True),
    ("LE", "BO", date(1999, 11, 21), Sex.FEMALE, KeyPopulation.FSW, False, True),
    ("TU", "MI", date(1988, 5, 9), Sex.MALE, KeyPopulation.MSW, None, True),
    # Only in the index: at Beitbridge, a search for their UIC finds them at Kazungula (README, demo).
    ("NA", "LE", date(1994, 3, 12), Sex.FEMALE, KeyPopulation.FSW, None, False),
    ("PO", "GO", date(2000, 9, 30), Sex.FEMALE, KeyPopulation.FSW, None, False),
)


def _other_blue_box() -> Clinic:
    code, name, country, tz = ELSEWHERE
    clinic = db.session.scalar(select(Clinic).where(Clinic.code == code))
    if clinic is None:  # reference data a real node receives from the hub
        clinic = Clinic(code=code, name=name, country=country, timezone=tz)
        db.session.add(clinic)
        db.session.flush()
    return clinic


def _shared_visits(rng: random.Random, client: Client, kaz: Clinic, today: date, positive: bool) -> list[dict]:
    first = today - timedelta(days=rng.randint(150, 200))
    second = first + timedelta(days=91)
    rows = [
        dict(service_date=first, hiv_result=None if positive else HivResult.NEGATIVE, known_positive=positive),
        dict(service_date=second, hiv_result=None if positive else HivResult.NEGATIVE, known_positive=positive),
    ]
    if positive:
        rows[0].update(art_started_on=first - timedelta(days=400), next_appointment_on=first + timedelta(days=90))
        rows[1].update(art_started_on=first - timedelta(days=400), next_appointment_on=second + timedelta(days=90))
    else:
        rows[0].update(prep_event=PrepEventType.INITIATION, prep_regimen=PrepRegimen.TDF_FTC, prep_months=1)
        rows[0].update(prep_next_on=first + timedelta(days=30))
        rows[1].update(prep_event=PrepEventType.FOLLOW_UP, prep_regimen=PrepRegimen.TDF_FTC, prep_months=3)
        rows[1].update(prep_next_on=second + timedelta(days=91), cervical_next_on=second + timedelta(days=3 * 365))
    empty = dict.fromkeys(c.name for c in Continuity.__table__.columns)
    return [{**empty, **row, "visit_id": uuid.uuid4(), "client_id": client.id, "clinic_id": kaz.id} for row in rows]


def add_network(rng: random.Random, clinics: dict[str, Clinic], today: date) -> None:
    """Enrol the demo's Beitbridge as a node with a plausible sync state (only on a database not yet enrolled)."""
    if node.link() is not None:
        return
    db.session.info["network_replaying"] = True  # what came from the hub is not queued to go back
    try:
        _enrol_demo_node(rng, clinics, today)
    finally:
        db.session.info.pop("network_replaying", None)


def _enrol_demo_node(rng: random.Random, clinics: dict[str, Clinic], today: date) -> None:
    home = clinics["BBR"]
    kaz = _other_blue_box()
    now = utcnow()
    key = base64.b64encode(rng.randbytes(32)).decode()
    db.session.add(
        NodeLink(
            id=1,
            hub_url=DEMO_HUB,
            hub_id=str(uuid.UUID(int=rng.getrandbits(128))),
            clinic_id=home.id,
            private_key=base64.b64encode(rng.randbytes(32)).decode(),
            network_key=key,
            counter=412,
            pull_cursor=1873,
            enrolled_at=now - timedelta(days=61),
            last_attempt_at=now - timedelta(minutes=4),
            last_success_at=now - timedelta(hours=2, minutes=13),
            last_error="The hub could not be reached (timed out). Records wait here and are sent when it answers.",
            failures=3,
            next_attempt_at=now + timedelta(minutes=4),
            pushed_total=0,
        )
    )
    db.session.flush()
    system = node.system_user(home.id)
    shared = []
    for mother, own, born, sex, kp, answer, held in TAKEN_ON:
        client = Client(
            id=uuid.UUID(int=rng.getrandbits(128), version=4),
            clinic_id=kaz.id,
            client_number=identifiers.new_client_number(),
            uic=identifiers.build_uic(mother, own, born, False, sex.value),
            sex=sex,
            date_of_birth=born,
            key_population=kp,
            nationality=Country.BW,
            is_mobile=True,
            enrolled_on=today - timedelta(days=rng.randint(200, 400)),
            consent_given=True,
            consent_recorded_at=now - timedelta(days=200),
            registered_by_id=system.id,
        )
        if not held:  # only in the index: the client lives at Kazungula's desktop and the hub
            _index(key, client.id, client.uic, kaz.id, client.client_number)
            continue
        db.session.add(client)
        db.session.flush()
        if answer is not None:
            db.session.add(
                ShareConsent(
                    client_id=client.id,
                    clinic_id=kaz.id,
                    given=answer,
                    recorded_at=now - timedelta(days=190),
                    recorded_by_id=system.id,
                    hub_seq=rng.randint(100, 900),
                )
            )
        if answer:
            shared += _shared_visits(rng, client, kaz, today, positive=sex is Sex.TRANSGENDER)
    db.session.execute(insert(Continuity), shared)
    for client in db.session.scalars(select(Client)):
        _index(key, client.id, client.uic, client.clinic_id, client.client_number)
    # What was sent before the last good sync, and what the day's work left waiting since.
    visits = db.session.scalars(
        select(Visit).where(Visit.clinic_id == home.id).order_by(Visit.service_date.desc(), Visit.id).limit(6)
    ).all()
    waiting = [{"table_name": "visits", "record_id": str(v.id)} for v in visits]
    waiting += [{"table_name": "clients", "record_id": str(v.client_id)} for v in visits[:2]]
    db.session.execute(insert(OutboxEntry), waiting)
    own = db.session.scalar(select(func.count()).select_from(Visit).where(Visit.clinic_id == home.id)) or 0
    db.session.get(NodeLink, 1).pushed_total = own * 3 - len(waiting)
    db.session.flush()


def _index(key: str, client_id, uic: str, home_id, number: str) -> None:
    db.session.add(IndexEntry(client_id=client_id, uic_hash=uic_hash(key, uic), home_clinic_id=home_id))
    db.session.add(IndexNumber(number=number, client_id=client_id))
