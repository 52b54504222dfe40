"""Write cost: recording a visit with its services (an HIV test, condoms and lubricant) through
clinic_app.visits.services.record_visit, in process, on a throw-away copy of a benchmark database,
with the report facts kept on write and with their session hook removed (the cost before the facts).

    .venv/bin/python benchmarks/writes.py [--size 1m] [--writes 50] [--encrypted] [--data DIR]

The two kinds alternate, one write each in turn, so a change in the machine's load falls on both.
Each write is timed from the service call to its commit (the client is loaded first, as the view
does); a few writes of each kind come first as a warm-up. Afterwards the copy is checked: the clients
written with the hook have their report-fact rows for the new visit, the others do not. Target
(issue 15): median < 50 ms. Writes benchmarks/writes-results.json (or --out); the copy is deleted.
"""

import argparse
import json
import os
import shutil
import statistics
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import event, func, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from benchmarks import synthetic_db  # noqa: E402
from clinic_app.auth.models import User  # noqa: E402
from clinic_app.clients.models import Client  # noqa: E402
from clinic_app.core.actor import Actor  # noqa: E402
from clinic_app.core.permissions import Role  # noqa: E402
from clinic_app.extensions import db  # noqa: E402
from clinic_app.reports import upkeep  # noqa: E402
from clinic_app.reports.models import ReportPerson, ReportVisit  # noqa: E402
from clinic_app.screening.models import AssayResult, PreviousHivStatus, TestingModality  # noqa: E402
from clinic_app.visits.sections import CommoditiesInput, HivTestInput, ServicesInput  # noqa: E402
from clinic_app.visits.services import VisitInput, record_visit  # noqa: E402

DATA = ROOT / "benchmarks" / "data"
WARM_UP = 3  # writes of each kind before the timed ones
TARGET_MS = 50
WITH, WITHOUT = "with report facts", "without (hook removed: before)"


def working_copy(source: Path, encrypted: bool) -> Path:
    """A copy of the benchmark file to write into (its WAL checkpointed into it first)."""
    connection = synthetic_db.connect(source, encrypted=encrypted)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()
    target = source.with_name(f"writes-run{'-sqlcipher' if encrypted else ''}.db")
    remove(target)
    shutil.copyfile(source, target)
    return target


def remove(path: Path) -> None:
    for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        name.unlink(missing_ok=True)


def clients_to_see(nurse: User, count: int) -> list:
    """Clients of the nurse's clinic who are not merged and not known positive (an HIV test is offered)."""
    return list(
        db.session.scalars(
            select(Client.id)
            .join(ReportPerson, ReportPerson.client_id == Client.id)
            .where(
                Client.clinic_id == nurse.clinic_id,
                Client.merged_into_id.is_(None),
                ReportPerson.positive_on.is_(None),
                ReportPerson.stated_positive_on.is_(None),
            )
            .order_by(func.random())
            .limit(count)
        )
    )


def services() -> ServicesInput:
    return ServicesInput(
        hiv=HivTestInput(
            previous_status=PreviousHivStatus.NEGATIVE,
            modality=TestingModality.FACILITY_KP,
            screening_result=AssayResult.NON_REACTIVE,
            result_received=True,
        ),
        commodities=CommoditiesInput(male_condoms=20, lubricant=10),
    )


def one_write(nurse_id, client_id, today: date) -> float:
    """Record one visit as the visit page does (load the nurse and client, call the service); its seconds."""
    try:
        actor = Actor(db.session.get(User, nurse_id))
        client = db.session.get(Client, client_id)
        data = VisitInput(service_date=today, visit_type="return", reasons=["hiv_testing", "condoms"])
        started = time.perf_counter()
        record_visit(actor=actor, client=client, data=data, services=services(), today=today)
        return time.perf_counter() - started
    finally:
        db.session.remove()


def facts_kept(hook: bool) -> None:
    if hook and not event.contains(Session, "after_flush", upkeep._keep_facts_in_step):
        event.listen(Session, "after_flush", upkeep._keep_facts_in_step)
    elif not hook and event.contains(Session, "after_flush", upkeep._keep_facts_in_step):
        event.remove(Session, "after_flush", upkeep._keep_facts_in_step)


def summary(seconds: list[float]) -> dict:
    ordered = sorted(seconds)
    return {
        "writes": len(ordered),
        "median_ms": round(statistics.median(ordered) * 1000, 2),
        "p95_ms": round(ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] * 1000, 2),
        "mean_ms": round(statistics.mean(ordered) * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2),
    }


def facts_rows(client_ids, today: date) -> int:
    """How many of these clients have a report-fact visit row on ``today``."""
    if not client_ids:
        return 0
    return len(
        set(
            db.session.scalars(
                select(ReportVisit.client_id).where(
                    ReportVisit.client_id.in_(client_ids), ReportVisit.service_date == today
                )
            )
        )
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="1m", choices=("10k", "100k", "1m"))
    parser.add_argument("--writes", type=int, default=50, help="timed writes of each kind")
    parser.add_argument("--encrypted", action="store_true", help="write into an SQLCipher copy (as a clinic's)")
    parser.add_argument("--data", type=Path, default=DATA, help="where reports.py keeps the databases")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "writes-results.json")
    args = parser.parse_args(argv)
    source = args.data.resolve() / f"visits-{args.size}.db"
    visits = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000}[args.size]
    if not synthetic_db.usable(source, visits):
        raise SystemExit(f"no benchmark database {source}: build it with benchmarks/reports.py --sizes {args.size}")
    if args.encrypted:
        source = synthetic_db.encrypted_copy(source)
    path = working_copy(source, args.encrypted)
    today = datetime.now(UTC).date()  # after the synthetic data's last day: no visit is there yet
    times: dict[str, list[float]] = {WITH: [], WITHOUT: []}
    written: dict[str, list] = {WITH: [], WITHOUT: []}
    loads = []
    try:
        app = synthetic_db.app_for(path, encrypted=args.encrypted)
        with app.app_context():
            nurse = db.session.scalars(select(User).where(User.role == Role.NURSE, User.active.is_(True))).first()
            nurse_id = nurse.id
            clients = clients_to_see(nurse, 2 * (args.writes + WARM_UP))
            db.session.remove()
            loads.append(os.getloadavg())
            for i, client_id in enumerate(clients):
                kind = WITH if i % 2 == 0 else WITHOUT
                facts_kept(kind == WITH)
                seconds = one_write(nurse_id, client_id, today)
                written[kind].append(client_id)
                if i >= 2 * WARM_UP:
                    times[kind].append(seconds)
            facts_kept(True)
            loads.append(os.getloadavg())
            kept = {kind: facts_rows(ids, today) for kind, ids in written.items()}
            db.session.remove()
            db.engine.dispose()
    finally:
        facts_kept(True)
        remove(path)
    results = {kind: summary(seconds) for kind, seconds in times.items()}
    load = "load {:.2f} {:.2f} {:.2f} at the start, {:.2f} {:.2f} {:.2f} at the end".format(*loads[0], *loads[-1])
    print(
        f"\nrecord_visit with an HIV test, condoms and lubricant, {args.size} visits, "
        f"{'encrypted (SQLCipher)' if args.encrypted else 'plain SQLite'}, {load}"
    )
    print(f"{'':<32}{'writes':>7}{'median ms':>11}{'p95 ms':>9}{'mean ms':>9}{'max ms':>9}")
    for kind, row in results.items():
        print(
            f"{kind:<32}{row['writes']:>7}{row['median_ms']:>11}{row['p95_ms']:>9}{row['mean_ms']:>9}{row['max_ms']:>9}"
        )
    added = results[WITH]["median_ms"] - results[WITHOUT]["median_ms"]
    met = results[WITH]["median_ms"] < TARGET_MS
    verdict = "met" if met else "NOT met"
    print(f"the report facts add {added:.2f} ms to the median; target median < {TARGET_MS} ms: {verdict}")
    problems = []
    if kept[WITH] != len(written[WITH]):
        problems.append(f"{len(written[WITH]) - kept[WITH]} visits written with the hook have no report-fact row")
    if kept[WITHOUT]:
        problems.append(f"{kept[WITHOUT]} visits written without the hook have report-fact rows (was it removed?)")
    for problem in problems:
        print(f"MISMATCH {problem}")
    args.out.write_text(
        json.dumps(
            {
                "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "size": args.size,
                "encrypted": args.encrypted,
                "services": "HIV test (negative, result given), 20 male condoms, 10 lubricant",
                "load": load,
                "cores": os.cpu_count(),
                "results": results,
                "facts_add_median_ms": round(added, 2),
                "target": f"median < {TARGET_MS} ms",
                "target_met": met,
                "problems": problems,
            },
            indent=2,
        )
        + "\n"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
