"""Run every check: python3 scripts/test.py [pytest arguments]

Creates .venv and installs the pinned requirements (with the test tools), then:
lint (ruff), the test suite on SQLite, the same suite on PostgreSQL when
TEST_DATABASE_URL is set (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test),
then the browser suite (tests/browser: headless Debian chromium, screenshots in
out/screenshots/), installing chromium and chromium-driver with apt-get when missing.
With arguments, they go to pytest and the browser suite is not run separately.
The suite includes the check that the migrations build exactly the models' schema.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _venv  # noqa: E402

BROWSER_PACKAGES = ("chromium", "chromium-driver")
BROWSER_FILES = (Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver"))


def ensure_browser() -> bool:
    """Debian's chromium and chromedriver (never a downloaded browser); installed when missing and allowed."""
    if all(path.exists() for path in BROWSER_FILES):
        return True
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        print("The browser suite needs Debian's chromium and chromium-driver: apt-get install", *BROWSER_PACKAGES)
        return False
    print("Installing chromium and chromium-driver (apt-get) ...", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], env=env, check=False)
    subprocess.run(["apt-get", "install", "-y", "-qq", *BROWSER_PACKAGES], env=env, check=False)
    return all(path.exists() for path in BROWSER_FILES)


def main() -> int:
    python = _venv.ensure("requirements-dev.txt")
    subprocess.run(
        [str(python), str(_venv.ROOT / "scripts" / "translations.py"), "compile"], cwd=_venv.ROOT, check=True
    )
    steps = [
        ("lint", ["-m", "ruff", "check", "."], {}),
        ("format", ["-m", "ruff", "format", "--check", "clinic_app", "tests", "scripts"], {}),
        # Medium and high findings fail the run; each silenced one carries its reason beside a `# nosec`.
        ("security lint", ["-m", "bandit", "-q", "-r", "clinic_app", "-ll"], {}),
    ]
    # Without arguments the suite spreads over every core (pytest-xdist; each worker has its own
    # databases: a SQLite file per test, a PostgreSQL schema per worker process), then the tests
    # that race threads or processes for one database run alone.
    if sys.argv[1:]:
        selections = [("", sys.argv[1:])]
    else:
        # Work stealing: a worker that runs out takes tests queued for the other (the suite has a few
        # tests of 30-50 s; with plain load balancing one worker sat idle at the end).
        parallel = ["-n", "auto", "--dist", "worksteal", "-m", "not browser and not serial"]
        selections = [("", parallel), (", alone", ["-m", "serial"])]
    databases = [("SQLite", {"TEST_DATABASE_URL": ""})]
    if os.environ.get("TEST_DATABASE_URL"):
        databases.append(("PostgreSQL", {}))
    for database, extra in databases:
        for suffix, selection in selections:
            if database == "PostgreSQL" and not sys.argv[1:]:
                # The network tests start their own hub (PostgreSQL) and clinics (SQLite) whatever
                # TEST_DATABASE_URL says: the SQLite pass ran them already.
                selection = [*selection, "--ignore=tests/network/test_network.py"]
            steps.append((f"tests on {database}{suffix}", ["-m", "pytest", *selection], extra))
    if not sys.argv[1:]:
        # One run, on its own SQLite database served by waitress: the browser never sees PostgreSQL.
        steps.append(("browser", ["-m", "pytest", "-m", "browser"], {"TEST_DATABASE_URL": ""}))
        if not ensure_browser():
            steps.pop()
            steps.append(("browser (chromium missing)", ["-c", "raise SystemExit(1)"], {}))
    failed = []
    for name, args, extra in steps:
        print(f"\n=== {name} ===", flush=True)
        env = {**os.environ, **extra}
        if env.get("TEST_DATABASE_URL") == "":
            del env["TEST_DATABASE_URL"]
        if subprocess.run([str(python), *args], cwd=_venv.ROOT, env=env).returncode != 0:
            failed.append(name)
    print("\n=== summary ===")
    print("failed: " + ", ".join(failed) if failed else "all checks passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
