"""Clinics (Blue Box sites): code, name, country and time zone."""

from flask import Blueprint

bp = Blueprint("clinics", __name__, url_prefix="/clinics", cli_group=None)

from clinic_app.clinics import cli, views  # noqa: E402,F401

bp.cli.add_command(cli.clinics_cli)
