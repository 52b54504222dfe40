"""Command line: ``flask --app clinic_app demo seed``."""

import click
from flask import Blueprint
from flask.cli import AppGroup

from clinic_app.demo import seed

bp = Blueprint("demo", __name__, cli_group=None)

demo_cli = AppGroup("demo", help="Synthetic demo data.")


@demo_cli.command("seed")
@click.option("--clients", default=300, show_default=True, help="How many synthetic clients.")
@click.option("--seed", "random_seed", default=2024, show_default=True)
def seed_command(clients, random_seed):
    """Fill an empty database with demo clinics, users and synthetic records.

    On a database that already holds the demo, the demo users get new passwords,
    printed again, and nothing else changes.
    """
    try:
        passwords = seed.seed_demo(n_clients=clients, random_seed=random_seed)
    except RuntimeError as error:
        raise click.ClickException(str(error)) from None
    click.echo("")
    click.echo("Demo accounts (synthetic data only; passwords are new at every start):")
    for username, (role, clinic, password) in passwords.items():
        click.echo(f"  {role:<14} {username:<16} {password:<22} {clinic}")
    click.echo("")


bp.cli.add_command(demo_cli)
