"""Emergency fund pages under /crisis/fund: funds, applications on a case, decisions, payments, statements."""

import io

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _

from clinic_app.core.errors import Conflict, Invalid, NotAllowed, NotFound
from clinic_app.core.forms import choice_list
from clinic_app.core.permissions import requires
from clinic_app.core.views import apply_errors, current_actor
from clinic_app.crisis import fund, fund_applications, fund_statement
from clinic_app.crisis.fund_forms import ApplicationForm, DecisionForm, FundForm, PaymentForm, StatementForm, TopUpForm
from clinic_app.crisis.fund_models import ApplicationStatus
from clinic_app.crisis.fund_render import render_statement_pdf, render_statement_xlsx
from clinic_app.crisis.money import format_money, parse_amount
from clinic_app.crisis.views import bp


@bp.app_template_filter("money")
def money_filter(minor, currency):
    return format_money(minor, currency)


@bp.app_template_global("case_fund_applications")
def case_fund_applications(case):
    """The fund applications of a case the signed-in user may see (for the case page's fund section)."""
    return fund_applications.applications(actor=current_actor(), case_id=case.id)


def _checked(form, errors: dict) -> bool:
    """Validate the form, then put the service's rule errors beside the fields: every error in one round."""
    valid = form.validate()
    for name, message in errors.items():
        field = form._fields.get(name)
        if field is None:
            form.form_errors.append(message)
        elif not field.errors:
            field.errors = [message]
    return valid and not errors


def _status(form) -> int:
    return 422 if form.is_submitted() else 200


@bp.route("/fund/")
@requires("crisis.fund_request")
def fund_index():
    """The coordinator's desk (funds, applications waiting, to pay); others see their own applications."""
    actor = current_actor()
    rows = fund_applications.listed_applications(actor=actor)
    return render_template(
        "crisis/fund_index.html",
        funds=fund.clinic_funds(actor=actor) if actor.can("crisis.fund_manage") else [],
        waiting=[a for a in rows if a.status == ApplicationStatus.REQUESTED],
        to_pay=[a for a in rows if a.status == ApplicationStatus.APPROVED],
        done=[a for a in rows if a.status not in fund_applications.OPEN_STATUSES],
    )


@bp.route("/fund/new", methods=["GET", "POST"])
@requires("crisis.fund_manage")
def new_fund():
    actor = current_actor()
    form = FundForm()
    if request.method == "GET":
        form.opened_on.data = fund.actor_today(actor)
    if form.is_submitted():
        data = fund.FundInput(
            name=form.name.data,
            donor=form.donor.data,
            currency=form.currency.data,
            opening_balance=parse_amount(form.opening_balance.data),
            opened_on=form.opened_on.data,
        )
        if _checked(form, fund.fund_errors(actor=actor, data=data, today=fund.actor_today(actor))):
            try:
                created = fund.create_fund(actor=actor, data=data)
            except Invalid as error:
                apply_errors(form, error)
            else:
                flash(_("Fund opened."), "success")
                return redirect(url_for("crisis.fund_detail", fund_id=created.id))
    return render_template("crisis/fund_form.html", form=form), _status(form)


@bp.route("/fund/<uuid:fund_id>", methods=["GET", "POST"])
@requires("crisis.fund_manage")
def fund_detail(fund_id):
    """A fund's balance and top-ups, with the form to record a top-up."""
    actor = current_actor()
    try:
        record = fund.clinic_fund(actor=actor, fund_id=fund_id)
    except NotFound:
        abort(404)
    form = TopUpForm()
    if request.method == "GET":
        form.received_on.data = fund.actor_today(actor)
    if form.is_submitted():
        amount = parse_amount(form.amount.data)
        errors = fund.top_up_errors(amount=amount, received_on=form.received_on.data, today=fund.actor_today(actor))
        if _checked(form, errors):
            try:
                _row, created = fund.top_up(
                    actor=actor,
                    fund_id=record.id,
                    amount=amount,
                    received_on=form.received_on.data,
                    note=form.note.data,
                    submission_key=form.key(),
                )
            except Invalid as error:
                apply_errors(form, error)
            else:
                flash(
                    _("Top-up saved.") if created else _("This was already saved; it was not stored twice."), "success"
                )
                return redirect(url_for("crisis.fund_detail", fund_id=record.id))
    return render_template("crisis/fund_detail.html", fund=record, form=form), _status(form)


@bp.route("/fund/<uuid:fund_id>/active", methods=["POST"])
@requires("crisis.fund_manage")
def fund_active(fund_id):
    try:
        record = fund.set_fund_active(actor=current_actor(), fund_id=fund_id, active=request.form.get("active") == "1")
    except NotFound:
        abort(404)
    flash(_("The fund takes applications.") if record.is_active else _("The fund is closed to new applications."))
    return redirect(url_for("crisis.fund_detail", fund_id=fund_id))


@bp.route("/fund/apply/<uuid:case_id>", methods=["GET", "POST"])
@requires("crisis.fund_request")
def fund_apply(case_id):
    """Ask the fund to pay a cost of a case (from the case page)."""
    actor = current_actor()
    try:
        case = fund_applications.readable_case(actor=actor, case_id=case_id)
    except (NotFound, NotAllowed):
        abort(404)
    form = ApplicationForm()
    funds = fund.clinic_funds(actor=actor, active_only=True)
    form.fund_id.choices = choice_list(
        [("", _("Choose..."))] + [(str(f.id), f"{f.name} ({f.currency})") for f in funds]
    )
    if request.method == "GET" and len(funds) == 1:
        form.fund_id.data = str(funds[0].id)
    if form.is_submitted():
        data = fund_applications.ApplicationInput(
            fund_id=form.fund_id.data,
            purpose=form.purpose.data,
            amount=parse_amount(form.amount.data),
            note=form.note.data,
        )
        if _checked(form, fund_applications.application_errors(actor=actor, case=case, data=data)):
            try:
                application, _created = fund_applications.apply_for_funds(
                    actor=actor, case_id=case.id, data=data, submission_key=form.key()
                )
            except Invalid as error:
                apply_errors(form, error)
            else:
                flash(_("Application sent to the coordinator."), "success")
                return redirect(url_for("crisis.fund_application", application_id=application.id))
    return render_template("crisis/fund_apply.html", form=form, case=case, funds=funds), _status(form)


def _application_page(application, decision=None, payment=None, status=200):
    actor = current_actor()
    payment = payment or PaymentForm()
    if payment.paid_on.data is None and not payment.is_submitted():
        payment.paid_on.data = fund.actor_today(actor)
    return render_template(
        "crisis/fund_application.html",
        application=application,
        decision=decision or DecisionForm(formdata=None),
        payment=payment,
        may_decide=actor.can("crisis.fund_decide") and application.requested_by_id != actor.id,
        may_pay=actor.can("crisis.fund_manage"),
    ), status


@bp.route("/fund/applications/<uuid:application_id>")
@requires("crisis.fund_request")
def fund_application(application_id):
    try:
        application = fund_applications.open_application(actor=current_actor(), application_id=application_id)
    except NotFound:
        abort(404)
    return _application_page(application, payment=PaymentForm(formdata=None))


def _visible_or_404(application_id):
    try:
        return fund_applications.visible_application(actor=current_actor(), application_id=application_id)
    except NotFound:
        abort(404)


@bp.route("/fund/applications/<uuid:application_id>/decide", methods=["POST"])
@requires("crisis.fund_decide")
def fund_decide(application_id):
    application = _visible_or_404(application_id)
    form = DecisionForm()
    reason_missing = {} if (form.reason.data or "").strip() else {"reason": _("Give the reason for the decision.")}
    if not _checked(form, reason_missing):
        return _application_page(application, decision=form, payment=PaymentForm(formdata=None), status=422)
    try:
        fund_applications.decide(
            actor=current_actor(),
            application_id=application.id,
            approve=form.decision.data == "approve",
            reason=form.reason.data,
        )
    except (NotAllowed, Conflict, Invalid) as error:
        flash(error.message, "error")
    else:
        flash(_("Approved.") if form.decision.data == "approve" else _("Refused."), "success")
    return redirect(url_for("crisis.fund_application", application_id=application.id))


@bp.route("/fund/applications/<uuid:application_id>/pay", methods=["POST"])
@requires("crisis.fund_manage")
def fund_pay(application_id):
    actor = current_actor()
    application = _visible_or_404(application_id)
    form = PaymentForm()
    data = fund_applications.PaymentInput(
        paid_on=form.paid_on.data, method=form.method.data, receipt_ref=form.receipt_ref.data
    )
    if not _checked(form, fund_applications.payment_errors(data=data, today=fund.actor_today(actor))):
        return _application_page(application, payment=form, status=422)
    try:
        fund_applications.pay(actor=actor, application_id=application.id, data=data)
    except (Conflict, Invalid) as error:
        flash(error.message, "error")
    else:
        flash(_("Payment recorded."), "success")
    return redirect(url_for("crisis.fund_application", application_id=application.id))


@bp.route("/fund/applications/<uuid:application_id>/cancel", methods=["POST"])
@requires("crisis.fund_request")
def fund_cancel(application_id):
    application = _visible_or_404(application_id)
    try:
        fund_applications.cancel(actor=current_actor(), application_id=application.id)
    except Conflict as error:
        flash(error.message, "error")
    else:
        flash(_("Application cancelled."), "success")
    return redirect(url_for("crisis.fund_application", application_id=application.id))


@bp.route("/fund/statement")
@requires("crisis.fund_statement")
def fund_statement_page():
    """A fund's statement for a period on screen, and as PDF or Excel (each file audited)."""
    actor = current_actor()
    form = StatementForm(request.args)
    funds = fund.clinic_funds(actor=actor)
    form.fund.choices = choice_list([(str(f.id), f"{f.name} ({f.currency})") for f in funds])
    today = fund.actor_today(actor)
    form.validate()
    start = form.start.data or today.replace(day=1)
    end = form.end.data or today
    form.start.data, form.end.data = start, end
    chosen = next((f for f in funds if str(f.id) == form.fund.data), funds[0] if funds else None)
    if chosen is None:
        return render_template("crisis/fund_statement.html", form=form, statement=None)
    form.fund.data = str(chosen.id)
    try:
        statement = fund_statement.fund_statement(actor=actor, fund_id=chosen.id, start=start, end=end)
    except Invalid as error:
        apply_errors(form, error)
        return render_template("crisis/fund_statement.html", form=form, statement=None), 422
    output = request.args.get("as", "")
    if output in ("pdf", "xlsx"):
        return _statement_file(statement, output, chosen.id)
    return render_template("crisis/fund_statement.html", form=form, statement=statement)


def _statement_file(statement, output: str, fund_id):
    data = render_statement_pdf(statement) if output == "pdf" else render_statement_xlsx(statement)
    fund_statement.record_statement_export(
        actor=current_actor(), fund_id=fund_id, output=output, start=statement.start, end=statement.end
    )
    mimetype = (
        "application/pdf" if output == "pdf" else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    name = f"fund-statement-{statement.start.isoformat()}-{statement.end.isoformat()}.{output}"
    return send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=name)
