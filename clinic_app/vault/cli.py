"""Command line: ``flask --app clinic_app vault rekey|status``."""

import click
from flask.cli import AppGroup

from clinic_app.core.errors import Invalid
from clinic_app.vault import services
from clinic_app.vault.keyring import vault

vault_cli = AppGroup("vault", help="The encrypted database.")


@vault_cli.command("rekey")
@click.password_option("--new-passphrase", prompt="New database passphrase", help="Prompted for (twice).")
def rekey(new_passphrase):
    """Re-encrypt the database under a new passphrase (asks for the current one first).

    Stop the app first; a running app sends everyone back to the unlock page.
    """
    keys = vault()
    if not keys.enabled:
        raise click.ClickException("This installation's database is not encrypted by the app.")
    keys.passphrase()
    try:
        services.rekey(new_passphrase, new_passphrase)
    except Invalid as error:
        raise click.ClickException(error.message) from None
    click.echo("The database now opens only with the new passphrase. Update the sealed copy of it.")


@vault_cli.command("status")
def status():
    """Say whether the database is encrypted and exists."""
    keys = vault()
    if not keys.enabled:
        click.echo("Not encrypted by the app (PostgreSQL, or DATABASE_ENCRYPTION=none).")
    else:
        click.echo(f"Encrypted with SQLCipher: {keys.path} ({'exists' if keys.exists else 'not created yet'}).")


@vault_cli.command("set-up")
@click.password_option(
    "--passphrase",
    prompt="Choose the database passphrase",
    envvar="CLINIC_DB_PASSPHRASE",
    help="Prompted for (twice), or CLINIC_DB_PASSPHRASE.",
)
def set_up_command(passphrase):
    """Create the encrypted database (the same as the set-up page) and its tables."""
    if vault().exists:
        raise click.ClickException("This installation already has a database.")
    try:
        services.set_up(passphrase, passphrase)
    except Invalid as error:
        raise click.ClickException(error.message) from None
    click.echo("The encrypted database is ready. Keep the passphrase sealed in a safe place.")
