"""Command line: ``flask --app clinic_app network ...`` (hub set-up and members; enrolment and sync at a clinic)."""

import click
from flask.cli import AppGroup

from clinic_app.audit.services import record_alone
from clinic_app.core.actor import system_actor
from clinic_app.core.errors import DomainError
from clinic_app.extensions import db
from clinic_app.network import hub, node, transport

network_cli = AppGroup("network", help="The clinic network: hub set-up, enrolment, sync.")


def _fail(message: str):
    click.echo(message, err=True)
    raise SystemExit(1)


@network_cli.command("init-hub")
def init_hub():
    """Make this installation the hub's database (its identity and the network key)."""
    try:
        state = hub.init_hub(actor=system_actor("cli"))
    except DomainError as error:
        _fail(error.message)
    click.echo(f"Hub {state.hub_id} ready.")


@network_cli.command("register-clinic")
@click.option("--code", required=True)
@click.option("--name", required=True)
@click.option("--country", required=True)
@click.option("--timezone", required=True)
def register_clinic(code, name, country, timezone):
    """Register a clinic at the hub and print its one-time enrolment code."""
    try:
        member, one_time = hub.register_clinic(
            actor=system_actor("cli"), code=code, name=name, country=country, timezone=timezone
        )
    except DomainError as error:
        _fail(error.message)
    click.echo(f"Enrolment code for {member.code}: {one_time}")
    click.echo(f"Valid until {member.enrolment_expires_at:%Y-%m-%d %H:%M} UTC, once. Give it to the clinic by phone.")


@network_cli.command("revoke")
@click.option("--code", required=True)
def revoke(code):
    """Refuse a clinic's requests from now on (a lost or stolen computer)."""
    try:
        member = hub.revoke_clinic(actor=system_actor("cli"), code=code)
    except DomainError as error:
        _fail(error.message)
    click.echo(f"Clinic {member.code} is revoked.")


@network_cli.command("members")
def list_members():
    """The clinics registered at this hub."""
    for member in hub.members():
        state = "revoked" if member.revoked_at else ("enrolled" if member.enrolled_at else "waiting for enrolment")
        click.echo(f"{member.code}\t{member.name}\t{state}\treceived={member.records_received}")


@network_cli.command("enrol")
@click.option("--hub", "hub_url", required=True, help="The hub's address, e.g. https://hub.example.org")
@click.option("--code", required=True, help="The one-time enrolment code from the hub administrator.")
def enrol(hub_url, code):
    """Join this clinic to the network; every record it holds is queued for the first sync."""
    try:
        link = node.enrol(actor=system_actor("cli"), hub_url=hub_url, code=code)
    except DomainError as error:
        _fail(error.message)
    except transport.HubUnavailable as error:
        _fail(error.words)
    click.echo(f"Enrolled at {link.hub_url}; {node.backlog()} records wait for the first sync.")


@network_cli.command("sync")
@click.option("--batches", type=int, default=None, help="Stop after this many batches (the rest waits).")
def sync(batches):
    """Send what waits and fetch what is new now (the server also does this every few minutes)."""
    actor = system_actor("cli")
    link = node.link()
    if link is None:
        _fail("This clinic is not enrolled (see 'flask network enrol').")
    try:
        actor.require("network.sync")
    except DomainError as error:
        _fail(error.message)
    if batches is not None:
        try:
            sent = node.push_all(link, limit_batches=batches)
        except transport.HubUnavailable as error:
            db.session.rollback()
            record_alone(actor=actor, action="network.sync", detail=node.sync_detail(None, None, error.words))
            _fail(error.words)
        record_alone(actor=actor, action="network.sync", detail=node.sync_detail(sent, None, None))
        click.echo(f"Sent {sent} records; {node.backlog()} wait.")
        return
    result = node.sync(actor=actor)
    if result.error:
        _fail(f"{result.error} ({node.backlog()} records wait.)")
    click.echo(f"Sent {result.pushed} records, received {result.pulled} items; {node.backlog()} wait.")


@network_cli.command("renumber")
@click.option("--number", required=True, help="The client number the hub refused as issued elsewhere.")
def renumber(number):
    """Give a client registered here a new number when the hub says another clinic issued it first."""
    try:
        client, old = node.renumber_unsent(number, actor=system_actor("cli"))
    except DomainError as error:
        _fail(error.message)
    click.echo(f"Client {old} is now {client.client_number}: give the client a new card with this number.")


@network_cli.command("status")
def status():
    """Last sync, what waits and the last error."""
    link = node.link()
    if link is None:
        _fail("This clinic is not enrolled.")
    click.echo(f"Hub: {link.hub_url}")
    click.echo(f"Last successful sync: {link.last_success_at or 'never'}")
    click.echo(f"Waiting to be sent: {node.backlog()}")
    click.echo(f"Last error: {link.last_error or 'none'}")


@network_cli.command("leave")
@click.confirmation_option(prompt="Forget this clinic's enrolment? Unsent records will not be sent.")
def leave():
    """Forget the enrolment (after a revocation, before enrolling again)."""
    try:
        node.leave(actor=system_actor("cli"))
    except DomainError as error:
        _fail(error.message)
    click.echo("Enrolment forgotten.")
