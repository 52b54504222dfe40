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
    """Re-encrypt the database under a new passphrase (asks for the current one first)."""
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
