"""Command line: ``flask --app clinic_app clinics create|list``."""

import click
from flask.cli import AppGroup

from clinic_app.clinics import services
from clinic_app.core.actor import system_actor
from clinic_app.core.errors import Invalid, NotAllowed

clinics_cli = AppGroup("clinics", help="Manage clinics (Blue Box sites).")


@clinics_cli.command("create")
@click.option("--code", required=True, help="Short code, e.g. BBR.")
@click.option("--name", required=True)
@click.option("--country", required=True, help="ISO code: ZA, ZW, MZ, BW...")
@click.option("--timezone", required=True, help="IANA name, e.g. Africa/Harare.")
def create(code, name, country, timezone):
    """Add a clinic."""
    try:
        clinic = services.create_clinic(
            actor=system_actor("cli"), code=code, name=name, country=country.upper(), timezone=timezone
        )
    except NotAllowed as error:
        raise click.ClickException(error.message) from None
    except Invalid as error:
        for field, message in error.field_errors.items():
            click.echo(f"{field}: {message}", err=True)
        raise SystemExit(1) from None
    click.echo(f"Created clinic {clinic.code} ({clinic.name}).")


@clinics_cli.command("list")
def list_clinics():
    """Show the clinics."""
    for clinic in services.all_clinics():
        state = "" if clinic.is_active else " (inactive)"
        click.echo(f"{clinic.code}\t{clinic.name}\t{clinic.country}\t{clinic.timezone}{state}")
