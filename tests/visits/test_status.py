"""Each client's status row: kept in step with every write, equal to a full recomputation."""

import importlib.util
import threading
import uuid
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import delete, insert, select, text

from clinic_app.clients.services import merge_clients
from clinic_app.core.actor import Actor
from clinic_app.core.db import utcnow
from clinic_app.demo.seed import seed_demo
from clinic_app.extensions import db
from clinic_app.screening.models import ArtSite, HivResult
from clinic_app.visits import status
from clinic_app.visits.models import ClientStatus, PrepEventType, Visit, VisitType
from clinic_app.visits.sections import CommoditiesInput, ServicesInput
from tests.conftest import PG_URL
from tests.visits.test_clinical_services import correct, negative_test, oral_prep, positive_test, record

MIGRATION = next(Path(__file__).resolve().parents[2].glob("migrations/versions/ca50f8a5f225_*.py"))
COLUMNS = [c for c in ClientStatus.__table__.c if c.name != "refreshed_at"]


def stored() -> dict:
    """Every status row, by client, without its refresh time."""
    return {row[0]: tuple(row) for row in db.session.execute(select(*COLUMNS)).all()}


def status_of(client) -> ClientStatus | None:
    db.session.expire_all()
    return db.session.get(ClientStatus, client.id)


def test_the_status_kept_on_every_write_equals_a_full_recomputation(app):
    seed_demo(n_clients=150)
    kept = stored()
    assert len(kept) == db.session.scalar(select(db.func.count(Visit.client_id.distinct())))
    assert status.rebuild(db.session.connection()) == len(kept)
    assert stored() == kept
    # The demo holds every part of the status, so the comparison covers each column.
    for column in COLUMNS:
        assert any(row[COLUMNS.index(column)] not in (None, False) for row in kept.values()), column.name


def test_the_migration_backfill_derives_the_same_status_as_the_app(app):
    """The SQL frozen in the migration (for databases upgraded with visits in them) agrees with the app."""
    seed_demo(n_clients=150)
    kept = stored()
    spec = importlib.util.spec_from_file_location("client_status_migration", MIGRATION)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    db.session.execute(delete(ClientStatus))
    migration.backfill(db.session.connection())
    assert stored() == kept


@pytest.mark.usefixtures("in_request")
def test_recording_and_correcting_visits_move_the_status(nurse_actor, make, nurse):
    person = make.client(registered_by=nurse, date_of_birth=date(1995, 8, 15), enrolled_on=date(2026, 1, 10))
    assert status_of(person) is None  # no visit, no status

    first = record(
        nurse_actor, person, date(2026, 10, 1), hiv=negative_test(), prep=oral_prep(PrepEventType.INITIATION)
    )
    row = status_of(person)
    assert (row.hiv_on, row.hiv_result, row.known_positive) == (date(2026, 10, 1), HivResult.NEGATIVE, False)
    assert (row.prep_on, row.prep_event, row.prep_months) == (date(2026, 10, 1), PrepEventType.INITIATION, 3)
    assert row.prep_clinic_id == nurse_actor.clinic_id
    assert row.visit_on == date(2026, 10, 1)

    record(nurse_actor, person, date(2026, 11, 2), commodities=CommoditiesInput(male_condoms=10))
    row = status_of(person)
    assert row.visit_on == date(2026, 11, 2)
    assert row.prep_on == date(2026, 10, 1)  # the latest PrEP event is still the first visit's

    # A correction that removes the PrEP section takes the client off PrEP in the status.
    correct(nurse_actor, first, services=ServicesInput(hiv=negative_test()))
    row = status_of(person)
    assert (row.prep_on, row.prep_event, row.prep_next_on) == (None, None, None)
    assert row.hiv_on == date(2026, 10, 1)


@pytest.mark.usefixtures("in_request")
def test_a_positive_result_and_art_start_show_in_the_status(nurse_actor, make, nurse):
    person = make.client(registered_by=nurse, date_of_birth=date(1995, 8, 15), enrolled_on=date(2026, 1, 10))
    visit = record(nurse_actor, person, date(2026, 10, 1), hiv=positive_test())
    row = status_of(person)
    assert (row.known_positive, row.positive_on, row.art_started) == (True, date(2026, 10, 1), False)
    correct(
        nurse_actor,
        visit,
        services=ServicesInput(hiv=positive_test(art_started_on=date(2026, 10, 1), art_site=ArtSite.THIS_CLINIC)),
    )
    assert status_of(person).art_started is True


def test_a_merge_recomputes_both_records(make, nurse, clinic):
    admin = Actor(make.user(role="data_admin", clinic=clinic))
    keep = make.client(registered_by=nurse, enrolled_on=date(2026, 3, 1))
    old = make.client(registered_by=nurse, mother="TE", own="NO", enrolled_on=date(2026, 1, 10))
    make.visit(client=old, recorded_by=nurse, service_date=date(2026, 4, 1), next_appointment_on=date(2026, 7, 1))
    make.visit(client=keep, recorded_by=nurse, service_date=date(2026, 3, 5))
    assert status_of(old).appointment_on == date(2026, 7, 1)

    merge_clients(actor=admin, keep=keep, duplicate=old)

    assert status_of(old) is None
    row = status_of(keep)
    assert (row.visit_on, row.appointment_on) == (date(2026, 4, 1), date(2026, 7, 1))


def test_the_rebuild_command_recomputes_every_row(app, runner):
    seed_demo(n_clients=40)
    kept = stored()
    db.session.execute(text("DELETE FROM client_status"))
    db.session.commit()
    result = runner.invoke(args=["visits", "rebuild-status"])
    assert result.exit_code == 0, result.output
    assert f"Client status recomputed: {len(kept):,} clients with visits." in result.output
    db.session.expire_all()
    assert stored() == kept


@pytest.mark.skipif(not PG_URL, reason="only PostgreSQL runs two writers at once; SQLite lets one in at a time")
def test_two_writers_for_one_client_take_turns(make, nurse, clinic, other_clinic):
    """Two clinics' visits for one client saved at the same moment (a central database): no error, and
    the status counts both."""
    person = make.client(registered_by=nurse)
    make.visit(client=person, recorded_by=nurse, service_date=date(2026, 1, 5))
    elsewhere = make.user(clinic=other_clinic)
    # Plain values: the second writer runs in a thread, away from the test's session.
    person_id, here, there = person.id, (clinic.id, nurse.id), (other_clinic.id, elsewhere.id)
    engine = db.engine

    def save_visit(connection, clinic_id, user_id, day):
        now = utcnow()
        connection.execute(
            insert(Visit.__table__).values(
                id=uuid.uuid4(),
                clinic_id=clinic_id,
                client_id=person_id,
                service_date=day,
                visit_type=VisitType.RETURN,
                recorded_by_id=user_id,
                created_at=now,
                updated_at=now,
            )
        )
        status.refresh(connection, [person_id])

    failures = []

    def second_writer():
        try:
            with engine.begin() as connection:
                save_visit(connection, *there, date(2026, 2, 1))
        except Exception as error:  # noqa: BLE001 (the test reports whatever the second writer met)
            failures.append(error)

    first = engine.connect()
    try:
        transaction = first.begin()
        save_visit(first, *here, date(2026, 3, 1))
        writer = threading.Thread(target=second_writer)
        writer.start()
        writer.join(0.5)
        assert writer.is_alive(), failures  # waiting for the first writer's transaction
        transaction.commit()
    finally:
        first.close()
    writer.join(10)
    assert failures == []
    row = status_of(person)
    assert (row.visit_on, row.visit_clinic_id) == (date(2026, 3, 1), clinic.id)
    assert db.session.scalar(select(db.func.count()).where(Visit.client_id == person.id)) == 3
