"""A clinic desktop writing records as fast as it can until its power is cut (used by the durability tests).

    python tests/core/writer_process.py DATABASE_FILE USERNAME [--encrypted] [--stop-after N]
    python tests/core/writer_process.py --serve

A writer opens the database, prints ``ready <PRAGMA integrity_check>``, then one line per
committed record, ``client <id>`` or ``visit <id>``, flushed at once: a printed
id is an acknowledged write. An encrypted database's passphrase comes from
CLINIC_DB_PASSPHRASE, as for any command. With ``--stop-after N`` it writes N
clients (each with a visit) and ends with os._exit, as a power cut would:
nothing is closed and the committed tail stays in the -wal file.

``--serve`` imports the app once (a second and a half) and then, for each line
``DATABASE_FILE USERNAME [--encrypted]`` read on stdin, forks a new writer
process, prints ``started <pid>``, and once that writer has died prints
``ended <pid> signal <n>`` or ``ended <pid> exit <code>``. The test kills the
writers itself; restarting one then costs milliseconds instead of an import.
"""

import itertools
import os
import sys
import traceback
from datetime import date, timedelta

from sqlalchemy import select, text

from clinic_app import create_app
from clinic_app.auth.models import User
from clinic_app.clients.services import ClientDetails, register_client
from clinic_app.core.actor import Actor
from clinic_app.extensions import db
from clinic_app.visits.services import VisitInput, record_visit

TODAY = date(2026, 11, 20)


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _details(n: int) -> ClientDetails:
    return ClientDetails(
        mother_letters="MA",
        own_letters="JO",
        sex="female",
        key_population="fsw",
        nationality="ZW",
        enrolled_on=date(2026, 1, 10),
        date_of_birth=date(1970, 1, 1) + timedelta(days=n % 9000),
        alias=f"writer {os.getpid()} {n}",
    )


def write(actor: Actor, stop_after: int | None) -> None:
    """Register clients, each with a visit, acknowledging every commit."""
    for n in itertools.count(1):
        client = register_client(actor=actor, details=_details(n), consent_given=True, confirm_new=True, today=TODAY)
        _say(f"client {client.id}")
        data = VisitInput(service_date=TODAY, visit_type="new", reasons=["hiv_testing"], notes=f"visit note {n}")
        visit = record_visit(actor=actor, client=client, data=data, today=TODAY)
        _say(f"visit {visit.id}")
        if stop_after is not None and n >= stop_after:
            os._exit(0)  # no close, no checkpoint: the committed tail stays in the -wal file


def run_writer(argv: list[str]) -> None:
    stop_after = None
    if "--stop-after" in argv:
        at = argv.index("--stop-after")
        stop_after = int(argv[at + 1])
        argv = argv[:at] + argv[at + 2 :]
    encrypted = "--encrypted" in argv
    database, username = [arg for arg in argv if arg != "--encrypted"]
    config = {
        "TESTING": True,
        "SECRET_KEY": "writer-process",
        "AUDIT_KEY": "test-audit-key",  # the same installation as the test that reads the trail
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
        "CLINIC_CODE": "BBR",
        "DATABASE_ENCRYPTION": "sqlcipher" if encrypted else None,
    }
    app = create_app(config)
    with app.app_context():
        user = db.session.scalars(select(User).where(User.username == username)).one()
        actor = Actor(user, "test")
        integrity = " ".join(db.session.execute(text("PRAGMA integrity_check")).scalars())
        db.session.rollback()
        _say(f"ready {integrity}")
        write(actor, stop_after)


def serve() -> None:
    """Fork one writer per request line; report how each one ended."""
    _say("loaded")
    for line in iter(sys.stdin.readline, ""):
        pid = os.fork()
        if pid == 0:
            try:
                run_writer(line.split())
            except BaseException:  # noqa: BLE001 (the test reads why a writer stopped on its own)
                traceback.print_exc()
                sys.stderr.flush()
                os._exit(1)
            os._exit(0)
        _say(f"started {pid}")
        _, status = os.waitpid(pid, 0)
        if os.WIFSIGNALED(status):
            _say(f"ended {pid} signal {os.WTERMSIG(status)}")
        else:
            _say(f"ended {pid} exit {os.WEXITSTATUS(status)}")


if __name__ == "__main__":
    if sys.argv[1:] == ["--serve"]:
        serve()
    else:
        run_writer(sys.argv[1:])
