"""Durability: a killed writer loses no acknowledged record, simultaneous writers never meet
'database is locked', and a backup taken while the clinic works restores to a consistent database."""

import os
import queue
import random
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select, text

from clinic_app import create_app
from clinic_app.audit.models import AuditEvent
from clinic_app.audit.services import verify_chain
from clinic_app.auth.models import User
from clinic_app.backups.services import make_backup, restore
from clinic_app.clients.models import Client
from clinic_app.clients.services import ClientDetails, register_client
from clinic_app.core.actor import Actor
from clinic_app.extensions import db
from clinic_app.vault.keyring import ENV_PASSPHRASE, vault
from clinic_app.visits.models import Visit
from clinic_app.visits.services import VisitInput, record_visit
from tests.conftest import PG_URL, TODAY, _config
from tests.factories import Factory

ROOT = Path(__file__).resolve().parents[2]
WRITER = Path(__file__).with_name("writer_process.py")
PASSPHRASE = "a durable clinic passphrase"
KILLS = 20
# Writers racing against busy timeouts: scripts/test.py runs these after the parallel part, alone.
pytestmark = pytest.mark.serial
THREADS, WRITES_PER_THREAD = 6, 30
SQLITE_ONLY = pytest.mark.skipif(
    bool(PG_URL), reason="SQLite file durability (WAL, kill -9, integrity_check, VACUUM INTO backups)"
)
_ACK = re.compile(r"(client|visit) ([0-9a-f-]{36})\n")


def _details(n: int) -> ClientDetails:
    return ClientDetails(
        mother_letters="MA",
        own_letters="JO",
        sex="female",
        key_population="fsw",
        nationality="ZW",
        enrolled_on=date(2026, 1, 10),
        date_of_birth=date(1970 + n % 35, 1, 1),  # 21 to 55: a child would need the safeguarding step
        alias=f"concurrent {n}",
    )


def _write_client_and_visit(actor: Actor, n: int) -> tuple[Client, Visit]:
    client = register_client(actor=actor, details=_details(n), consent_given=True, confirm_new=True, today=TODAY)
    data = VisitInput(service_date=TODAY, visit_type="new", reasons=["hiv_testing"], notes=f"note {n}")
    return client, record_visit(actor=actor, client=client, data=data, today=TODAY)


def _sqlite_config(path: Path, encrypted: bool) -> dict:
    return _config(f"sqlite:///{path}", DATABASE_ENCRYPTION="sqlcipher" if encrypted else None)


def _new_database(path: Path, encrypted: bool) -> None:
    """The schema through the migrations, a clinic and the nurse the writer acts as."""
    app = create_app(_sqlite_config(path, encrypted))
    with app.app_context():
        if encrypted:
            vault().create(PASSPHRASE)
        upgrade()
        make = Factory()
        clinic = make.clinic(code="BBR", name="Beitbridge", country="ZW", timezone="Africa/Harare")
        make.user(role="nurse", clinic=clinic, username="writer")
        db.session.remove()
        db.engine.dispose()


@contextmanager
def _opened(path: Path, encrypted: bool):
    """An app context on the database as a restarted app sees it."""
    app = create_app(_sqlite_config(path, encrypted))
    with app.app_context():
        if encrypted:
            assert vault().unlock(PASSPHRASE)
        try:
            yield
        finally:
            db.session.remove()
            db.engine.dispose()


def _ids(column) -> set[uuid.UUID]:
    return set(db.session.scalars(select(column)))


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _integrity() -> list[str]:
    return list(db.session.execute(text("PRAGMA integrity_check")).scalars())


def _orphan_visits() -> int:
    query = select(func.count()).select_from(Visit).outerjoin(Client, Visit.client_id == Client.id)
    return db.session.scalar(query.where(Client.id.is_(None)))


class WriterServer:
    """The writer_process.py fork server: one fresh writer process per round, killed by the test."""

    def __init__(self, env: dict, stderr_path: Path):
        self.stderr_path = stderr_path
        self._stderr = stderr_path.open("w")
        self.process = subprocess.Popen(
            [sys.executable, str(WRITER), "--serve"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            bufsize=1,
        )
        self._lines: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def wait_until_loaded(self) -> None:
        assert self.next_line(timeout=120) == "loaded\n", self.errors()

    def _read(self) -> None:
        for line in self.process.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def errors(self) -> str:
        return self.stderr_path.read_text()

    def next_line(self, timeout: float) -> str:
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no word from the writers in {timeout} s; stderr:\n{self.errors()}") from None
        assert line is not None, f"the writer server stopped; stderr:\n{self.errors()}"
        return line

    def round(self, command: str, rng: random.Random) -> tuple[set[uuid.UUID], set[uuid.UUID]]:
        """Start a writer (it checks the database's integrity first); once it has acknowledged
        a first record, kill it 0.05-0.5 s later. Returns the ids it acknowledged."""
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        clients, visits, pid = set(), set(), None
        while pid is None or not clients:
            line = self.next_line(timeout=60)
            ack = _ACK.fullmatch(line)
            if ack:
                (clients if ack[1] == "client" else visits).add(uuid.UUID(ack[2]))
            elif line.startswith("started "):
                pid = int(line.split()[1])
            elif line.startswith("ready "):
                assert line == "ready ok\n", f"the database after the last kill: {line!r}"
            else:
                raise AssertionError(f"writer stopped before it was killed: {line!r}\n{self.errors()}")
        time.sleep(rng.uniform(0.05, 0.5))
        os.kill(pid, signal.SIGKILL)
        while ack := _ACK.fullmatch(line := self.next_line(timeout=60)):
            (clients if ack[1] == "client" else visits).add(uuid.UUID(ack[2]))
        assert line == f"ended {pid} signal {int(signal.SIGKILL)}\n", f"{line!r}\n{self.errors()}"
        return clients, visits

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process.stdout.close()
        self._stderr.close()


@SQLITE_ONLY
def test_writer_killed_mid_stream_loses_no_acknowledged_record(tmp_path):
    """20 kills, taking turns between a plain and an encrypted (SQLCipher) database."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), ENV_PASSPHRASE: PASSPHRASE}
    server = WriterServer(env, tmp_path / "writer-stderr.txt")  # imports the app meanwhile
    databases = {False: tmp_path / "plain.db", True: tmp_path / "encrypted.db"}
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    acknowledged = {encrypted: (set(), set()) for encrypted in databases}
    try:
        for encrypted, database in databases.items():
            _new_database(database, encrypted)
        server.wait_until_loaded()
        for kill in range(KILLS):
            encrypted = kill % 2 == 1
            command = f"{databases[encrypted]} writer" + (" --encrypted" if encrypted else "")
            clients, visits = server.round(command, rng)
            acknowledged[encrypted][0].update(clients)
            acknowledged[encrypted][1].update(visits)
    finally:
        server.close()

    for encrypted, database in databases.items():
        clients, visits = acknowledged[encrypted]
        with _opened(database, encrypted):
            assert _integrity() == ["ok"], database.name
            # What a power cut (which a kill cannot imitate: the OS cache survives it) relies on.
            assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert db.session.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
            assert clients - _ids(Client.id) == set(), f"acknowledged clients lost in {database.name} (seed {seed})"
            assert visits - _ids(Visit.id) == set(), f"acknowledged visits lost in {database.name} (seed {seed})"
            assert list(db.session.execute(text("PRAGMA foreign_key_check"))) == []
            # Each record was committed together with its audit line: neither survives without the other.
            assert _count(AuditEvent) == _count(Client) + _count(Visit)
            chain = verify_chain()
            assert chain.intact, chain.problems


def test_simultaneous_writers_never_meet_a_locked_database(app, clinic, make):
    users = [make.user(role="nurse", clinic=clinic) for _ in range(THREADS)]
    # The first audit line writes the chain's head row, which the migration creates on a real
    # installation (the PostgreSQL fixture empties every table, that one included).
    _write_client_and_visit(Actor(users[0], "test"), 0)
    user_ids = [user.id for user in users]
    db.session.rollback()  # this thread holds no transaction (on SQLite: no write lock) while the others write
    start = threading.Barrier(THREADS)
    written: list[tuple[uuid.UUID, uuid.UUID]] = []
    errors: list[str] = []

    def nurse_at_work(number: int, user_id) -> None:
        with app.app_context():
            try:
                actor = Actor(db.session.get(User, user_id), "test")
                db.session.rollback()
                start.wait(timeout=60)
                for n in range(WRITES_PER_THREAD // 2):
                    client, visit = _write_client_and_visit(actor, 1000 * (number + 1) + n)
                    written.append((client.id, visit.id))
            except Exception as error:  # noqa: BLE001 (reported by the assertion below)
                errors.append(f"{type(error).__name__}: {error}")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=nurse_at_work, args=(n, user_id)) for n, user_id in enumerate(user_ids)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)

    assert errors == []
    assert len(written) * 2 == THREADS * WRITES_PER_THREAD
    db.session.expire_all()
    assert {client_id for client_id, _ in written} <= _ids(Client.id)
    assert {visit_id for _, visit_id in written} <= _ids(Visit.id)
    assert _count(Client) == _count(Visit) == 1 + THREADS * WRITES_PER_THREAD // 2
    chain = verify_chain()
    assert chain.intact, chain.problems
    assert chain.checked == _count(Client) + _count(Visit)


def _wait_until(condition, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the writer thread made no progress"
        time.sleep(0.01)


@SQLITE_ONLY
def test_backup_taken_during_writes_restores_to_a_consistent_database(app, clinic, make, tmp_path):
    app.config["BACKUP_DIR"] = str(tmp_path / "backups")
    nurse_id = make.user(role="nurse", clinic=clinic).id
    db.session.rollback()
    stop, written, errors = threading.Event(), [], []

    def keep_writing() -> None:
        with app.app_context():
            try:
                actor = Actor(db.session.get(User, nurse_id), "test")
                for n in range(1, 100_000):
                    if stop.is_set():
                        break
                    _write_client_and_visit(actor, n)
                    written.append(n)
            except Exception as error:  # noqa: BLE001 (reported by the assertion below)
                errors.append(f"{type(error).__name__}: {error}")
            finally:
                db.session.remove()

    def clients_now() -> int:
        # A read: a read-only transaction never waits for the writer's lock (a BEGIN IMMEDIATE here was
        # starved by the writer thread for the busy timeout on a loaded machine: "database is locked").
        db.session.connection(execution_options={"read_only": True})
        count = _count(Client)
        db.session.rollback()
        return count

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        _wait_until(lambda: len(written) >= 5 or errors)
        before = clients_now()
        backup = make_backup()
        after = clients_now()
        written_by_then = len(written)
        _wait_until(lambda: len(written) >= written_by_then + 5 or errors)
    finally:
        stop.set()
        writer.join(timeout=60)
    assert not writer.is_alive()
    assert errors == []

    restored_database = tmp_path / "restored" / "clinic.db"
    restored_database.parent.mkdir()
    restored_app = create_app(_config(f"sqlite:///{restored_database}", BACKUP_DIR=str(tmp_path / "backups")))
    with restored_app.app_context():
        restore(backup.path)
        assert _integrity() == ["ok"]
        assert list(db.session.execute(text("PRAGMA foreign_key_check"))) == []
        assert _orphan_visits() == 0
        clients, visits = _count(Client), _count(Visit)
        assert before <= clients <= after
        assert visits in (clients - 1, clients)  # the writer records each client's visit right after it
        assert _count(AuditEvent) == clients + visits
        chain = verify_chain()
        assert chain.intact, chain.problems
        db.session.remove()
        db.engine.dispose()
