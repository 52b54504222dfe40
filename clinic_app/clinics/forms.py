"""Forms for clinics."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import InputRequired, Length

from clinic_app.core.forms import CodedSelectField, Form, choice_list
from clinic_app.core.places import TIME_ZONES, Country


class ClinicForm(Form):
    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=120)])
    country = CodedSelectField(_l("Country"), enum=Country, validators=[InputRequired()])
    timezone = SelectField(_l("Time zone"), choices=choice_list((tz, tz) for tz in TIME_ZONES))
    is_active = BooleanField(_l("Active"), default=True)


class NewClinicForm(ClinicForm):
    code = StringField(
        _l("Code"),
        validators=[InputRequired(), Length(max=12)],
        description=_l("Short code used on reports, e.g. BBR."),
    )
