"""Spool files for large exports, kept inside instance/spool (0700, files 0600), never in the system temp folder.

openpyxl's write-only mode writes each sheet to a temporary file before zipping it; those files hold
the line list in plain text. They are made here, and ``remove_stale`` (called when the server
starts) deletes what a killed process left behind.
"""

import os
import tempfile
from pathlib import Path

import openpyxl.worksheet._writer as openpyxl_writer
from flask import current_app, has_app_context

PREFIX = "spool-"
_fallback: dict[str, Path] = {}


def spool_dir(instance_path: str | None = None) -> Path:
    if instance_path is None:
        instance_path = current_app.instance_path if has_app_context() else _fallback.get("instance")
    folder = Path(instance_path) / "spool"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder.chmod(0o700)
    return folder


def spool_file():
    """An anonymous temporary file in the spool folder (0600; gone when closed, even after a crash)."""
    return tempfile.TemporaryFile(dir=spool_dir(), prefix=PREFIX)


def _openpyxl_temporary_file(suffix: str = "") -> str:
    descriptor, name = tempfile.mkstemp(suffix=suffix, prefix=PREFIX, dir=spool_dir())  # 0600
    os.close(descriptor)
    openpyxl_writer.ALL_TEMP_FILES.append(name)
    return name


def use_for_openpyxl(instance_path: str) -> None:
    """Make openpyxl spool its sheets here (called by the app factory: no file is written then)."""
    _fallback.setdefault("instance", Path(instance_path))
    openpyxl_writer.create_temporary_file = _openpyxl_temporary_file


def remove_stale(instance_path: str) -> int:
    """Delete spool files left by a process that was killed; returns how many."""
    folder = Path(instance_path) / "spool"
    removed = 0
    if folder.is_dir():
        for path in folder.glob(f"{PREFIX}*"):
            path.unlink(missing_ok=True)
            removed += 1
    return removed
