"""Visits: one attendance of a client at a clinic, with its reasons."""

from flask import Blueprint

bp = Blueprint("visits", __name__, url_prefix="/visits", cli_group=None)

# status: registers the session hook that keeps each client's ClientStatus in step with the visits.
from clinic_app.visits import cli, status, views  # noqa: E402,F401

bp.cli.add_command(cli.visits_cli)
