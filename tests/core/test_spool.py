"""Large exports spool inside instance/spool (0700, files 0600), never in the system temp folder,
and what a killed server left there is removed when it starts."""

import os
import tempfile
from pathlib import Path

from openpyxl import Workbook

from clinic_app.core import spool


def test_openpyxl_spools_its_sheets_inside_the_instance_folder(app, tmp_path, monkeypatch):
    seen = []
    real_mkstemp = tempfile.mkstemp

    def watch(*args, **kwargs):
        descriptor, name = real_mkstemp(*args, **kwargs)
        seen.append((name, os.stat(name).st_mode & 0o777))
        return descriptor, name

    monkeypatch.setattr(tempfile, "mkstemp", watch)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("rows")
    sheet.append(["a private value"])
    book.save(tmp_path / "out.xlsx")
    folder = Path(app.instance_path) / "spool"
    assert seen and all(Path(name).parent == folder for name, _mode in seen)
    assert all(mode == 0o600 for _name, mode in seen)
    assert folder.stat().st_mode & 0o777 == 0o700
    assert not any(folder.glob("spool-*"))  # removed once the workbook is saved


def test_stale_spools_are_removed_at_start(tmp_path):
    folder = spool.spool_dir(str(tmp_path))
    (folder / "spool-left-by-kill-9").write_text("plain rows")
    (folder / "not-ours").write_text("kept")
    assert spool.remove_stale(str(tmp_path)) == 1
    assert [p.name for p in folder.iterdir()] == ["not-ours"]
