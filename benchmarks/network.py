"""Network sync benchmark: a hub (waitress + PostgreSQL) and clinic nodes (SQLite), separate processes on 127.0.0.1.

1. Initial sync of one clinic holding N visits (default 200k, the synthetic generator's records):
   enrolment queues every record, ``flask network sync --batches`` pushes them in batches, then
   ``flask network sync`` pulls the index back.
2. M clinics (default 20) push a day's work each (default 40 new clients, each with a visit and an HIV
   test) at the same moment: wall time until all are done, and each clinic's time.

Each part checks what it measured: the hub's rows of every synced table for the clinic equal the
clinic's own, its report facts are there, the clinic's outbox is empty and its index copy complete.

    .venv/bin/python benchmarks/network.py [--visits 200000] [--clinics 20] [--day 40]

Needs PostgreSQL at 127.0.0.1:5432 (user postgres, database test); works in its own schema and drops it.
Writes benchmarks/network-results.json.
"""

import argparse
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import synthetic_db  # noqa: E402
from clinic_app.network.tables import SYNCED  # noqa: E402
from tests.network.cluster import Hub, Node, flask, postgres_problem  # noqa: E402

FACTS = ("report_people", "report_visits", "report_prevention")
WAIT_FOR: Path | None = None


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def run_flask(env: dict, *args) -> tuple[str, float, float]:
    """Run one ``flask`` command to the end: its output, wall seconds and peak memory (MiB)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "clinic_app", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out, err = process.communicate()
    took = time.perf_counter() - started
    # communicate() reaped the process; its peak memory is the largest of the children's so far.
    if process.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed: {out[-2000:]} {err[-3000:]}")
    return out, took, _children_peak_mib()


def _children_peak_mib() -> float:
    import resource

    return round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)


def hub_peak_mib(hub: Hub) -> float:
    status = Path(f"/proc/{hub.process.pid}/status").read_text()
    line = next(line for line in status.splitlines() if line.startswith("VmHWM:"))
    return round(int(line.split()[1]) / 1024, 1)


def hub_size_mib(hub: Hub) -> float:
    size = hub.sql(
        "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relkind = 'r'",
        hub.schema,
    )[0][0]
    return round(float(size) / 2**20, 1)


def clinic_counts(path: Path, clinic_id: str) -> dict:
    """Rows of every synced table the clinic owns, and its report facts, read from its SQLite file."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        wanted = clinic_id.replace("-", "")  # SQLite keeps UUIDs as 32 hex digits
        counts = {
            spec.name: conn.execute(f"SELECT count(*) FROM {spec.name} WHERE clinic_id = ?", (wanted,)).fetchone()[0]  # noqa: S608
            for spec in SYNCED
        }
        counts["visit_reasons"] = conn.execute(
            "SELECT count(*) FROM visit_reasons JOIN visits ON visits.id = visit_reasons.visit_id "
            "WHERE visits.clinic_id = ?",
            (wanted,),
        ).fetchone()[0]
        for name in FACTS:
            counts[name] = conn.execute(f"SELECT count(*) FROM {name}").fetchone()[0]  # noqa: S608
        counts["outbox"] = conn.execute("SELECT count(*) FROM network_outbox").fetchone()[0]
        counts["index"] = conn.execute("SELECT count(*) FROM network_index").fetchone()[0]
    return counts


def hub_counts(hub: Hub, clinic_id: str) -> dict:
    counts = {
        spec.name: hub.sql(f"SELECT count(*) FROM {spec.name} WHERE clinic_id = %s", clinic_id)[0][0]  # noqa: S608
        for spec in SYNCED
    }
    counts["visit_reasons"] = hub.sql(
        "SELECT count(*) FROM visit_reasons JOIN visits ON visits.id = visit_reasons.visit_id "
        "WHERE visits.clinic_id = %s",
        clinic_id,
    )[0][0]
    counts["report_people"] = hub.sql(
        "SELECT count(*) FROM report_people JOIN clients ON clients.id = report_people.client_id "
        "WHERE clients.clinic_id = %s",
        clinic_id,
    )[0][0]
    for name in ("report_visits", "report_prevention"):
        counts[name] = hub.sql(f"SELECT count(*) FROM {name} WHERE clinic_id = %s", clinic_id)[0][0]  # noqa: S608
    counts["index"] = hub.sql("SELECT count(*) FROM network_index")[0][0]
    counts["index_home"] = hub.sql("SELECT count(*) FROM network_index WHERE home_clinic_id = %s", clinic_id)[0][0]
    return counts


def check(what: str, ok: bool, detail) -> None:
    print(f"  {'ok' if ok else 'WRONG'}: {what} ({detail})", flush=True)
    if not ok:
        raise SystemExit(f"the benchmark measured a wrong result: {what}")


def initial_sync(hub: Hub, work: Path, visits: int) -> dict:
    synthetic_db.CLINICS = [("BBR", "Beitbridge", "ZW", "Africa/Harare", 1)]  # one clinic's own database
    path = work / "big.db"
    started = time.perf_counter()
    synthetic_db.build(path, visits, log=lambda *a: None)
    built = time.perf_counter() - started
    with sqlite3.connect(path) as conn:
        clinic_id = str(__import__("uuid").UUID(conn.execute("SELECT id FROM clinics").fetchone()[0]))
    before = clinic_counts(path, clinic_id)
    env = dict(hub.env)
    env.pop("CLINIC_NETWORK_ROLE")
    env.update(DATABASE_URL=f"sqlite:///{path}", CLINIC_CLINIC_CODE="BBR")
    code = hub.register("BBR", "Beitbridge", "ZW", "Africa/Harare")
    load_before = load()
    out, enrol_s, _ = run_flask(env, "network", "enrol", "--hub", hub.url, "--code", code)
    records = int(out.split(";")[1].split()[0])
    out, push_s, push_mib = run_flask(env, "network", "sync", "--batches", "1000000000")
    print(f"  {out.strip()}", flush=True)
    out, pull_s, pull_mib = run_flask(env, "network", "sync")
    print(f"  {out.strip()}", flush=True)
    load_after = load()
    after, on_hub = clinic_counts(path, clinic_id), hub_counts(hub, clinic_id)
    check("the hub holds the clinic's visits", on_hub["visits"] == before["visits"] == visits, on_hub["visits"])
    for name in [spec.name for spec in SYNCED] + ["visit_reasons", *FACTS]:
        check(f"{name} on the hub equal the clinic's", on_hub[name] == before[name], f"{on_hub[name]:,}")
    check("every queued record was sent", after["outbox"] == 0, f"{after['outbox']} wait")
    check("the queue held every record", records == sum(before[s.name] for s in SYNCED), f"{records:,}")
    check("the hub's index lists every client", on_hub["index_home"] == before["clients"], f"{on_hub['index_home']:,}")
    check("the clinic's index copy is the hub's", after["index"] == on_hub["index"], f"{after['index']:,}")
    total = enrol_s + push_s + pull_s
    return {
        "visits": visits,
        "clients": before["clients"],
        "records": records,
        "rows_on_hub": {name: on_hub[name] for name in sorted(on_hub) if on_hub[name]},
        "clinic_database_mib": round(path.stat().st_size / 2**20, 1),
        "build_seconds": round(built, 1),
        "enrol_seconds": round(enrol_s, 1),
        "push_seconds": round(push_s, 1),
        "pull_seconds": round(pull_s, 1),
        "total_seconds": round(total, 1),
        "records_per_second_push": round(records / push_s),
        "index_entries_per_second_pull": round(after["index"] / pull_s),
        "clinic_peak_mib": max(push_mib, pull_mib),
        "hub_peak_mib": hub_peak_mib(hub),
        "hub_database_mib": hub_size_mib(hub),
        "load_before": load_before,
        "load_after": load_after,
    }


def many_clinics(hub: Hub, work: Path, clinics: int, day: int) -> dict:
    template = work / "template.db"  # the migrations run once, not once per clinic
    flask(dict(hub.env, DATABASE_URL=f"sqlite:///{template}", CLINIC_NETWORK_ROLE="clinic"), "db", "upgrade")
    nodes = []
    for n in range(clinics):
        code = f"K{n:02d}"
        shutil.copy(template, work / f"{code.lower()}.db")
        node = Node(work, code, f"Clinic {n}", "ZA", "Africa/Johannesburg")
        node.enrol(hub, hub.register(code, f"Clinic {n}", "ZA", "Africa/Johannesburg"))
        node.sync()
        node.op("many_visits", count=day)
        nodes.append(node)
    while WAIT_FOR and not WAIT_FOR.exists():  # another run's part measured first, alone
        time.sleep(5)
    before = hub.sql("SELECT count(*) FROM visits")[0][0]
    load_before = load()
    started = time.perf_counter()
    running = [
        (
            subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "clinic_app", "network", "sync"],
                cwd=ROOT,
                env=node.env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            ),
            time.perf_counter(),
        )
        for node in nodes
    ]
    times, failures = [], 0
    for process, began in running:
        _out, err = process.communicate(timeout=900)
        times.append(time.perf_counter() - began)
        failures += process.returncode != 0
        if process.returncode:
            print(err[-500:], file=sys.stderr)
    wall = time.perf_counter() - started
    load_after = load()
    added = hub.sql("SELECT count(*) FROM visits")[0][0] - before
    check("no clinic's sync failed", failures == 0, f"{failures} failed")
    check("the hub took every clinic's visits", added == clinics * day, f"{added:,} visits")
    for node in nodes:
        on_hub = hub.sql("SELECT count(*) FROM clients WHERE clinic_id = %s", node.clinic_id)[0][0]
        counts = clinic_counts(node.db, node.clinic_id)
        if on_hub != counts["clients"] or counts["outbox"]:
            check(f"{node.code}'s clients on the hub", False, f"{on_hub} of {counts['clients']}")
    check("every clinic's clients are on the hub, nothing waits", True, f"{clinics} clinics")
    times.sort()
    return {
        "clinics": clinics,
        "visits_each": day,
        "records_each": day * 3,
        "visits_added": added,
        "failures": failures,
        "wall_seconds": round(wall, 1),
        "slowest_clinic_seconds": round(times[-1], 1),
        "median_clinic_seconds": round(times[len(times) // 2], 1),
        "fastest_clinic_seconds": round(times[0], 1),
        "load_before": load_before,
        "load_after": load_after,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, default=200_000)
    parser.add_argument("--clinics", type=int, default=20)
    parser.add_argument("--day", type=int, default=40, help="new clients with a visit per clinic")
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks" / "network-results.json")
    parser.add_argument("--parts", default="initial,clinics", help="initial (first sync), clinics (a day at once)")
    parser.add_argument("--wait-for", type=Path, help="start the simultaneous push once this file exists")
    args = parser.parse_args()
    parts = args.parts.split(",")
    global WAIT_FOR
    WAIT_FOR = args.wait_for
    problem = postgres_problem()
    if problem:
        print(problem, file=sys.stderr)
        return 1
    # Each part is stored as it finishes, beside the other part's last figures.
    results = json.loads(args.output.read_text()) if args.output.exists() else {}
    results["machine"] = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        hub = Hub(work)
        try:
            hub.start()
            for part, key, measure in (
                ("initial", "initial_sync", lambda: initial_sync(hub, work, args.visits)),
                ("clinics", "many_clinics", lambda: many_clinics(hub, work, args.clinics, args.day)),
            ):
                if part in parts:
                    started_at = datetime.now(UTC).isoformat(timespec="seconds")
                    results[key] = {"at": started_at, **measure()}
                    print(json.dumps(results[key]), flush=True)
                    args.output.write_text(json.dumps(results, indent=2) + "\n")
        finally:
            hub.drop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
