"""Demo mode: a clinic network filled with synthetic (invented) clients and visits."""

from flask import Blueprint

bp = Blueprint("demo", __name__, cli_group=None)

from clinic_app.demo import cli  # noqa: E402

bp.cli.add_command(cli.demo_cli)
