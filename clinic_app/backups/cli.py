"""Command line: ``flask --app clinic_app backup create|list|restore FILE``."""

from pathlib import Path

import click
from flask import Blueprint
from flask.cli import AppGroup

from clinic_app.backups import services

bp = Blueprint("backups", __name__, cli_group=None)

backup_cli = AppGroup("backup", help="Encrypted backups of the clinic database.")


@backup_cli.command("create")
def create():
    """Take a backup now (safe while the app runs)."""
    try:
        backup = services.make_backup()
    except services.BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Backup written: {backup.path} ({backup.size:,} bytes).")


@backup_cli.command("list")
def list_command():
    """Show the backups kept, newest first."""
    for backup in services.list_backups():
        click.echo(f"{backup.taken_at:%Y-%m-%d %H:%M} UTC  {backup.size:>12,}  {backup.path}")


@backup_cli.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.confirmation_option(prompt="Stop the app first. Replace the live database with this backup?")
def restore(path):
    """Replace the live database with a backup (the current database is kept beside it)."""
    try:
        kept = services.restore(path)
    except services.BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Restored {path.name}. The database it replaced is kept as {kept}.")


bp.cli.add_command(backup_cli)
