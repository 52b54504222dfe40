"""Report requests: from a format, a period and clinics to a Dataset and its files; every export audited."""

import json
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from clinic_app.audit.services import record_and_commit
from clinic_app.clinics.models import Clinic
from clinic_app.core.actor import Actor
from clinic_app.core.db import utcnow
from clinic_app.core.errors import Invalid
from clinic_app.extensions import db
from clinic_app.reports import disclosure, engine, linelist, quality
from clinic_app.reports.dataset import Dataset
from clinic_app.reports.facts import Window
from clinic_app.reports.formats import BadFormat, get_format
from clinic_app.reports.periods import BadPeriod, Period, parse_period
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
        errors["period_code"] = _("Type a period like 2024-07, 2024Q3, 2024, FY2025Q1, FY2025S1, FY2025 or PY2023.")
    clinics = []
    try:
        clinics = _clinics(request.clinic_codes)
    except Invalid as error:
        errors.update(error.field_errors)
    if errors:
        raise Invalid(_("The report could not be made."), errors)
    return fmt, period, clinics


def build(*, actor: Actor | None, request: ReportRequest, now: datetime | None = None) -> Dataset:
    """Compute the report (no audit: previews are cheap; exports are audited in export())."""
    if actor is not None:
        actor.require("reports.view")
    fmt, period, clinics = resolve(request)
    all_clinics = not request.clinic_codes
    spec = engine.ReportSpec(
        format=fmt,
        period=period,
        clinic_ids=None if all_clinics else tuple(c.id for c in clinics),
        clinic_names=[_("All clinics")] if all_clinics else [f"{c.name} ({c.code})" for c in clinics],
        prepared_by=actor.user.display_name if actor else _("command line"),
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
    actor: Actor | None,
    request: ReportRequest,
    output: str,
    threshold: int = 5,
    exact: ExactExport | None = None,
) -> tuple[bytes, str]:
    """The report as a file, and its file name; the export is recorded in the audit trail.

    Counts from 1 to threshold-1 leave as "<5" with complementary suppression (reports/disclosure.py),
    unless the exact export is chosen with a reason by someone allowed to.
    """
    if actor is not None:
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
    record_and_commit(
        actor=actor,
        action="report.export_exact" if exact else "report.export",
        object_type="report",
        detail=detail[:255],
    )
    suffix = "-exact" if exact else ""
    return data, f"{dataset.format_code}-{dataset.period}{suffix}.{output}"


def linelist_options(*, actor: Actor | None, period: Period, clinic_codes: list[str], k: int = 5):
    """Check the request and record the export before a single row is read."""
    if actor is not None:
        actor.require("reports.linelist")
    clinics = _clinics(clinic_codes)
    window = Window(period.start, period.end, None if not clinic_codes else tuple(c.id for c in clinics))
    record_and_commit(
        actor=actor,
        action="linelist.export",
        object_type="report",
        detail=f"period={period.code} k={k} clinics={','.join(clinic_codes) or 'all'}"[:255],
    )
    return linelist.LineListOptions(window=window, k=k)


def quality_records(*, actor: Actor, code: str, period: Period) -> list:
    """The visits one data-quality check finds at the actor's own clinic (staff fix their own records)."""
    actor.require("reports.quality_records")
    rows = quality.finding_rows(code, Window(period.start, period.end, (actor.clinic_id,)))
    record_and_commit(
        actor=actor,
        action="quality.view",
        object_type="visits",
        object_ids=[row.visit_id for row in rows],
        detail=f"check={code} period={period.code}",
    )
    return rows


def period_choices(fmt_code: str | None, today) -> list[str]:
    """Recent periods of the kinds a format is reported for, newest first, for the form."""
    from clinic_app.reports.periods import current_period

    kinds = get_format(fmt_code).period_kinds if fmt_code else ("quarter",)
    codes = []
    for kind in kinds:
        current = current_period(kind, today)
        codes += [p.code for p in reversed(current.previous(5) + [current])]
    return codes
