"""The due lists' filters (GET; they hold ids, never client data)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.validators import Optional


class DueFilterForm(FlaskForm):
    class Meta:
        csrf = False

    clinic = SelectField(_l("Clinic"), validators=[Optional()])
    peer = SelectField(_l("Peer educator"), validators=[Optional()])
