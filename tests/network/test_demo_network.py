"""The demo's Beitbridge is a node of a clinic network: the Network page and client pages show it."""

from sqlalchemy import select

from clinic_app.auth.models import User
from clinic_app.clients.models import Client
from clinic_app.clinics.models import Clinic
from clinic_app.demo.seed import seed_demo
from clinic_app.extensions import db
from clinic_app.network.models import NodeLink, OutboxEntry, ShareConsent


def _user(username):
    return db.session.scalar(select(User).where(User.username == username))


def test_the_demo_network_page_shows_a_last_sync_waiting_records_and_clients_from_elsewhere(client, sign_in_as):
    seed_demo(n_clients=30)
    assert db.session.get(NodeLink, 1).last_success_at is not None
    waiting = len(db.session.scalars(select(OutboxEntry)).all())
    assert waiting > 0
    sign_in_as(_user("data.admin"))
    page = client.get("/network/").get_data(as_text=True)
    assert "Last successful sync" in page and f"{waiting} records" in page
    assert "could not be reached" in page  # the last problem in words
    assert "sharing on 2, said no 1, not asked 1" in page


def test_the_demo_has_clients_of_another_blue_box_with_and_without_consent(client, sign_in_as):
    seed_demo(n_clients=30)
    kazungula = db.session.scalar(select(Clinic).where(Clinic.code == "KAZ"))
    held = db.session.scalars(select(Client).where(Client.clinic_id == kazungula.id)).all()
    answers = {
        c.id: [s.given for s in db.session.scalars(select(ShareConsent).where(ShareConsent.client_id == c.id))]
        for c in held
    }
    sharing = next(c.id for c in held if answers[c.id] == [True])
    refused = next(c.id for c in held if answers[c.id] == [False])
    sign_in_as(_user("nurse"))
    db.session.close()  # end this test's read before the pages write their audit lines
    page = client.get(f"/clients/{sharing}").get_data(as_text=True)
    assert "Shared by other clinics" in page and "Kazungula" in page
    page = client.get(f"/clients/{refused}").get_data(as_text=True)
    assert "said no to sharing" in page and "Shared by other clinics" not in page
    # Only in the index: found at Kazungula from the clinic's copy (the demo has no hub).
    page = client.post("/clients/", data={"term": "NALE120394F"}).get_data(as_text=True)
    assert "Found in the clinic network" in page and "Kazungula" in page
