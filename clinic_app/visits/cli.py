"""Command line: ``flask --app clinic_app visits rebuild-status``."""

import click
from flask.cli import AppGroup

from clinic_app.extensions import db
from clinic_app.visits import status

visits_cli = AppGroup("visits", help="Visits and the clients' status derived from them.")


@visits_cli.command("rebuild-status")
def rebuild_status():
    """Recompute every client's status from the visits (after an import or a sync; safe to repeat)."""
    with db.engine.begin() as connection:
        written = status.rebuild(connection)
    click.echo(f"Client status recomputed: {written:,} clients with visits.")
