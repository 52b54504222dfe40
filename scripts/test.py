"""Run every check: python3 scripts/test.py [pytest arguments]

Creates .venv and installs the pinned requirements (with the test tools), then:
lint (ruff), the test suite on SQLite, and the same suite on PostgreSQL when
TEST_DATABASE_URL is set (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test).
The suite includes the check that the migrations build exactly the models' schema.
"""

import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _venv  # noqa: E402


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
        ("tests on SQLite", ["-m", "pytest", *sys.argv[1:]], {"TEST_DATABASE_URL": ""}),
    ]
    if os.environ.get("TEST_DATABASE_URL"):
        steps.append(("tests on PostgreSQL", ["-m", "pytest", *sys.argv[1:]], {}))
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
