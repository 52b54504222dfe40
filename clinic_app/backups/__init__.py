"""Backups of the SQLite database: online, encrypted like the database, rotated; and restore."""

from flask import Blueprint

bp = Blueprint("backups", __name__, cli_group=None)

from clinic_app.backups import cli  # noqa: E402

bp.cli.add_command(cli.backup_cli)
