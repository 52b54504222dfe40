"""Load test: the served app (waitress, as in production) under 20 simulated clinic users.

    .venv/bin/python benchmarks/load.py [--users 20] [--seconds 60] [--think 0.5-2] [--plain]

Builds (once) a synthetic database of 100k clients and 1M visits, makes a working
copy encrypted with SQLCipher as a clinic's is (--plain: unencrypted), adds one
nurse account per simulated user, starts waitress on 127.0.0.1 and drives it with
a realistic mix: open a client record, search by client number, record a visit,
open the due lists, the home page. Each simulated user pauses between actions for a
think time drawn uniformly from --think seconds (default 0.5 to 2: a nurse at the desk
clicks far less often; --think 0 sends the next request as soon as the last answer
arrives, which measures how much the server can do, not what users wait). Prints
requests per second, p50/p95/p99 latency and errors, and writes
benchmarks/load-results.json (or --out). Target: no errors, p95 < 150 ms.
Only 127.0.0.1 is ever contacted; the run stops by itself.
"""

import argparse
import http.client
import json
import os
import random
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import synthetic_db  # noqa: E402
from clinic_app.auth.passwords import hash_password  # noqa: E402

DATA = ROOT / "benchmarks" / "data"
PASSPHRASE = "load test passphrase - synthetic data"  # noqa: S105 (synthetic data only)
PASSWORD = "load-test-password-1"  # noqa: S105
CLINIC = "BBR"
MIX = [("open_client", 35), ("search", 20), ("record_visit", 15), ("due_lists", 15), ("home", 15)]
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def base_database(n_visits: int, n_clients: int, data: Path = DATA) -> Path:
    path = data / f"load-{n_visits // 1000}k-visits-{n_clients // 1000}k-clients.db"
    if not synthetic_db.usable(path, n_visits):
        print(f"Building {path.name} (once) ...", flush=True)
        # Planned visits per client such that about n_clients people make the n_visits (the end of the
        # data cuts plans short: a plan of 19.5 gives about 10 visits per client, measured).
        synthetic_db.build(path, n_visits, visits_mean=1.95 * n_visits / n_clients)
    return path


def working_copy(base: Path, encrypted: bool) -> Path:
    """A fresh copy per run (recorded visits do not pile up), encrypted like a clinic's database."""
    target = base.parent / ("load-run-encrypted.db" if encrypted else "load-run.db")
    for old in (target, Path(f"{target}-wal"), Path(f"{target}-shm")):
        old.unlink(missing_ok=True)
    if not encrypted:
        shutil.copy(base, target)
        return target
    from sqlcipher3 import dbapi2 as sqlcipher

    plain = sqlcipher.connect(str(base))
    plain.execute(f"ATTACH DATABASE '{target}' AS secret KEY '{PASSPHRASE}'")
    plain.execute("SELECT sqlcipher_export('secret')")
    plain.execute("DETACH DATABASE secret")
    plain.close()
    return target


def connect(path: Path, encrypted: bool):
    if not encrypted:
        return sqlite3.connect(path)
    from sqlcipher3 import dbapi2 as sqlcipher

    connection = sqlcipher.connect(str(path))
    connection.execute(f"PRAGMA key = '{PASSPHRASE}'")
    return connection


def prepare(path: Path, encrypted: bool, users: int) -> tuple[list[str], list[list[tuple[str, str]]]]:
    """Add the nurse accounts; pick each user's clients (id, number) at the clinic."""
    connection = connect(path, encrypted)
    clinic_id = connection.execute("SELECT id FROM clinics WHERE code = ?", (CLINIC,)).fetchone()[0]
    digest = hash_password(PASSWORD)
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    names = []
    for i in range(users):
        name = f"load.nurse{i}"
        connection.execute("DELETE FROM users WHERE username = ?", (name,))
        connection.execute(
            "INSERT INTO users (id, created_at, updated_at, username, display_name, password_hash, role, clinic_id,"
            " language, active, session_version) VALUES (?, ?, ?, ?, ?, ?, 'nurse', ?, 'en', 1, 1)",
            (uuid.uuid4().hex, now, now, name, f"Load nurse {i}", digest, clinic_id),
        )
        names.append(name)
    rows = connection.execute(
        "SELECT id, client_number FROM clients WHERE clinic_id = ? AND merged_into_id IS NULL ORDER BY random() "
        "LIMIT ?",
        (clinic_id, users * 400),
    ).fetchall()
    connection.commit()
    connection.close()
    clients = [(str(uuid.UUID(hex=row[0])), row[1]) for row in rows]
    return names, [clients[i::users] for i in range(users)]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def ready(port: int) -> bool:
    """The sign-in page answers (not the unlock page): the server holds the passphrase from the environment.

    Right after the start the network scheduler's thread may be unlocking with it while a first request
    already finds the passphrase taken from the environment but not yet held, and is sent to /vault/unlock.
    """
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        connection.request("GET", "/auth/login")
        response = connection.getresponse()
        response.read()
        connection.close()
        return response.status == 200
    except OSError:
        return False


def start_server(path: Path, encrypted: bool, port: int, log_file) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{path}",
        "CLINIC_SECRET_KEY": "load-test",
        "CLINIC_BACKUP_AUTOMATIC": "false",
        "CLINIC_SIGN_IN_LIMIT_PER_ADDRESS": "100000",
    }
    if encrypted:
        env["CLINIC_DB_PASSPHRASE"] = PASSPHRASE
        env["CLINIC_DATABASE_ENCRYPTION"] = "sqlcipher"
    else:
        env["CLINIC_DATABASE_ENCRYPTION"] = "none"
    server = subprocess.Popen(
        [sys.executable, "-m", "waitress", f"--listen=127.0.0.1:{port}", "--threads=8", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if ready(port):
            return server
        time.sleep(0.2)
    server.kill()
    raise SystemExit(f"the server did not start; see {Path(log_file.name)}")


class User:
    """One simulated nurse with her own keep-alive connection and session cookie."""

    def __init__(self, port: int, username: str, clients: list[tuple[str, str]], seed: int):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies: dict[str, str] = {}  # every cookie the app sets (session, known browser), by name
        self.username, self.clients = username, clients
        self.rng = random.Random(seed)  # noqa: S311 (a load mix, not security)
        self.next_visit = 0
        self.token = ""

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}
        body = None
        if form is not None:
            from urllib.parse import urlencode

            body = urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        for cookie in response.headers.get_all("Set-Cookie") or ():
            name, _eq, value = cookie.split(";", 1)[0].partition("=")
            self.cookies[name.strip()] = value
        return response.status, text

    def sign_in(self) -> None:
        _status, page = self.request("GET", "/auth/login")
        token = TOKEN.search(page).group(1)
        status, _page = self.request(
            "POST", "/auth/login", {"csrf_token": token, "username": self.username, "password": PASSWORD}
        )
        if status != 302:
            raise RuntimeError(f"{self.username} could not sign in ({status})")
        _status, page = self.request("GET", "/clients/")
        self.token = TOKEN.search(page).group(1)

    def act(self, action: str) -> tuple[int, set[int]]:
        """Do one action; returns the status and the statuses that count as success."""
        client_id, number = self.rng.choice(self.clients)
        if action == "open_client":
            return self.request("GET", f"/clients/{client_id}")[0], {200}
        if action == "search":
            return self.request("POST", "/clients/", {"csrf_token": self.token, "term": number})[0], {200}
        if action == "record_visit":
            client_id, _number = self.clients[self.next_visit % len(self.clients)]
            self.next_visit += 1
            today = datetime.now(UTC).date().isoformat()
            form = {
                "csrf_token": self.token,
                "service_date": today,
                "visit_type": "return",
                "reasons": "condoms",
                "commodities-male_condoms": "20",
            }
            return self.request("POST", f"/visits/for/{client_id}/new", form)[0], {302}
        if action == "due_lists":
            path = self.rng.choice(["/duelists/", "/duelists/prep_refill", "/duelists/hiv_retest"])
            return self.request("GET", path)[0], {200}
        return self.request("GET", "/")[0], {200}


def drive(users: list[User], seconds: float, think: tuple[float, float]) -> list[tuple[str, float, bool]]:
    results: list[tuple[str, float, bool]] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds
    actions = [name for name, weight in MIX for _ in range(weight)]

    def run(user: User):
        mine = []
        if think[1] > 0:
            time.sleep(user.rng.uniform(*think))  # users do not all click at the same instant
        while time.monotonic() < stop_at:
            action = user.rng.choice(actions)
            started = time.perf_counter()
            try:
                status, expected = user.act(action)
                ok = status in expected
            except (OSError, http.client.HTTPException):
                ok = False
                user.connection.close()
            mine.append((action, time.perf_counter() - started, ok))
            if think[1] > 0:
                time.sleep(min(user.rng.uniform(*think), max(0.0, stop_at - time.monotonic())))
        with lock:
            results.extend(mine)

    threads = [threading.Thread(target=run, args=(u,)) for u in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def think_range(text: str) -> tuple[float, float]:
    low, _sep, high = text.partition("-")
    try:
        low_s, high_s = float(low), float(high or low)
    except ValueError:
        raise argparse.ArgumentTypeError("a number of seconds or a range like 0.5-2") from None
    if not 0 <= low_s <= high_s:
        raise argparse.ArgumentTypeError("the range must run from a smaller to a larger number of seconds")
    return low_s, high_s


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))] * 1000


def summarise(results, seconds: float) -> dict:
    rows = {}
    for action in ["all"] + [name for name, _w in MIX]:
        picked = [r for r in results if action == "all" or r[0] == action]
        if not picked:
            continue
        times = [r[1] for r in picked]
        rows[action] = {
            "requests": len(picked),
            "per_second": round(len(picked) / seconds, 1),
            "p50_ms": round(percentile(times, 50), 1),
            "p95_ms": round(percentile(times, 95), 1),
            "p99_ms": round(percentile(times, 99), 1),
            "errors": sum(1 for r in picked if not r[2]),
            "mean_ms": round(statistics.mean(times) * 1000, 1),
        }
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--visits", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--plain", action="store_true", help="an unencrypted database")
    parser.add_argument("--think", type=think_range, default=(0.5, 2.0), help="pause between actions, e.g. 0.5-2 or 0")
    parser.add_argument("--data", type=Path, default=DATA, help="where the databases are kept")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "load-results.json")
    args = parser.parse_args(argv)
    args.data = args.data.resolve()
    args.data.mkdir(parents=True, exist_ok=True)
    encrypted = not args.plain
    base = base_database(args.visits, args.clients, args.data)
    path = working_copy(base, encrypted)
    names, partitions = prepare(path, encrypted, args.users)
    port = free_port()
    with open(args.data / "load-server.log", "w") as log_file:
        server = start_server(path, encrypted, port, log_file)
        try:
            users = [
                User(port, name, clients, seed)
                for seed, (name, clients) in enumerate(zip(names, partitions, strict=True))
            ]
            for user in users:
                user.sign_in()
            load_before = os.getloadavg()  # other jobs on the machine (the run itself adds about 1)
            results = drive(users, args.seconds, args.think)
            load_after = os.getloadavg()
        finally:
            server.terminate()
            server.wait(timeout=30)
    rows = summarise(results, args.seconds)
    print(
        f"\n{args.users} users, {args.seconds:.0f} s, {args.clients:,} clients, {args.visits:,} visits, "
        f"{'encrypted (SQLCipher)' if encrypted else 'plain SQLite'}, waitress 8 threads, think time "
        + (f"{args.think[0]:g}-{args.think[1]:g} s" if args.think[1] else "none")
    )
    machine = "load {:.2f} {:.2f} {:.2f} before, {:.2f} {:.2f} {:.2f} after".format(*load_before, *load_after)
    print(f"{os.cpu_count()} cores, {machine}")
    print(f"{'action':<14}{'requests':>10}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for action, row in rows.items():
        print(
            f"{action:<14}{row['requests']:>10}{row['per_second']:>8}{row['p50_ms']:>9}{row['p95_ms']:>9}"
            f"{row['p99_ms']:>9}{row['errors']:>8}"
        )
    overall = rows["all"]
    met = overall["errors"] == 0 and overall["p95_ms"] < 150
    print(f"target: zero errors and p95 < 150 ms -> {'met' if met else 'NOT met'}")
    args.out.write_text(
        json.dumps(
            {
                "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "users": args.users,
                "seconds": args.seconds,
                "clients": args.clients,
                "visits": args.visits,
                "encrypted": encrypted,
                "think_seconds": list(args.think),
                "cores": os.cpu_count(),
                "load": machine,
                "results": rows,
                "target_met": met,
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
