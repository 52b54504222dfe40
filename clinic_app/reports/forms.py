"""Forms to choose a report and to export the line list."""

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectField, StringField
from wtforms.validators import InputRequired, Length

from clinic_app.core.forms import Form, MultiCheckboxField, choice_list


class ReportForm(Form):
    """GET parameters: which format, period and clinics (no client data)."""

    class Meta:
        csrf = False

    format_code = SelectField(_l("Report"), validators=[InputRequired()])
    # Chosen from a list of real periods (reports/_period.html); the service refuses one of the wrong kind
    # for the report, or one that has not started.
    period_code = StringField(
        _l("Period"),
        validators=[InputRequired(message=_l("Choose a period from the list.")), Length(max=12)],
        description=_l("The periods this report is made for; the current one is still in progress."),
    )
    clinics = MultiCheckboxField(_l("Clinics (none ticked: all clinics)"), validate_choice=False)


class LineListForm(Form):
    period_code = StringField(
        _l("Period"), validators=[InputRequired(message=_l("Choose a period from the list.")), Length(max=12)]
    )
    clinics = MultiCheckboxField(_l("Clinics (none ticked: all clinics)"), validate_choice=False)
    output = RadioField(
        _l("File"), choices=choice_list([("xlsx", "Excel"), ("zip", _l("CSV (ZIP with the codebook)"))]), default="xlsx"
    )


class ExactExportForm(Form):
    """The exact report (small numbers not hidden), for typing into the donor's system: a reason is asked."""

    reason = RadioField(_l("Why are the exact numbers needed?"), validators=[InputRequired()])
    note = StringField(
        _l("Note for the audit trail (optional)"),
        validators=[Length(max=120)],
        description=_l("No names or client numbers."),
    )
    output = RadioField(
        _l("File"), choices=choice_list([("xlsx", "Excel"), ("pdf", "PDF"), ("json", "JSON")]), default="xlsx"
    )
