"""Shared by run.py and test.py: a project virtual environment with the pinned requirements."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure(requirements: str) -> Path:
    """Create .venv if missing and install the requirements file when it changed."""
    if sys.version_info < (3, 11):  # noqa: UP036 (this script tells users of an older Python what to do)
        sys.exit(f"Python 3.11 or newer is needed (this is {sys.version.split()[0]}).")
    python = venv_python()
    if not python.exists():
        print("Creating the virtual environment in .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    req_file = ROOT / requirements
    wanted = hashlib.sha256()
    for name in sorted({requirements, "requirements.txt"}):
        wanted.update((ROOT / name).read_bytes())
    stamp = VENV / f".installed-{req_file.stem}"
    if not stamp.exists() or stamp.read_text() != wanted.hexdigest():
        print(f"Installing {requirements} ...", flush=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "-r", str(req_file)],
            check=True,
            cwd=ROOT,
        )
        stamp.write_text(wanted.hexdigest())
    return python


def run(python: Path, *args: str, env: dict | None = None) -> None:
    subprocess.run([str(python), *args], check=True, cwd=ROOT, env=env)
