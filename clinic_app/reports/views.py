"""Report pages: choose, preview, download; the data-quality lists; the line list."""

from flask import Blueprint, abort, current_app, render_template, request, send_file
from flask_babel import gettext as _

from clinic_app.core import spool
from clinic_app.core.errors import Invalid
from clinic_app.core.forms import choice_list
from clinic_app.core.permissions import requires
from clinic_app.core.timeutil import local_today
from clinic_app.core.views import apply_errors, current_actor
from clinic_app.reports import services
from clinic_app.reports.formats import all_formats
from clinic_app.reports.forms import ExactExportForm, LineListForm, ReportForm
from clinic_app.reports.periods import BadPeriod, is_future, parse_period

bp = Blueprint("reports", __name__, url_prefix="/reports", cli_group=None)


def _report_form() -> ReportForm:
    form = ReportForm(request.args)
    form.format_code.choices = choice_list((f.code, _(f.title)) for f in all_formats().values())
    form.clinics.choices = choice_list(services.clinic_options())
    return form


def _today():
    return local_today(current_actor().user.clinic.timezone)


def _request(form: ReportForm) -> services.ReportRequest:
    return services.ReportRequest(
        format_code=form.format_code.data or "",
        period_code=form.period_code.data or "",
        clinic_codes=list(form.clinics.data or []),
        today=_today(),
    )


def _report_args(form: ReportForm) -> dict:
    """The report's own parameters, to build its download links (nothing else from the URL)."""
    return {
        "format_code": form.format_code.data,
        "period_code": form.period_code.data,
        "clinics": list(form.clinics.data or []),
    }


def _context(form: ReportForm) -> dict:
    formats = all_formats()
    chosen = formats.get(form.format_code.data or "")
    kinds = list(chosen.period_kinds if chosen else ())
    kinds += [k for f in formats.values() for k in f.period_kinds if k not in kinds]
    return {
        "form": form,
        "period_groups": services.period_groups(kinds, _today(), keep=form.period_code.data or ""),
        "format_kinds": {code: list(f.period_kinds) for code, f in formats.items()},
        "formats": formats,
    }


@bp.route("/")
@requires("reports.view")
def index():
    form = _report_form()
    if form.format_code.data not in all_formats():
        form.format_code.data = "clinic_monthly"
    if not form.period_code.data:
        form.period_code.data = services.default_period(form.format_code.data, _today())
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
    return _preview_page(form, dataset, _exact_form())


def _exact_form() -> ExactExportForm:
    form = ExactExportForm()
    form.reason.choices = choice_list((code, _(label)) for code, label in services.EXACT_REASONS.items())
    return form


def _file(data: bytes, name: str, output: str):
    return current_app.response_class(
        data, mimetype=services.OUTPUTS[output], headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@bp.route("/download")
@requires("reports.export")
def download():
    """The report as it may leave the clinic: small numbers hidden (reports/disclosure.py)."""
    form = _report_form()
    output = request.args.get("as", "")
    if not form.validate() or output not in services.OUTPUTS:
        abort(400)
    try:
        data, name = services.export(
            actor=current_actor(),
            request=_request(form),
            output=output,
            threshold=current_app.config["SMALL_CELL_THRESHOLD"],
        )
    except Invalid:
        abort(400)
    return _file(data, name, output)


@bp.route("/download-exact", methods=["POST"])
@requires("reports.export_exact")
def download_exact():
    """The exact report, a separate choice with a reason; recorded as such in the audit trail."""
    form = _report_form()
    exact = _exact_form()
    if not form.validate() or not exact.validate_on_submit():
        return preview_with(form, exact), 422
    try:
        data, name = services.export(
            actor=current_actor(),
            request=_request(form),
            output=exact.output.data,
            exact=services.ExactExport(reason=exact.reason.data, note=exact.note.data or ""),
        )
    except Invalid as error:
        apply_errors(exact, error)
        return preview_with(form, exact), 422
    return _file(data, name, exact.output.data)


def preview_with(form: ReportForm, exact: ExactExportForm):
    """The preview page again, with the exact-export form's errors beside its fields."""
    try:
        dataset = services.build(actor=current_actor(), request=_request(form))
    except Invalid:
        abort(400)
    return _preview_page(form, dataset, exact)


def _preview_page(form: ReportForm, dataset, exact: ExactExportForm):
    """Exact numbers inside the clinic, with the cells an export will hide marked."""
    plans, small = services.preview_plan(dataset, current_app.config["SMALL_CELL_THRESHOLD"])
    return render_template(
        "reports/preview.html",
        dataset=dataset,
        plans=plans,
        small=small,
        args=_report_args(form),
        exact_form=exact,
        **_context(form),
    )


@bp.route("/quality/<code>")
@requires("reports.quality_records")
def quality_list(code):
    """The records a check finds at every clinic the report covered (ticked, or all), by clinic."""
    check = services.quality_check(code)
    if check is None:
        abort(404)
    try:
        period = parse_period(request.args.get("period_code", ""))
        found = services.quality_records(
            actor=current_actor(), code=code, period=period, clinic_codes=request.args.getlist("clinics")
        )
    except (BadPeriod, Invalid):
        abort(404)
    return render_template("reports/quality.html", check=check, found=found, period=period)


@bp.route("/linelist", methods=["GET", "POST"])
@requires("reports.linelist")
def line_list():
    form = LineListForm()
    form.clinics.choices = choice_list(services.clinic_options())
    if not form.is_submitted():
        form.period_code.data = services.default_period("programme", _today())
    if form.validate_on_submit():
        try:
            period = parse_period(form.period_code.data)
            if is_future(period, _today()):
                raise BadPeriod(period.code)
            options = services.linelist_options(
                actor=current_actor(),
                period=period,
                clinic_codes=list(form.clinics.data or []),
                k=current_app.config["LINELIST_K"],
            )
        except BadPeriod:
            form.period_code.errors = [_("Choose a period from the list, up to today.")]
        except Invalid as error:
            apply_errors(form, error)
        else:
            return _line_list_file(options, form.output.data, period.code, list(form.clinics.data or []))
    groups = services.period_groups(LINELIST_KINDS, _today(), keep=form.period_code.data or "")
    page = render_template("reports/linelist.html", form=form, period_groups=groups)
    return page, 422 if form.is_submitted() else 200


LINELIST_KINDS = ("month", "quarter", "fiscal_quarter", "fiscal_half", "fiscal_year", "programme_year")


def _line_list_file(options, output: str, period_code: str, clinic_codes: list[str]):
    """Written to an anonymous spool file inside instance/ (0600), then sent."""
    target = spool.spool_file()
    output = services.write_line_list(options, output, target)
    target.seek(0)
    name = services.file_name("linelist", clinic_codes, period_code, output)
    return send_file(
        target, as_attachment=True, download_name=name, max_age=0, mimetype=services.LINELIST_FILES[output]
    )
