"""Command line: ``flask --app clinic_app report FORMAT --period 2024Q3 [--clinic CODE] --out FILE.pdf``,
``flask linelist``, and ``flask reports rebuild-facts``."""

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import text

from clinic_app.core.actor import system_actor
from clinic_app.core.errors import Invalid, NotAllowed
from clinic_app.extensions import db
from clinic_app.reports import linelist, services, upkeep
from clinic_app.reports.periods import BadPeriod, parse_period


@click.command("report")
@click.argument("format_code")
@click.option("--period", required=True, help="2024-07, 2024Q3, 2024, FY2025Q1, FY2025S1, FY2025 or PY2023.")
@click.option("--clinic", "clinics", multiple=True, help="Clinic code; repeat for several; none for all.")
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, writable=True),
    help="FILE.pdf, FILE.xlsx or FILE.json: the extension chooses the output.",
)
@click.option(
    "--exact-reason",
    type=click.Choice(sorted(services.EXACT_REASONS)),
    help="Small numbers exact (not hidden), for typing into the donor's system; recorded with this reason.",
)
def report_command(format_code, period, clinics, out, exact_reason):
    """Produce a donor report file, the same as the app's download (small numbers hidden unless --exact-reason)."""
    output = Path(out).suffix.lstrip(".").lower()
    try:
        parse_period(period)
    except BadPeriod as error:
        click.echo(str(error), err=True)
        raise SystemExit(1) from None
    request = services.ReportRequest(format_code=format_code, period_code=period, clinic_codes=list(clinics))
    try:
        data, _name = services.export(
            actor=system_actor("cli"),
            request=request,
            output=output,
            threshold=current_app.config["SMALL_CELL_THRESHOLD"],
            exact=services.ExactExport(reason=exact_reason) if exact_reason else None,
        )
    except NotAllowed as error:
        raise click.ClickException(error.message) from None
    except Invalid as error:
        for message in error.field_errors.values() or [error.message]:
            click.echo(message, err=True)
        raise SystemExit(1) from None
    Path(out).write_bytes(data)
    click.echo(f"Wrote {out} ({len(data):,} bytes).")


@click.command("linelist")
@click.option("--period", required=True)
@click.option("--clinic", "clinics", multiple=True)
@click.option(
    "--out", required=True, type=click.Path(dir_okay=False, writable=True), help="FILE.xlsx, or FILE.zip (CSV files)"
)
def linelist_command(period, clinics, out):
    """Export the de-identified line list (one row per service, k-anonymous; see README)."""
    try:
        options = services.linelist_options(
            actor=system_actor("cli"),
            period=parse_period(period),
            clinic_codes=list(clinics),
            k=current_app.config["LINELIST_K"],
        )
    except NotAllowed as error:
        raise click.ClickException(error.message) from None
    except (BadPeriod, Invalid) as error:
        click.echo(str(getattr(error, "message", error)), err=True)
        raise SystemExit(1) from None
    with open(out, "wb") as handle:
        if out.lower().endswith(".zip"):
            result = linelist.write_csv_zip(options, handle)
        else:
            result = linelist.write_xlsx(options, handle)
    shown = result.rows - result.suppressed_rows
    click.echo(
        f"Wrote {out} ({shown:,} rows; {result.generalised_rows + result.any_age_rows:,} generalised, "
        f"{result.suppressed_rows:,} left out, k={result.k})."
    )


reports_cli = AppGroup("reports", help="The report facts kept beside the records.")


@reports_cli.command("rebuild-facts")
def rebuild_facts():
    """Recompute every report fact from the records (after an import or a sync; safe to repeat)."""
    with db.engine.begin() as connection:
        counts = upkeep.rebuild(connection)
    # Every fact row was just rewritten: give the planner fresh statistics (the app never gets them otherwise).
    with db.engine.connect() as connection:
        connection.execute(text("ANALYZE"))
        if connection.dialect.name == "sqlite":
            connection.execute(text("PRAGMA optimize"))
        connection.commit()
    click.echo("Report facts recomputed: " + ", ".join(f"{table} {n:,}" for table, n in counts.items()) + ".")
