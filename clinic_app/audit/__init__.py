"""Audit trail: who did what to which record, when (UTC) and from where; hash-chained."""

from flask import Blueprint

bp = Blueprint("audit", __name__, url_prefix="/audit", cli_group=None)

from clinic_app.audit import cli, views  # noqa: E402,F401

bp.cli.add_command(cli.audit_cli)
