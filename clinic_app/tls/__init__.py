"""HTTPS on the clinic network: the clinic's own certificate authority, its server certificate,
the CA file phones install once, and the TLS server (cheroot) used when serving beyond 127.0.0.1."""

from flask import Blueprint

bp = Blueprint("tls", __name__, url_prefix="/tls", cli_group=None)

from clinic_app.tls import cli, views  # noqa: E402,F401

bp.cli.add_command(cli.tls_cli)
