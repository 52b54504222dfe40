"""Command line: ``flask --app clinic_app report FORMAT --period 2024Q3 [--clinic CODE] --out FILE.pdf``."""

from pathlib import Path

import click

from clinic_app.core.errors import Invalid
from clinic_app.reports import linelist, services
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
def report_command(format_code, period, clinics, out):
    """Produce a donor report file, the same as the app's download."""
    output = Path(out).suffix.lstrip(".").lower()
    request = services.ReportRequest(format_code=format_code, period_code=period, clinic_codes=list(clinics))
    try:
        data, _name = services.export(actor=None, request=request, output=output)
    except Invalid as error:
        for message in error.field_errors.values() or [error.message]:
            click.echo(message, err=True)
        raise SystemExit(1) from None
    Path(out).write_bytes(data)
    click.echo(f"Wrote {out} ({len(data):,} bytes).")


@click.command("linelist")
@click.option("--period", required=True)
@click.option("--clinic", "clinics", multiple=True)
@click.option("--coarsen-dates", is_flag=True, help="Dates as year-month only.")
@click.option("--out", required=True, type=click.Path(dir_okay=False, writable=True), help="FILE.csv or FILE.xlsx")
def linelist_command(period, clinics, coarsen_dates, out):
    """Export the de-identified line list (one row per service)."""
    try:
        options = services.linelist_options(
            actor=None, period=parse_period(period), clinic_codes=list(clinics), coarsen=coarsen_dates
        )
    except (BadPeriod, Invalid) as error:
        click.echo(str(getattr(error, "message", error)), err=True)
        raise SystemExit(1) from None
    if out.lower().endswith(".xlsx"):
        count = linelist.write_xlsx(options, out)
    else:
        with open(out, "w", newline="", encoding="utf-8") as handle:
            count = -1
            for chunk in linelist.csv_chunks(options):
                handle.write(chunk)
                count += chunk.count("\n")
    click.echo(f"Wrote {out} ({count:,} rows).")
