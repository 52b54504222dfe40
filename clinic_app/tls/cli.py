"""Command line: ``flask --app clinic_app tls init|show``."""

import click
from flask import current_app
from flask.cli import AppGroup

from clinic_app.tls.certificates import fingerprint, make, tls_files

tls_cli = AppGroup("tls", help="HTTPS on the clinic network.")


@tls_cli.command("init")
@click.option("--name", "names", multiple=True, help="Another name or address phones use for this computer.")
def init(names):
    """Make the clinic's certificate authority (once) and this computer's server certificate.

    Run again after the computer's address changes: the CA is kept, so phones keep trusting it.
    """
    files = tls_files(current_app)
    clinic = current_app.config.get("CLINIC_CODE") or "clinic"
    covered = make(files, clinic=clinic, extra_names=list(names))
    click.echo(f"Server certificate for: {', '.join(covered)}")
    click.echo(f"Certificate authority for phones: {files.ca}")
    click.echo(f"Its SHA-256 fingerprint (compare on the phone): {fingerprint(files.ca)}")


@tls_cli.command("show")
def show():
    """Where the files are and the CA's fingerprint."""
    files = tls_files(current_app)
    if not files.ready():
        raise click.ClickException("No clinic certificate yet: run 'flask --app clinic_app tls init'.")
    click.echo(f"Certificate authority for phones: {files.ca}")
    click.echo(f"SHA-256 fingerprint: {fingerprint(files.ca)}")
