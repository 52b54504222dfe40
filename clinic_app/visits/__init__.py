"""Visits: one attendance of a client at a clinic, with its reasons."""

from flask import Blueprint

bp = Blueprint("visits", __name__, url_prefix="/visits", cli_group=None)

# views first: they import the other features, which import visits.models back.
from clinic_app.visits import views  # noqa: E402,F401, I001

# status registers the session hook that keeps each client's ClientStatus in step with the visits.
from clinic_app.visits import cli, status  # noqa: E402,F401

bp.cli.add_command(cli.visits_cli)
