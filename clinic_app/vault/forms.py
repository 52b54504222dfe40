"""Forms for unlocking and setting up the encrypted database."""

from flask_babel import lazy_gettext as _l
from wtforms import PasswordField
from wtforms.validators import InputRequired, Length

from clinic_app.core.forms import Form


class UnlockForm(Form):
    passphrase = PasswordField(_l("Database passphrase"), validators=[InputRequired(), Length(max=256)])


class SetUpForm(Form):
    passphrase = PasswordField(
        _l("Choose the database passphrase"),
        validators=[InputRequired(), Length(max=256)],
        description=_l(
            "At least 12 characters. Write it down and keep it sealed in a safe place: without it the "
            "records cannot be read, by anyone."
        ),
    )
    confirm = PasswordField(_l("Type it again"), validators=[InputRequired(), Length(max=256)])
