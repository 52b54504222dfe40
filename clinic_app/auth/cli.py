"""Command line: ``flask --app clinic_app users create ...``."""

import click
from flask.cli import AppGroup

from clinic_app.auth import services
from clinic_app.clinics import services as clinic_services
from clinic_app.core.actor import system_actor
from clinic_app.core.errors import Invalid, NotAllowed
from clinic_app.core.permissions import Role

users_cli = AppGroup("users", help="Manage staff accounts.")


@users_cli.command("create")
@click.option("--username", required=True)
@click.option("--name", "display_name", required=True, help="The name staff know this person by.")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--clinic", "clinic_code", required=True, help="Clinic code, e.g. BBR.")
@click.option("--language", type=click.Choice(["en", "pt"]), default="en")
@click.password_option(help="Prompted for (twice) when not given.")
def create(username, display_name, role, clinic_code, language, password):
    """Create a staff account (the first administrator is made this way)."""
    try:
        user = services.create_user(
            actor=system_actor("cli"),
            username=username,
            display_name=display_name,
            password=password,
            role=role,
            clinic=clinic_services.clinic_by_code(clinic_code),
            language=language,
        )
    except NotAllowed as error:
        raise click.ClickException(error.message) from None
    except Invalid as error:
        for field, message in error.field_errors.items():
            click.echo(f"{field}: {message}", err=True)
        raise SystemExit(1) from None
    click.echo(f"Created {user.username} ({user.role}) at {user.clinic.code}.")
