"""Report pages: choose, preview, download; the data-quality lists; the line list."""

import tempfile

from flask import Response, abort, render_template, request, send_file, stream_with_context
from flask_babel import gettext as _

from clinic_app.clinics.services import all_clinics
from clinic_app.core.errors import Invalid
from clinic_app.core.forms import choice_list
from clinic_app.core.permissions import requires
from clinic_app.core.timeutil import local_today
from clinic_app.core.views import apply_errors, current_actor
from clinic_app.reports import bp, linelist, quality, services
from clinic_app.reports.formats import all_formats
from clinic_app.reports.forms import LineListForm, ReportForm
from clinic_app.reports.periods import BadPeriod, parse_period


def _report_form() -> ReportForm:
    form = ReportForm(request.args)
    form.format_code.choices = choice_list((f.code, _(f.title)) for f in all_formats().values())
    form.clinics.choices = choice_list((c.code, c.name) for c in all_clinics())
    return form


def _request(form: ReportForm) -> services.ReportRequest:
    return services.ReportRequest(
        format_code=form.format_code.data or "",
        period_code=form.period_code.data or "",
        clinic_codes=list(form.clinics.data or []),
    )


def _report_args(form: ReportForm) -> dict:
    """The report's own parameters, to build its download links (nothing else from the URL)."""
    return {
        "format_code": form.format_code.data,
        "period_code": form.period_code.data,
        "clinics": list(form.clinics.data or []),
    }


def _context(form: ReportForm) -> dict:
    actor = current_actor()
    today = local_today(actor.user.clinic.timezone)
    return {
        "form": form,
        "suggestions": services.period_choices(form.format_code.data or None, today)
        if form.format_code.data in all_formats()
        else [],
        "formats": all_formats(),
    }


@bp.route("/")
@requires("reports.view")
def index():
    form = _report_form()
    if not form.format_code.data:
        form.format_code.data = "clinic_monthly"
    return render_template("reports/index.html", **_context(form))


@bp.route("/preview")
@requires("reports.view")
def preview():
    form = _report_form()
    if not form.validate():
        return render_template("reports/index.html", **_context(form)), 422
    try:
        dataset = services.build(actor=current_actor(), request=_request(form))
    except Invalid as error:
        apply_errors(form, error)
        return render_template("reports/index.html", **_context(form)), 422
    return render_template("reports/preview.html", dataset=dataset, args=_report_args(form), **_context(form))


@bp.route("/download")
@requires("reports.export")
def download():
    form = _report_form()
    output = request.args.get("as", "")
    if not form.validate() or output not in services.OUTPUTS:
        abort(400)
    try:
        data, name = services.export(actor=current_actor(), request=_request(form), output=output)
    except Invalid:
        abort(400)
    return Response(
        data, mimetype=services.OUTPUTS[output], headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@bp.route("/quality/<code>")
@requires("reports.quality_records")
def quality_list(code):
    if code not in quality.CHECKS_BY_CODE:
        abort(404)
    try:
        period = parse_period(request.args.get("period_code", ""))
    except BadPeriod:
        abort(404)
    rows = services.quality_records(actor=current_actor(), code=code, period=period)
    return render_template("reports/quality.html", check=quality.CHECKS_BY_CODE[code], rows=rows, period=period)


@bp.route("/linelist", methods=["GET", "POST"])
@requires("reports.export")
def line_list():
    form = LineListForm()
    form.clinics.choices = choice_list((c.code, c.name) for c in all_clinics())
    if form.validate_on_submit():
        try:
            period = parse_period(form.period_code.data)
            options = services.linelist_options(
                actor=current_actor(),
                period=period,
                clinic_codes=list(form.clinics.data or []),
                coarsen=form.coarsen_dates.data,
            )
        except BadPeriod:
            form.period_code.errors = [_("Type a period like 2026Q3, 2026-10 or FY2026Q4.")]
        except Invalid as error:
            apply_errors(form, error)
        else:
            return _line_list_file(options, form.output.data, period.code)
    return render_template("reports/linelist.html", form=form), 422 if form.is_submitted() else 200


def _line_list_file(options, output: str, period_code: str):
    name = f"linelist-{period_code}.{output}"
    if output == "xlsx":
        spool = tempfile.TemporaryFile()  # removed when closed, on every operating system
        linelist.write_xlsx(options, spool)
        spool.seek(0)
        return send_file(spool, as_attachment=True, download_name=name, max_age=0, mimetype=services.OUTPUTS["xlsx"])
    return Response(
        stream_with_context(linelist.csv_chunks(options)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
