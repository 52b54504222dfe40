"""The due lists' filters (GET; they hold ids, never client data)."""

from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.validators import Optional

from clinic_app.core.forms import Form


class DueFilterForm(Form):
    class Meta:
        csrf = False

    clinic = SelectField(_l("Clinic"), validators=[Optional()])
    peer = SelectField(_l("Peer educator"), validators=[Optional()])
