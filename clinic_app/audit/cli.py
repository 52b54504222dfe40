"""Command line: ``flask --app clinic_app audit verify``."""

import click
from flask.cli import AppGroup

from clinic_app.audit.services import verify_chain

audit_cli = AppGroup("audit", help="The audit trail.")


@audit_cli.command("verify")
def verify():
    """Check that no audit row was changed, removed or inserted outside the app."""
    report = verify_chain()
    if report.intact:
        click.echo(f"Audit trail intact: {report.checked:,} rows checked.")
        return
    click.echo(f"Audit trail BROKEN ({report.checked:,} rows checked):", err=True)
    for problem in report.problems:
        click.echo(f"  {problem}", err=True)
    raise SystemExit(1)
