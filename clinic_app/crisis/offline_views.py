"""The crisis case form sent from the phone's outbox (static/js/offline.js) when there was no signal.

The same form, rules and service as the page (consent and anonymity included), so an entry sent later
gets the page's messages; the phone's UUID is the submission key (sent twice, stored once). The case is
reported at the time the phone saved it, so the PEP clock and the response times start from the call.
"""

from datetime import timedelta

from flask import current_app, jsonify, url_for
from flask_babel import gettext as _

from clinic_app.core.errors import Invalid
from clinic_app.core.outbox import read_entry, refused, unreadable
from clinic_app.core.permissions import requires
from clinic_app.core.views import current_actor
from clinic_app.crisis import services
from clinic_app.crisis.forms import CaseForm
from clinic_app.crisis.views import bp, case_input, hotspot_choices


@bp.route("/offline/case", methods=["POST"])
@requires("crisis.open")
def offline_case():
    entry = read_entry()
    if entry is None:
        return unreadable()
    actor = current_actor()
    form = CaseForm(formdata=entry.formdata, meta={"csrf": False})
    hotspot_choices(form, actor)
    if not form.validate():
        return refused(form, _("The case was not saved. Please correct the fields marked below."), form.errors)
    reported = entry.recorded_at(within=timedelta(days=current_app.config["OUTREACH_BACKDATE_DAYS"]))
    try:
        case, created = services.open_new_case(
            actor=actor,
            data=case_input(form, keep_record=form.keep_record.data),
            submission_key=entry.key,
            now=reported,
        )
    except Invalid as error:
        return refused(form, error.message, error.field_errors)
    return jsonify(
        status="saved" if created else "already",
        message=_("Case opened."),
        reference=case.reference,
        url=url_for("crisis.detail", case_id=case.id, reason="responding" if case.restricted else None),
    )
