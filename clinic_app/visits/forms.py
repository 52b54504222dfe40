"""Forms for recording and listing visits."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from clinic_app.core.forms import MultiCheckboxField, choice_list
from clinic_app.visits.models import VisitReason, VisitType


class VisitForm(FlaskForm):
    service_date = DateField(
        _l("Date of service"),
        validators=[InputRequired()],
        description=_l("The day the client was seen, not the day this is typed."),
    )
    visit_type = RadioField(_l("Visit"), choices=choice_list(VisitType.choices()), validators=[InputRequired()])
    reasons = MultiCheckboxField(_l("Reasons for the visit"), choices=choice_list(VisitReason.choices()))
    referral_code = StringField(
        _l("Peer referral code (if the client brought one)"),
        validators=[Optional(), Length(max=16)],
    )
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=2000)])


class VisitFilterForm(FlaskForm):
    """GET filters for the visit list; they hold no client data."""

    class Meta:
        csrf = False

    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
    visit_type = SelectField(
        _l("Visit"), choices=choice_list([("", _l("All"))] + VisitType.choices()), validators=[Optional()]
    )
    reason = SelectField(
        _l("Reason"), choices=choice_list([("", _l("All"))] + VisitReason.choices()), validators=[Optional()]
    )
