"""The clinic network: a hub on PostgreSQL, clinics that sync to it, and clients found at any Blue Box."""

from flask import Blueprint

bp = Blueprint("network", __name__, url_prefix="/network", cli_group=None)

from clinic_app.network import api, cli, tracking, views  # noqa: E402,F401

bp.cli.add_command(cli.network_cli)
