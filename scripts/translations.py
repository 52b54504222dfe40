"""Translations: python3 scripts/translations.py [extract|compile]

Run with the project's Python: .venv/bin/python scripts/translations.py extract

extract: collect every marked string (Python, templates, report format files) into
clinic_app/translations/messages.pot and update each language's .po file.
compile: build the .mo files the app reads (run.py and test.py do this themselves).
"""

import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _venv  # noqa: E402

CATALOGS = _venv.ROOT / "clinic_app" / "translations"


def babel(python, *args: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(_venv.ROOT)}
    subprocess.run([str(python), "-m", "babel.messages.frontend", *args], check=True, cwd=_venv.ROOT, env=env)


def extract(python) -> None:
    pot = CATALOGS / "messages.pot"
    babel(
        python,
        "extract",
        "-F",
        "babel.cfg",
        "-k",
        "_l",
        "-k",
        "lazy_gettext",
        "--no-location",
        "--sort-output",
        "-o",
        str(pot),
        ".",
    )
    babel(python, "update", "-i", str(pot), "-d", str(CATALOGS), "--no-fuzzy-matching")


def compile_catalogs(python) -> None:
    babel(python, "compile", "-d", str(CATALOGS))


def main() -> None:
    python = sys.executable  # run by run.py and test.py with the project's .venv python
    command = sys.argv[1] if len(sys.argv) > 1 else "compile"
    if command == "extract":
        extract(python)
    compile_catalogs(python)


if __name__ == "__main__":
    main()
