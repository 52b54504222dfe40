"""Network sync benchmark: a hub (waitress + PostgreSQL) and clinic nodes (SQLite), separate processes on 127.0.0.1.

1. Initial sync of one clinic holding N visits (default 200k): enrolment queues every record, then
   ``flask network sync`` pushes them in batches and pulls the index.
2. M clinics (default 20) push a day's work each (default 40 new clients with a visit and an HIV test)
   at the same moment: wall time until all are done, and each clinic's time.

    .venv/bin/python benchmarks/network.py [--visits 200000] [--clinics 20] [--day 40]

Needs PostgreSQL at 127.0.0.1:5432 (user postgres, database test); works in its own schema and drops it.
Writes benchmarks/network-results.json.
"""

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import synthetic_db  # noqa: E402
from tests.network.cluster import Hub, Node, flask, postgres_problem  # noqa: E402


def initial_sync(hub: Hub, work: Path, visits: int) -> dict:
    synthetic_db.CLINICS = [("BBR", "Beitbridge", "ZW", "Africa/Harare", 1)]  # one clinic's own database
    path = work / "big.db"
    synthetic_db.build(path, visits, log=lambda *a: None)
    env = dict(hub.env)
    env.pop("CLINIC_NETWORK_ROLE")
    env.update(DATABASE_URL=f"sqlite:///{path}", CLINIC_CLINIC_CODE="BBR")
    code = hub.register("BBR", "Beitbridge", "ZW", "Africa/Harare")
    started = time.perf_counter()
    out = flask(env, "network", "enrol", "--hub", hub.url, "--code", code)
    queued_in = time.perf_counter() - started
    records = int(out.split(";")[1].split()[0])
    started = time.perf_counter()
    flask(env, "network", "sync")
    took = time.perf_counter() - started
    on_hub = hub.sql("SELECT count(*) FROM visits")[0][0]
    return {
        "visits": visits,
        "visits_on_hub": on_hub,
        "records": records,
        "queue_seconds": round(queued_in, 1),
        "sync_seconds": round(took, 1),
        "records_per_second": round(records / took),
        "database_mib": round(path.stat().st_size / 2**20, 1),
    }


def many_clinics(hub: Hub, work: Path, clinics: int, day: int) -> dict:
    nodes = []
    for n in range(clinics):
        code = f"K{n:02d}"
        node = Node(work, code, f"Clinic {n}", "ZA", "Africa/Johannesburg")
        node.enrol(hub, hub.register(code, f"Clinic {n}", "ZA", "Africa/Johannesburg"))
        node.sync()
        node.op("many_visits", count=day)
        nodes.append(node)
    before = hub.sql("SELECT count(*) FROM visits")[0][0]
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
    added = hub.sql("SELECT count(*) FROM visits")[0][0] - before
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
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, default=200_000)
    parser.add_argument("--clinics", type=int, default=20)
    parser.add_argument("--day", type=int, default=40, help="new clients with a visit per clinic")
    args = parser.parse_args()
    problem = postgres_problem()
    if problem:
        print(problem, file=sys.stderr)
        return 1
    results = {"machine": f"{platform.machine()}, {platform.python_version()}", "at": datetime.now(UTC).isoformat()}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        hub = Hub(work)
        try:
            hub.start()
            results["many_clinics"] = many_clinics(hub, work, args.clinics, args.day)
            print(json.dumps(results["many_clinics"]), flush=True)
            results["initial_sync"] = initial_sync(hub, work, args.visits)
            print(json.dumps(results["initial_sync"]), flush=True)
        finally:
            hub.drop()
    (ROOT / "benchmarks" / "network-results.json").write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
