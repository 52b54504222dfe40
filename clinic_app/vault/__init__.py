"""Encryption at rest: the SQLite database is encrypted with SQLCipher and stays locked
until the data administrator types the passphrase after a restart."""

from flask import Blueprint

bp = Blueprint("vault", __name__, url_prefix="/vault", cli_group=None)

from clinic_app.vault import cli, views  # noqa: E402,F401

bp.cli.add_command(cli.vault_cli)
