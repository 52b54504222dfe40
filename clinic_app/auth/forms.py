"""Forms for sign-in, own account and user administration."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional

from clinic_app.auth.models import Language
from clinic_app.core.forms import CodedSelectField, Form
from clinic_app.core.permissions import Role


class LoginForm(Form):
    username = StringField(_l("Username"), validators=[InputRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[InputRequired(), Length(max=256)])


class ChangePasswordForm(Form):
    current_password = PasswordField(_l("Current password"), validators=[InputRequired(), Length(max=256)])
    new_password = PasswordField(_l("New password"), validators=[InputRequired(), Length(max=256)])


class LanguageForm(Form):
    language = CodedSelectField(_l("Language"), enum=Language, placeholder=None, validators=[InputRequired()])


class UserForm(Form):
    """An administrator's form for an account; the clinic choices are set by the view."""

    display_name = StringField(_l("Name (as staff know them)"), validators=[InputRequired(), Length(max=120)])
    role = CodedSelectField(_l("Role"), enum=Role, validators=[InputRequired()])
    clinic_id = SelectField(_l("Clinic"), validators=[InputRequired()])
    language = CodedSelectField(_l("Language"), enum=Language, placeholder=None, validators=[InputRequired()])
    # Giving access to client records (see auth/grants.py): a second administrator signs here.
    second_username = StringField(_l("Second administrator's username"), validators=[Optional(), Length(max=64)])
    second_password = PasswordField(
        _l("Second administrator's password"),
        validators=[Optional(), Length(max=256)],
        description=_l(
            "Needed when this gives access to client records (nurse or data administrator, or a new password "
            "for one). Without a second administrator the change is saved and flagged at the top of the audit page."
        ),
    )


class NewUserForm(UserForm):
    username = StringField(
        _l("Username"),
        validators=[InputRequired(), Length(max=64)],
        description=_l("Lower-case letters, digits, dots, dashes; used to sign in."),
    )
    password = PasswordField(
        _l("Password"),
        validators=[InputRequired(), Length(max=256)],
        description=_l("At least 10 characters. A short sentence is easy to remember."),
    )


class EditUserForm(UserForm):
    active = BooleanField(_l("Account enabled"))
    new_password = PasswordField(
        _l("Set a new password"),
        validators=[Optional(), Length(max=256)],
        description=_l("Leave empty to keep the current password."),
    )
