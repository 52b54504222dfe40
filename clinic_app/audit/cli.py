"""Command line: ``flask --app clinic_app audit verify|checkpoint``."""

import json

import click
from flask import current_app
from flask.cli import AppGroup

from clinic_app.audit.services import make_checkpoint, verify_chain
from clinic_app.core.actor import system_actor

audit_cli = AppGroup("audit", help="The audit trail.")


def _read_checkpoint(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as handle:
            value = json.load(handle)
    except (OSError, ValueError) as error:
        raise click.ClickException(f"{path}: not a checkpoint file ({error})") from None
    return value if isinstance(value, dict) else {}


@audit_cli.command("verify")
@click.option(
    "--checkpoint",
    "checkpoints",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="A checkpoint file exported earlier (kept away from this computer); may be given several times.",
)
def verify(checkpoints):
    """Check that no audit row was changed, removed or inserted outside the app."""
    report = verify_chain(checkpoints=[_read_checkpoint(path) for path in checkpoints])
    for note in report.notes:
        click.echo(f"Note: {note}.")
    if report.intact:
        against = f", {len(checkpoints)} checkpoint(s) matched" if checkpoints else ""
        click.echo(f"Audit trail intact: {report.checked:,} rows checked{against}.")
        return
    click.echo(f"Audit trail BROKEN ({report.checked:,} rows checked):", err=True)
    for problem in report.problems:
        click.echo(f"  {problem}", err=True)
    raise SystemExit(1)


@audit_cli.command("checkpoint")
@click.option("--out", required=True, type=click.Path(dir_okay=False, writable=True), help="File to write.")
def checkpoint(out):
    """Write a signed checkpoint of the trail's end; keep it away from this computer."""
    value = make_checkpoint(actor=system_actor("cli"), clinic_code=current_app.config.get("CLINIC_CODE"))
    with open(out, "w", encoding="utf-8") as handle:
        json.dump(value, handle, indent=2)
    click.echo(f"Checkpoint of row {value['seq']:,} written to {out}. Keep a copy away from this computer.")
