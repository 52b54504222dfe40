"""Encryption at rest: the app serves only the vault pages until the passphrase is typed, the files
and backups hold no readable record, the passphrase never reaches the disk, and keys can be changed."""

import hashlib
import re
import shutil
import threading
import time
import uuid
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from clinic_app import create_app
from clinic_app.auth.models import User
from clinic_app.backups.services import BackupError, list_backups, make_backup, restore
from clinic_app.clients.models import Client
from clinic_app.clients.services import ClientDetails, register_client
from clinic_app.core.actor import Actor
from clinic_app.extensions import db
from clinic_app.vault import keyring, services
from clinic_app.vault.keyring import ENV_PASSPHRASE, LOCAL, vault
from clinic_app.visits.services import VisitInput, record_visit
from tests.conftest import PG_URL, TODAY, Browser, _config
from tests.factories import PASSWORD, Factory
from tests.helpers import form_state, text

SQLCIPHER_ONLY = pytest.mark.skipif(
    bool(PG_URL), reason="SQLCipher encrypts the SQLite file; a PostgreSQL server encrypts its own storage"
)

PASSPHRASE = "four words sealed envelope"
NEW_PASSPHRASE = "another sentence kept in the safe"
WRONG = "not the clinic passphrase"
ALIAS = "ZZPLANTEDALIAS"
NOTE = "ZZPLANTEDNOTE came back after the raid"
WRONG_PASSPHRASE_MESSAGE = "This passphrase does not open the database."


@pytest.fixture(autouse=True)
def _no_passphrase_in_the_environment(monkeypatch):
    monkeypatch.delenv(ENV_PASSPHRASE, raising=False)


def _encrypted_config(folder: Path) -> dict:
    return _config(
        f"sqlite:///{folder / 'clinic.db'}", DATABASE_ENCRYPTION="sqlcipher", BACKUP_DIR=str(folder / "backups")
    )


def _staff(make: Factory) -> None:
    clinic = make.clinic(code="BBR", name="Beitbridge", country="ZW", timezone="Africa/Harare")
    make.user(role="nurse", clinic=clinic, username="nurse")


def _close(app) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="module")
def encrypted_template(tmp_path_factory) -> Path:
    """An installed clinic database (schema, clinic, a nurse), encrypted with PASSPHRASE."""
    folder = tmp_path_factory.mktemp("encrypted")
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(ENV_PASSPHRASE, raising=False)
        app = create_app(_encrypted_config(folder))
        with app.app_context():
            vault().create(PASSPHRASE)
            upgrade()
            _staff(Factory())
        _close(app)
    return folder / "clinic.db"


@pytest.fixture(scope="module")
def plain_template(schema, tmp_path_factory) -> Path:
    """The same installation, not encrypted (the control that shows the plaintext search works)."""
    path = tmp_path_factory.mktemp("plain") / "clinic.db"
    shutil.copy(schema, path)
    app = create_app(_config(f"sqlite:///{path}"))
    with app.app_context():
        _staff(Factory())
    _close(app)
    return path


def _install(template: Path, folder: Path) -> Path:
    folder.mkdir(exist_ok=True)
    for suffix in ("", "-wal"):
        if Path(f"{template}{suffix}").exists():
            shutil.copy(f"{template}{suffix}", folder / f"clinic.db{suffix}")
    return folder


@pytest.fixture
def installed(encrypted_template, tmp_path) -> Path:
    """A folder holding this clinic's encrypted database, as after a restart."""
    return _install(encrypted_template, tmp_path)


@pytest.fixture
def start(tmp_path):
    """Start the app (as after a restart) on the database in a folder, tmp_path by default."""
    started = []

    def start_app(folder: Path = tmp_path, encrypted: bool = True):
        config = _encrypted_config(folder) if encrypted else _config(f"sqlite:///{folder / 'clinic.db'}")
        config["BACKUP_DIR"] = str(folder / "backups")
        app = create_app(config)
        app.test_client_class = Browser
        started.append(app)
        return app

    yield start_app
    for app in started:
        _close(app)


def _every_path(app) -> list[str]:
    """One URL per route (ids filled in), and one that matches no route."""
    paths = {re.sub(r"<[^>]+>", str(uuid.uuid4()), rule.rule) for rule in app.url_map.iter_rules()}
    # The phone's certificate page (/tls/) answers while locked too: it holds nothing from the database.
    paths = {path for path in paths if not path.startswith(("/static/", "/vault/", "/tls/"))}
    return sorted(paths) + ["/no/such/page"]


def _assert_only_the_vault_answers(app) -> None:
    browser = app.test_client()
    for path in _every_path(app):
        for method in ("GET", "HEAD"):
            response = browser.open(path, method=method)
            assert (response.status_code, response.location) == (302, "/vault/unlock"), (method, path)
        assert browser.post(path, data={"username": "nurse", "password": PASSWORD}).status_code == 503, path


def _unlock(app, passphrase: str = PASSPHRASE):
    return app.test_client().post("/vault/unlock", data={"passphrase": passphrase})


def _plant_records(app) -> None:
    """A client with a distinctive alias and a visit with a distinctive note, written by the nurse."""
    with app.app_context():
        actor = Actor(db.session.scalars(select(User).where(User.username == "nurse")).one(), "test")
        details = ClientDetails(
            mother_letters="ZA",
            own_letters="QU",
            sex="female",
            key_population="fsw",
            nationality="ZW",
            enrolled_on=date(2026, 3, 1),
            date_of_birth=date(1993, 4, 5),
            alias=ALIAS,
        )
        client = register_client(actor=actor, details=details, consent_given=True, confirm_new=True, today=TODAY)
        data = VisitInput(service_date=TODAY, visit_type="new", reasons=["hiv_testing"], notes=NOTE)
        record_visit(actor=actor, client=client, data=data, today=TODAY)


def _files_holding(folders: list[Path], needles: list[str]) -> tuple[list[Path], list[Path]]:
    """(every file searched, the files whose raw bytes hold one of the needles, in any letter case)."""
    patterns = [form for needle in needles for form in (needle.lower().encode(), needle.lower().encode("utf-16-le"))]
    searched, holding = [], []
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            try:
                content = path.read_bytes().lower() if path.is_file() else None
            except FileNotFoundError:  # another process's file, gone meanwhile
                continue
            if content is None:
                continue
            searched.append(path)
            if any(pattern in content for pattern in patterns):
                holding.append(path)
    return searched, holding


def _client_aliases(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(Client.alias)))


# --- Locked: only the vault answers ------------------------------------------------------------


@SQLCIPHER_ONLY
def test_before_set_up_every_page_leads_to_set_up_and_nothing_is_created(start, tmp_path):
    app = start()
    _assert_only_the_vault_answers(app)
    browser = app.test_client()
    assert browser.get("/vault/unlock").location == "/vault/set-up"
    page = browser.get("/vault/set-up")
    assert page.status_code == 200
    assert "Set up the encrypted records" in text(page)
    assert list(tmp_path.iterdir()) == []  # no empty database file that would then refuse every passphrase


@SQLCIPHER_ONLY
def test_locked_database_sends_every_page_to_unlock(installed, start):
    app = start()
    assert vault(app).locked
    _assert_only_the_vault_answers(app)
    browser = app.test_client()
    assert browser.get("/vault/set-up").location == "/vault/unlock"
    page = browser.get("/vault/unlock")
    assert page.status_code == 200
    assert "Unlock the records" in text(page)
    assert "Connect a phone safely" in text(browser.get("/tls/"))  # a phone can still get the certificate


# --- First set-up ------------------------------------------------------------------------------


@SQLCIPHER_ONLY
@pytest.mark.parametrize(
    ("passphrase", "confirm", "message"),
    [
        ("short words", "short words", "Use at least 12 characters"),
        ("", "", "This field is required."),
        (PASSPHRASE, PASSPHRASE + ".", "The two passphrases differ."),
    ],
    ids=["too-short", "empty", "mistyped"],
)
def test_set_up_refuses_a_weak_or_mistyped_passphrase_beside_the_field(start, tmp_path, passphrase, confirm, message):
    app = start()
    response = app.test_client().post("/vault/set-up", data={"passphrase": passphrase, "confirm": confirm})
    assert response.status_code == 422
    [error] = form_state(response).errors["passphrase"]
    assert error.startswith(message)
    assert form_state(response).values["passphrase"] == ""  # never sent back into the page
    assert vault(app).locked
    assert not (tmp_path / "clinic.db").exists()


@SQLCIPHER_ONLY
def test_set_up_opens_the_app_and_a_restart_locks_it_again(start, tmp_path):
    app = start()
    browser = app.test_client()
    response = browser.post("/vault/set-up", data={"passphrase": PASSPHRASE, "confirm": PASSPHRASE})
    assert (response.status_code, response.location) == (302, "/auth/login")
    assert (tmp_path / "clinic.db").read_bytes()[:16] != b"SQLite format 3\x00"  # not a plain SQLite file
    with app.app_context():
        _staff(Factory())
    signed_in = browser.post("/auth/login", data={"username": "nurse", "password": PASSWORD})
    assert (signed_in.status_code, signed_in.location) == (302, "/")
    assert browser.get("/").status_code == 200
    assert browser.get("/vault/set-up").location == "/"

    restarted = start()
    assert vault(restarted).locked
    other_browser = restarted.test_client()
    assert other_browser.get("/").location == "/vault/unlock"
    assert other_browser.get("/vault/unlock").status_code == 200


# --- Unlocking ---------------------------------------------------------------------------------


@SQLCIPHER_ONLY
def test_wrong_passphrase_is_refused_beside_the_field_and_repeated_guesses_are_slowed(installed, start, monkeypatch):
    clock = SimpleNamespace(now=5000.0)
    monkeypatch.setattr(keyring, "time", SimpleNamespace(monotonic=lambda: clock.now))
    app = start()
    keys = vault(app)
    browser = app.test_client()

    response = browser.post("/vault/unlock", data={"passphrase": WRONG})
    assert response.status_code == 422
    assert form_state(response).errors["passphrase"] == [WRONG_PASSPHRASE_MESSAGE]
    guesses = 1
    while keys.wait_seconds() == 0:
        assert guesses < 5, "five wrong passphrases in a row and still no wait"
        assert browser.post("/vault/unlock", data={"passphrase": f"{WRONG} {guesses}"}).status_code == 422
        guesses += 1
    first_wait = keys.wait_seconds()

    # While the wait lasts, even the right passphrase is not tried.
    response = browser.post("/vault/unlock", data={"passphrase": PASSPHRASE})
    assert response.status_code == 422
    assert "Too many wrong passphrases. Wait" in text(response)
    assert keys.locked
    assert browser.get("/").location == "/vault/unlock"

    clock.now += first_wait + 1
    assert browser.post("/vault/unlock", data={"passphrase": WRONG}).status_code == 422
    assert keys.wait_seconds() > first_wait  # each further wrong guess waits longer

    clock.now += keys.wait_seconds() + 1
    response = browser.post("/vault/unlock", data={"passphrase": PASSPHRASE})
    assert (response.status_code, response.location) == (302, "/auth/login")
    assert not keys.locked


@SQLCIPHER_ONLY
def test_right_passphrase_unlocks_and_leads_to_sign_in(installed, start):
    app = start()
    browser = app.test_client()
    response = browser.post("/vault/unlock", data={"passphrase": PASSPHRASE})
    assert (response.status_code, response.location) == (302, "/auth/login")
    assert browser.get("/").location == "/auth/login?next=/"
    assert browser.get("/vault/unlock").location == "/"
    signed_in = browser.post("/auth/login", data={"username": "nurse", "password": PASSWORD})
    assert (signed_in.status_code, signed_in.location) == (302, "/")


# --- What is on the disk -----------------------------------------------------------------------


@SQLCIPHER_ONLY
@pytest.mark.parametrize("encrypted", [True, False], ids=["sqlcipher", "plain-control"])
def test_records_cannot_be_read_from_the_files_their_wal_or_a_backup(
    encrypted, encrypted_template, plain_template, start, tmp_path
):
    live = _install(encrypted_template if encrypted else plain_template, tmp_path / "live")
    app = start(live, encrypted=encrypted)
    if encrypted:
        assert _unlock(app).status_code == 302
    _plant_records(app)
    # Copied off the disk while the app runs, as a thief would: the -wal holds the latest writes.
    assert Path(f"{live / 'clinic.db'}-wal").stat().st_size > 0
    stolen = tmp_path / "stolen"
    stolen.mkdir()
    for name in ("clinic.db", "clinic.db-wal"):
        shutil.copy(live / name, stolen / name)
    with app.app_context():
        backup = make_backup()

    searched, holding = _files_holding([live, stolen], [ALIAS, NOTE])
    assert {stolen / "clinic.db", stolen / "clinic.db-wal", backup.path} <= set(searched)
    if encrypted:
        assert holding == []
        assert _client_aliases(app) == [ALIAS]  # the records are there, only unreadable without the key
    else:
        assert backup.path in holding
        assert {stolen / "clinic.db", stolen / "clinic.db-wal"} & set(holding)


@SQLCIPHER_ONLY
def test_passphrase_is_never_written_to_disk(start, tmp_path):
    app = start()
    browser = app.test_client()
    assert browser.post("/vault/set-up", data={"passphrase": PASSPHRASE, "confirm": PASSPHRASE}).status_code == 302
    with app.app_context():
        _staff(Factory())
    _plant_records(app)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["backup", "create"]).exit_code == 0
    result = runner.invoke(args=["vault", "rekey", "--new-passphrase", NEW_PASSPHRASE])
    assert result.exit_code == 0, result.output
    assert runner.invoke(args=["backup", "create"]).exit_code == 0
    restarted = start()
    assert _unlock(restarted, NEW_PASSPHRASE).status_code == 302
    _plant_records(restarted)  # more writes, so the -wal is written under the new key too

    searched, holding = _files_holding([Path(app.instance_path), tmp_path], [PASSPHRASE, NEW_PASSPHRASE])
    assert tmp_path / "clinic.db" in searched
    assert len(list((tmp_path / "backups").glob("*.db"))) >= 1
    assert holding == []


@SQLCIPHER_ONLY
def test_rekey_makes_the_old_passphrase_fail_and_the_new_one_work(installed, start):
    app = start()
    assert _unlock(app).status_code == 302
    _plant_records(app)  # the latest writes are still in the -wal when the key changes
    result = app.test_cli_runner().invoke(args=["vault", "rekey", "--new-passphrase", NEW_PASSPHRASE])
    assert result.exit_code == 0, result.output
    assert "now opens only with the new passphrase" in result.output
    assert _client_aliases(app) == [ALIAS]  # the running app carries on

    assert not vault(start()).unlock(PASSPHRASE)
    restarted = start()
    assert vault(restarted).unlock(NEW_PASSPHRASE)
    assert _client_aliases(restarted) == [ALIAS]


@SQLCIPHER_ONLY
def test_rekey_from_the_command_line_does_not_break_the_running_app(installed, start):
    """The README has the data administrator run `flask vault rekey` in a terminal; the app may be serving.

    The running app must not answer every page with an error afterwards: it may carry on, or ask
    for the passphrase again on the unlock page.
    """
    serving = start()
    browser = serving.test_client()
    assert browser.post("/vault/unlock", data={"passphrase": PASSPHRASE}).status_code == 302
    assert browser.post("/auth/login", data={"username": "nurse", "password": PASSWORD}).status_code == 302
    assert browser.get("/").status_code == 200

    terminal = start().test_cli_runner()  # the command runs as its own process, with its own app
    result = terminal.invoke(
        args=["vault", "rekey", "--new-passphrase", NEW_PASSPHRASE], env={ENV_PASSPHRASE: PASSPHRASE}
    )
    assert result.exit_code == 0, result.output

    try:
        response = browser.get("/")
    except SQLAlchemyError as error:  # the error page itself needs the database, so the error escapes
        pytest.fail(f"the running app answers no page after the rekey: {error}")
    assert response.status_code == 200 or response.location == "/vault/unlock", response.status_code


@SQLCIPHER_ONLY
def test_rekey_refuses_a_short_new_passphrase(installed, start):
    app = start()
    assert _unlock(app).status_code == 302
    result = app.test_cli_runner().invoke(args=["vault", "rekey", "--new-passphrase", "too short"])
    assert result.exit_code != 0
    assert "Use at least 12 characters" in result.output
    assert vault(start()).unlock(PASSPHRASE)


# --- Commands ----------------------------------------------------------------------------------


@SQLCIPHER_ONLY
@pytest.mark.parametrize(
    "command", [["backup", "create"], ["vault", "rekey", "--new-passphrase", NEW_PASSPHRASE]], ids=lambda c: c[0]
)
def test_command_with_a_wrong_passphrase_in_the_environment_says_so_and_fails(installed, start, command):
    app = start()
    result = app.test_cli_runner().invoke(args=command, env={ENV_PASSPHRASE: WRONG})
    assert result.exit_code != 0
    assert WRONG_PASSPHRASE_MESSAGE in result.output
    assert list(installed.glob("backups/*")) == []
    assert vault(start()).unlock(PASSPHRASE)  # not rekeyed


@SQLCIPHER_ONLY
def test_command_before_set_up_does_not_create_the_database(start, tmp_path):
    """Only the set-up page creates the database: with a checked (12+ characters), typed-twice passphrase."""
    app = start()
    result = app.test_cli_runner().invoke(args=["backup", "create"], env={ENV_PASSPHRASE: "typo"})
    assert result.exit_code != 0
    assert not (tmp_path / "clinic.db").exists()
    assert app.test_client().get("/vault/unlock").location == "/vault/set-up"


@SQLCIPHER_ONLY
def test_command_with_the_passphrase_in_the_environment_works(installed, start):
    app = start()
    result = app.test_cli_runner().invoke(args=["backup", "create"], env={ENV_PASSPHRASE: PASSPHRASE})
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert len(list_backups()) == 1


@SQLCIPHER_ONLY
def test_status_says_where_the_encrypted_database_is(installed, start):
    result = start().test_cli_runner().invoke(args=["vault", "status"])
    assert result.exit_code == 0
    assert f"Encrypted with SQLCipher: {installed / 'clinic.db'} (exists)" in result.output


# --- Backups of an encrypted database ----------------------------------------------------------


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@SQLCIPHER_ONLY
def test_restore_refuses_a_backup_from_another_installation(installed, start, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    other = start(elsewhere)
    with other.app_context():
        vault().create("the other clinic's own passphrase")
        upgrade()
        foreign_backup = make_backup()

    app = start()
    assert _unlock(app).status_code == 302
    _plant_records(app)
    with app.app_context():
        own_backup = make_backup()
    _close(app)  # as restore expects: the app stopped
    live = installed / "clinic.db"
    before = _digest(live)

    with app.app_context():
        with pytest.raises(BackupError, match="cannot be opened with this installation's key"):
            restore(foreign_backup.path)
    result = app.test_cli_runner().invoke(args=["backup", "restore", str(foreign_backup.path), "--yes"])
    assert result.exit_code != 0
    assert f"{foreign_backup.path.name} cannot be opened with this installation's key" in result.output
    assert _digest(live) == before
    assert list(installed.glob("*before-restore*")) == []

    with app.app_context():  # the control: this installation's own backup is accepted
        kept = restore(own_backup.path)
    assert kept.exists()
    assert _client_aliases(app) == [ALIAS]


@SQLCIPHER_ONLY
def test_backup_of_an_encrypted_database_opens_only_with_its_key(installed, start):
    app = start()
    assert _unlock(app).status_code == 302
    _plant_records(app)
    with app.app_context():
        backup = make_backup()
    assert backup.path.read_bytes()[:16] != b"SQLite format 3\x00"
    copy = installed / "copy" / "clinic.db"
    copy.parent.mkdir()
    shutil.copy(backup.path, copy)
    assert not vault(start(copy.parent)).unlock(WRONG)
    restarted = start(copy.parent)
    assert vault(restarted).unlock(PASSPHRASE)
    with restarted.app_context():
        assert db.session.scalar(select(func.count()).select_from(Client)) == 1


# --- Without encryption (PostgreSQL, or DATABASE_ENCRYPTION unset) -------------------------------


def test_database_the_app_does_not_encrypt_is_never_locked(app, client, runner):
    assert not vault(app).enabled
    assert not vault(app).locked
    assert client.get("/").location == "/auth/login?next=/"
    assert client.get("/vault/unlock").location == "/"
    result = runner.invoke(args=["vault", "status"])
    assert result.exit_code == 0
    assert "Not encrypted by the app" in result.output
    rekey = runner.invoke(args=["vault", "rekey", "--new-passphrase", NEW_PASSPHRASE])
    assert rekey.exit_code != 0
    assert "This installation's database is not encrypted by the app." in rekey.output


@SQLCIPHER_ONLY
def test_audit_chain_key_is_sealed_under_the_passphrase_and_survives_a_rekey(installed, start):
    """The chain's key is stored only sealed; after a passphrase change the whole trail still verifies."""
    from clinic_app.audit import keys
    from clinic_app.audit.models import AuditKeySeal
    from clinic_app.audit.services import verify_chain

    app = start()
    assert _unlock(app).status_code == 302
    _plant_records(app)
    with app.app_context():
        key = keys.chain_key(db.session)
        [seal] = db.session.scalars(select(AuditKeySeal))
        assert key not in seal.sealed
        assert verify_chain().intact
    result = app.test_cli_runner().invoke(args=["vault", "rekey", "--new-passphrase", NEW_PASSPHRASE])
    assert result.exit_code == 0, result.output

    restarted = start()
    assert _unlock(restarted, NEW_PASSPHRASE).status_code == 302
    with restarted.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditKeySeal)) == 1  # the old seal is gone
        assert keys.chain_key(db.session) == key
        report = verify_chain()
        assert report.intact, report.problems
        assert report.checked >= 2  # the client registered and the visit recorded


# --- Availability: a loop of guesses from the network, two unlocks at once ----------------------

PHONE, OTHER_PHONE = "10.0.0.66", "10.0.0.67"


def _post(browser, passphrase, address=None, **headers):
    environ = {"REMOTE_ADDR": address} if address else {}
    return browser.post("/vault/unlock", data={"passphrase": passphrase}, environ_base=environ, headers=headers)


@SQLCIPHER_ONLY
def test_wrong_guesses_from_the_network_never_delay_the_desktop(installed, start):
    app = start()
    keys = vault(app)
    browser = app.test_client()
    for n in range(6):
        if keys.wait_seconds(PHONE) == 0:
            assert _post(browser, f"{WRONG} {n}", PHONE).status_code == 422
    assert keys.wait_seconds(PHONE) > 0
    paused = _post(browser, PASSPHRASE, PHONE)  # the phone waits, even with the right passphrase
    assert "Too many wrong passphrases. Wait" in text(paused)
    assert keys.wait_seconds(OTHER_PHONE) == 0  # another address is not slowed
    assert keys.wait_seconds() == 0
    response = _post(browser, PASSPHRASE)  # at the desktop
    assert (response.status_code, response.location) == (302, "/auth/login")
    assert not keys.locked


@SQLCIPHER_ONLY
def test_a_request_a_proxy_forwarded_from_loopback_is_not_the_desktop(installed, start):
    app = start()
    keys = vault(app)
    browser = app.test_client()
    for n in range(4):
        _post(browser, f"{WRONG} {n}", **{"X-Forwarded-For": "10.0.0.66"})
    assert keys.wait_seconds("127.0.0.1") > 0
    assert keys.wait_seconds(LOCAL) == 0


@SQLCIPHER_ONLY
def test_the_desktop_unlocks_while_every_network_check_is_busy(installed, start):
    app = start()
    keys = vault(app)
    held = [keys._remote_checks.acquire(timeout=1) for _ in range(keyring._REMOTE_CHECKS)]
    try:
        response = _post(app.test_client(), PASSPHRASE)
    finally:
        for _ in held:
            keys._remote_checks.release()
    assert (response.status_code, response.location) == (302, "/auth/login")


@SQLCIPHER_ONLY
def test_unlocking_only_from_the_desktop_refuses_the_network(installed, start):
    app = start()
    app.config["VAULT_UNLOCK_FROM_NETWORK"] = False
    browser = app.test_client()
    assert _post(browser, PASSPHRASE, PHONE).status_code == 403
    assert vault(app).locked
    response = _post(browser, WRONG)  # the desktop still may
    assert response.status_code == 422
    assert form_state(response).errors["passphrase"] == [WRONG_PASSPHRASE_MESSAGE]


@SQLCIPHER_ONLY
def test_two_unlocks_at_once_prepare_the_database_once_and_serve_no_page_before(installed, start, monkeypatch):
    app = start()
    keys = vault(app)
    prepared, seen_locked = [], []
    real_ready = services._ready

    def slow_ready():
        prepared.append(1)
        time.sleep(0.3)
        seen_locked.append(keys.locked)  # pages still go to the unlock page meanwhile
        real_ready()

    monkeypatch.setattr(services, "_ready", slow_ready)
    errors = []

    def unlock():
        with app.test_request_context("/vault/unlock", method="POST"):
            try:
                services.unlock(PASSPHRASE)
            except Exception as error:  # noqa: BLE001 (collected for the assertion)
                errors.append(error)

    threads = [threading.Thread(target=unlock) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert prepared == [1]
    assert seen_locked == [True]
    assert not keys.locked
