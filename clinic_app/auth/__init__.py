"""Sign-in, sign-out, own account, and user administration."""

from flask import Blueprint

bp = Blueprint("auth", __name__, url_prefix="/auth", cli_group=None)

from clinic_app.auth import cli, views  # noqa: E402,F401

bp.cli.add_command(cli.users_cli)
