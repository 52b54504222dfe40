"""Donor reports: an indicator engine, donor formats as data, PDF/Excel/JSON outputs, the line list."""

from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/reports", cli_group=None)

from clinic_app.reports import cli, views  # noqa: E402,F401

bp.cli.add_command(cli.report_command)
bp.cli.add_command(cli.linelist_command)
