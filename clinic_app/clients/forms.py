"""Forms for searching, registering, editing and merging clients."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, IntegerField, RadioField, SelectField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, Regexp

from clinic_app.clients.models import KeyPopulation, Sex
from clinic_app.core.forms import CodedSelectField, Form, choice_list
from clinic_app.core.places import Country

LETTERS = Regexp(r"^([^\W\d_]{1,2}|9{1,2})$", message=_l("Type one or two letters (or 9 if unknown)."))


class SearchForm(Form):
    term = StringField(
        _l("Client number, UIC or alias"),
        validators=[InputRequired(), Length(min=2, max=60)],
    )


class ClientDetailsForm(Form):
    """The fields shared by registration and editing."""

    mother_letters = StringField(
        _l("First two letters of mother's first name"),
        validators=[InputRequired(), LETTERS],
        description=_l("Only the letters are kept, never the name. Type 9 if unknown."),
    )
    own_letters = StringField(
        _l("First two letters of client's own first name"),
        validators=[InputRequired(), LETTERS],
    )
    sex = CodedSelectField(_l("Sex"), enum=Sex, validators=[InputRequired()])
    date_of_birth = DateField(_l("Date of birth"), validators=[Optional()])
    estimated_age = IntegerField(
        _l("or estimated age in years"),
        validators=[Optional(), NumberRange(min=10, max=100, message=_l("Give an age from 10 to 100."))],
        description=_l("Only when the client does not know their date of birth."),
    )
    dob_unknown = BooleanField(
        _l("Date of birth unknown, and no estimate"),
        description=_l("The client cannot say their age: reports count them under age 'Unknown'."),
    )
    alias = StringField(
        _l("Alias (optional)"),
        validators=[Optional(), Length(max=60)],
        description=_l("A nickname the client is happy to be called; never a legal name."),
    )
    key_population = CodedSelectField(_l("Key population"), enum=KeyPopulation, validators=[InputRequired()])
    nationality = CodedSelectField(_l("Nationality"), enum=Country, validators=[InputRequired()])
    is_mobile = BooleanField(_l("Mobile or migrant (moves along the corridor)"))
    phone = StringField(
        _l("Phone (optional)"),
        validators=[Optional(), Length(max=20)],
        description=_l("Only if the client agrees to be contacted for follow-up."),
    )
    phone_consent = BooleanField(_l("Client agrees to follow-up by phone"))
    enrolled_on = DateField(_l("Enrolment date"), validators=[InputRequired()])
    peer_educator_id = SelectField(
        _l("Followed up by peer educator"),
        validators=[Optional()],
        validate_choice=False,
        description=_l("The peer educator who brought the client or will trace them."),
    )


class RegisterClientForm(ClientDetailsForm):
    # Required by the service (clients.services.register_client), so its message comes with every other one.
    consent_given = BooleanField(_l("Client consents to services and to this record being kept"))
    confirm_new = BooleanField(_l("I checked the possible matches: this is a different person"))
    safeguarding_done = BooleanField(_l("The child-protection referral has been made or started"))


class MergeForm(Form):
    duplicate_number = StringField(
        _l("Client number of the duplicate record"),
        validators=[InputRequired(), Length(max=20)],
    )


class HealthCardForm(Form):
    """GET choices for printing a health card (no client data)."""

    class Meta:
        csrf = False

    appointment = BooleanField(_l("Show the next appointment (only if the client wants it on the card)"))
    size = RadioField(
        _l("Print on"),
        choices=choice_list([("card", _l("A card (85.6 x 54 mm)")), ("a4", _l("An A4 sheet of cards, to cut out"))]),
        default="card",
        validate_choice=False,
    )
