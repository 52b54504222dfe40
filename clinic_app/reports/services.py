"""Report requests: from a format, a period and clinics to a Dataset and its files; every export audited."""

import json
import re
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from clinic_app.audit.services import record_alone
from clinic_app.clinics.models import Clinic
from clinic_app.core.actor import Actor
from clinic_app.core.db import utcnow
from clinic_app.core.errors import Invalid
from clinic_app.extensions import db
from clinic_app.reports import disclosure, engine, linelist, quality
from clinic_app.reports.dataset import Dataset
from clinic_app.reports.facts import Window
from clinic_app.reports.formats import BadFormat, get_format
from clinic_app.reports.periods import BadPeriod, Period, is_future, parse_period, recent_periods
from clinic_app.reports.render_xlsx import render_xlsx

OUTPUTS = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}


@dataclass
class ReportRequest:
    format_code: str
    period_code: str
    clinic_codes: list[str]  # empty: every clinic
    today: date | None = None  # the clinic's date, to refuse a period that has not started (default: UTC)


def _clinics(codes: list[str]) -> list[Clinic]:
    if not codes:
        return list(db.session.scalars(select(Clinic).order_by(Clinic.name)))
    found = list(
        db.session.scalars(select(Clinic).where(Clinic.code.in_([c.upper() for c in codes])).order_by(Clinic.name))
    )
    missing = sorted({c.upper() for c in codes} - {c.code for c in found})
    if missing:
        raise Invalid(
            _("Unknown clinic code: %(codes)s", codes=", ".join(missing)),
            {"clinics": _("Unknown clinic code: %(codes)s", codes=", ".join(missing))},
        )
    return found


def clinic_options() -> list[tuple[str, str]]:
    """(code, name) of every clinic a report can cover, by name, for the forms' clinic lists."""
    return [(c.code, c.name) for c in _clinics([])]


def preview_plan(dataset: Dataset, threshold: int) -> tuple[list, str]:
    """What an export will hide in each table (to mark on the preview), and how a hidden cell reads."""
    return disclosure.plan(dataset, threshold), disclosure.small_label(threshold)


def resolve(request: ReportRequest) -> tuple:
    """The format, period and clinics named by a request; Invalid names what is wrong."""
    errors = {}
    fmt = period = None
    try:
        fmt = get_format(request.format_code)
    except BadFormat as error:
        errors["format_code"] = str(error)
    try:
        period = parse_period(request.period_code)
    except BadPeriod:
        errors["period_code"] = _("Choose a period from the list.")
    else:
        problem = _period_problem(fmt, period, request.today or utcnow().date())
        if problem:
            errors["period_code"] = problem
    clinics = []
    try:
        clinics = _clinics(request.clinic_codes)
    except Invalid as error:
        errors.update(error.field_errors)
    if errors:
        raise Invalid(_("The report could not be made."), errors)
    return fmt, period, clinics


PERIOD_KINDS = {
    "month": _l("Months"),
    "quarter": _l("Calendar quarters"),
    "year": _l("Calendar years"),
    "fiscal_quarter": _l("PEPFAR fiscal quarters (Oct-Sep year)"),
    "fiscal_half": _l("PEPFAR fiscal halves (semi-annual)"),
    "fiscal_year": _l("PEPFAR fiscal years"),
    "programme_year": _l("Programme years (Aug-Jul)"),
}


def _period_problem(fmt, period: Period, today: date) -> str | None:
    """Why a report cannot be made for a period (one of another kind, or one that has not started)."""
    if fmt is not None and period.kind not in fmt.period_kinds:
        kinds = ", ".join(str(PERIOD_KINDS[k]) for k in fmt.period_kinds)
        return _("This report is made for: %(kinds)s. Choose one of those periods.", kinds=kinds)
    if is_future(period, today):
        return _("%(period)s has not started yet: choose a period up to today.", period=period.code)
    return None


def build(*, actor: Actor, request: ReportRequest, now: datetime | None = None) -> Dataset:
    """Compute the report (no audit: previews are cheap; exports are audited in export())."""
    actor.require("reports.view")
    fmt, period, clinics = resolve(request)
    all_clinics = not request.clinic_codes
    spec = engine.ReportSpec(
        format=fmt,
        period=period,
        clinic_ids=None if all_clinics else tuple(c.id for c in clinics),
        clinic_names=[_("All clinics")] if all_clinics else [f"{c.name} ({c.code})" for c in clinics],
        prepared_by=_("command line (%(user)s)", user=actor.os_user) if actor.is_system else actor.display_name,
        generated_at=now or utcnow(),
    )
    return engine.compute(spec)


def render(dataset: Dataset, output: str) -> bytes:
    if output == "pdf":
        from clinic_app.reports.render_pdf import render_pdf

        return render_pdf(dataset)
    if output == "xlsx":
        return render_xlsx(dataset)
    return json.dumps(dataset.to_dict(), indent=2, ensure_ascii=False).encode()


EXACT_REASONS = {
    "donor_entry": _l("Typing the figures into the donor's system"),
    "donor_check": _l("Checking figures the donor's system questions"),
}


@dataclass(frozen=True)
class ExactExport:
    """Why a report leaves with its small numbers exact (chosen, audited; M&E and data administrators)."""

    reason: str
    note: str = ""


def export(
    *,
    actor: Actor,
    request: ReportRequest,
    output: str,
    threshold: int = 5,
    exact: ExactExport | None = None,
) -> tuple[bytes, str]:
    """The report as a file, and its file name; the export is recorded in the audit trail.

    Counts from 1 to threshold-1 leave as "<5" with complementary suppression (reports/disclosure.py),
    unless the exact export is chosen with a reason by someone allowed to.
    """
    actor.require("reports.export_exact" if exact else "reports.export")
    if output not in OUTPUTS:
        raise Invalid(_("Choose PDF, Excel or JSON."), {"output": _("Choose PDF, Excel or JSON.")})
    if exact is not None and exact.reason not in EXACT_REASONS:
        raise Invalid(_("Say why the exact numbers are needed."), {"reason": _("Choose a reason.")})
    dataset = build(actor=actor, request=request)
    data = render(dataset if exact else disclosure.published(dataset, threshold), output)
    detail = (
        f"format={dataset.format_code} period={dataset.period} output={output} "
        f"clinics={','.join(request.clinic_codes) or 'all'}"
    )
    if exact:
        detail += f" reason={exact.reason} note={' '.join(exact.note.split())}"
    record_alone(
        actor=actor,
        action="report.export_exact" if exact else "report.export",
        object_type="report",
        detail=detail[:255],
    )
    return data, file_name(dataset.format_code, request.clinic_codes, dataset.period, output, exact=bool(exact))


def file_name(report: str, clinic_codes: list[str], period: str, output: str, *, exact: bool = False) -> str:
    """``mer-BBR-FY2026Q1.pdf``: the report, the clinics (or all-clinics), the period and the file type."""
    clinics = "+".join(sorted(c.upper() for c in clinic_codes)) or "all-clinics"
    clinics = re.sub(r"[^A-Za-z0-9+-]", "", clinics)[:40]
    return f"{report}-{clinics}-{period}{'-exact' if exact else ''}.{output}"


def linelist_options(*, actor: Actor, period: Period, clinic_codes: list[str], k: int = 5):
    """Check the request and record the export before a single row is read."""
    actor.require("reports.linelist")
    clinics = _clinics(clinic_codes)
    window = Window(period.start, period.end, None if not clinic_codes else tuple(c.id for c in clinics))
    record_alone(
        actor=actor,
        action="linelist.export",
        object_type="report",
        detail=f"period={period.code} k={k} clinics={','.join(clinic_codes) or 'all'}"[:255],
    )
    return linelist.LineListOptions(window=window, k=k)


LINELIST_FILES = {"zip": "application/zip", "xlsx": OUTPUTS["xlsx"]}


def write_line_list(options: linelist.LineListOptions, output: str, target) -> str:
    """Write the line list (a zip of CSV files, or Excel for any other ``output``) to ``target``; its type."""
    if output == "zip":
        linelist.write_csv_zip(options, target)
        return "zip"
    linelist.write_xlsx(options, target)
    return "xlsx"


@dataclass
class QualityFound:
    """What one data-quality check finds over a report's clinics: the records at the actor's own clinic
    (to open and correct), and how many wait at each other clinic (corrected there, so not listed here)."""

    clinic: Clinic
    rows: list
    elsewhere: list[tuple[Clinic, int]]


def quality_records(*, actor: Actor, code: str, period: Period, clinic_codes: list[str] | None = None) -> QualityFound:
    """The visits one check finds at the actor's clinic, and the counts at the report's other clinics."""
    actor.require("reports.quality_records")
    clinics = _clinics(clinic_codes or [])
    own = db.session.get(Clinic, actor.clinic_id)
    rows = (
        quality.finding_rows(code, Window(period.start, period.end, (actor.clinic_id,)))
        if not clinic_codes or own in clinics
        else []
    )
    others = [c for c in clinics if c.id != actor.clinic_id]
    counts = quality.count_by_clinic(code, Window(period.start, period.end, tuple(c.id for c in others)))
    elsewhere = [(c, counts[c.id]) for c in others if counts.get(c.id)]
    record_alone(
        actor=actor,
        action="quality.view",
        object_type="visits",
        object_ids=[row.visit_id for row in rows],
        detail=f"check={code} period={period.code} clinics={','.join(clinic_codes or []) or 'all'}"[:255],
    )
    return QualityFound(clinic=own, rows=rows, elsewhere=elsewhere)


def quality_check(code: str) -> quality.Check | None:
    """The data-quality check with this code, if there is one."""
    return quality.CHECKS_BY_CODE.get(code)


def period_choices(fmt_code: str | None, today: date) -> list[str]:
    """Recent periods of the kinds a format is reported for, newest first (the current one first)."""
    kinds = get_format(fmt_code).period_kinds if fmt_code else ("quarter",)
    return [p.code for kind in kinds for p in recent_periods(kind, today)]


def default_period(fmt_code: str, today: date) -> str:
    """The last complete period of the format's first kind: what is usually reported."""
    return recent_periods(get_format(fmt_code).period_kinds[0], today, 2)[1].code


def period_groups(kinds, today: date, keep: str = "") -> list[tuple[str, str, list[tuple[str, str]]]]:
    """The form's period list: (kind, heading, [(code, label)]) for each kind, newest first.

    ``keep`` is a period asked for in the URL that is older than the list: it is added to its group so
    the form shows what the report is about.
    """
    groups = []
    for kind in kinds:
        periods = recent_periods(kind, today)
        try:
            wanted = parse_period(keep) if keep else None
        except BadPeriod:
            wanted = None
        if wanted and wanted.kind == kind and wanted not in periods and not is_future(wanted, today):
            periods.append(wanted)
        options = []
        for period in periods:
            label = f"{period.code} ({period.start.isoformat()} – {period.end.isoformat()})"
            if period.end >= today:
                label += " · " + _("in progress")
            options.append((period.code, label))
        groups.append((kind, str(PERIOD_KINDS[kind]), options))
    return groups
