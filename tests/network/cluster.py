"""A real network for tests and benchmarks: a hub (waitress + PostgreSQL, its own schema) and clinic
nodes (SQLite files), each a separate process, talking HTTP on 127.0.0.1."""

import atexit
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import uuid
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[2]
PG_DSN = os.environ.get("NETWORK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
HERE = Path(__file__).resolve().parent


def postgres_problem() -> str | None:
    """Why PostgreSQL cannot hold a test hub, or None when it can."""
    try:
        with psycopg.connect(PG_DSN, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as error:
        return f"PostgreSQL at {PG_DSN} is unreachable ({str(error).strip()[:120]})"
    return None


def _base_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLINIC_", "DATABASE_URL", "TEST_DATABASE"))}
    env.update(CLINIC_SECRET_KEY="network-test", CLINIC_DATABASE_ENCRYPTION="none", CLINIC_BACKUP_AUTOMATIC="false")
    env.update({k: str(v) for k, v in extra.items()})
    return env


class Hub:
    def __init__(self, workdir: Path, **settings):
        self.schema = f"net_hub_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self.url_db = f"postgresql+psycopg://postgres@127.0.0.1:5432/test?options=-csearch_path%3D{self.schema}"
        self.env = _base_env(DATABASE_URL=self.url_db, CLINIC_NETWORK_ROLE="hub", **settings)
        self.process = None
        self.port = None
        self.log = workdir / "hub.log"
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{self.schema}"')
        flask(self.env, "db", "upgrade")
        flask(self.env, "network", "init-hub")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        args = [sys.executable, str(HERE / "serve_hub.py")] + (["--port", str(self.port)] if self.port else [])
        with self.log.open("a") as log:
            self.process = subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=subprocess.PIPE, stderr=log, text=True)
        self.port = int(self.process.stdout.readline())

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=20)
            self.process.stdout.close()
            self.process = None

    def register(self, code: str, name: str, country: str, tz: str) -> str:
        out = flask(
            self.env,
            "network",
            "register-clinic",
            "--code",
            code,
            "--name",
            name,
            "--country",
            country,
            "--timezone",
            tz,
        )
        return out.splitlines()[0].rsplit(" ", 1)[1]

    def sql(self, query: str, *params):
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f'SET search_path TO "{self.schema}"')
            return conn.execute(query, params).fetchall()

    def drop(self) -> None:
        self.stop()
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')


class Node:
    def __init__(self, workdir: Path, code: str, name: str, country: str, tz: str, **settings):
        self.code = code
        self.db = workdir / f"{code.lower()}.db"
        self.env = _base_env(DATABASE_URL=f"sqlite:///{self.db}", CLINIC_CLINIC_CODE=code, **settings)
        self.clinic_id = self.op("setup", code=code, name=name, country=country, tz=tz)["clinic_id"]

    def op(self, action: str, *, clock_shift_hours: float = 0, **args):
        env = dict(self.env, NODE_CLOCK_SHIFT_HOURS=str(clock_shift_hours))
        done = run([str(HERE / "node_ops.py"), action, json.dumps(args)], env, timeout=300)
        if done.returncode != 0:
            raise RuntimeError(f"{action} failed ({done.returncode}): {done.stderr[-3000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])

    def op_exit(self, action: str, **args) -> int:
        return run([str(HERE / "node_ops.py"), action, json.dumps(args)], self.env, timeout=300).returncode

    def flask(self, *args, check=True, clock_shift_hours: float = 0) -> subprocess.CompletedProcess:
        return flask(self.env, *args, check=check)

    def enrol(self, hub: Hub, code: str) -> None:
        self.flask("network", "enrol", "--hub", hub.url, "--code", code)

    def sync(self, check=True) -> subprocess.CompletedProcess:
        return self.flask("network", "sync", check=check)


def flask(env: dict, *args, check=True):
    done = run(["flask", "--app", "clinic_app", *args], env, timeout=600)
    if check and done.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed: {done.stdout[-2000:]} {done.stderr[-3000:]}")
    return done.stdout if check else done


class _WarmStart:
    """The clinic steps and commands run as processes forked from one warm process (warm.py: the app's
    imports done once, 1.5 s of each step's 1.9 s) started on first use, one step at a time.
    ``NETWORK_TEST_COLD=1`` (or a system without fork) starts each as a new interpreter instead."""

    def __init__(self):
        self.lock = threading.Lock()
        self.process = None
        self.files = Path(tempfile.mkdtemp(prefix="warm-"))
        atexit.register(shutil.rmtree, self.files, ignore_errors=True)

    def _start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(HERE / "warm.py")],
            cwd=ROOT,
            env=_base_env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert json.loads(self.process.stdout.readline()) == {"ready": True}

    def run(self, argv: list[str], env: dict, timeout: float) -> subprocess.CompletedProcess:
        out, err = self.files / "stdout", self.files / "stderr"
        with self.lock:
            if self.process is None or self.process.poll() is not None:
                self._start()
            request = dict(argv=argv, env=env, cwd=str(ROOT), stdout=str(out), stderr=str(err), timeout=timeout)
            self.process.stdin.write(json.dumps(request) + "\n")
            self.process.stdin.flush()
            answer = json.loads(self.process.stdout.readline())
            done = subprocess.CompletedProcess(argv, answer["returncode"], out.read_text(), err.read_text())
        if answer.get("timed_out"):
            raise subprocess.TimeoutExpired(argv, timeout, done.stdout, done.stderr)
        return done


_WARM = _WarmStart() if hasattr(os, "fork") and not os.environ.get("NETWORK_TEST_COLD") else None


def run(argv: list[str], env: dict, timeout: float) -> subprocess.CompletedProcess:
    """A clinic step (``node_ops.py ...``) or a command (``flask ...``) as its own process."""
    if _WARM is not None:
        return _WARM.run(argv, env, timeout)
    command = [sys.executable, "-m", "flask", *argv[1:]] if argv[0] == "flask" else [sys.executable, *argv]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
