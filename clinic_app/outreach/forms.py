"""Phone-first forms for peer educators, and the staff forms for hotspots and tracing."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from clinic_app.core.forms import CodedSelectField, Form, MultiCheckboxField, OnceForm, choice_list
from clinic_app.outreach.models import ContactKind, HotspotKind, ReferralService, TracingOutcome, TrainingTopic
from clinic_app.visits.models import SelfTestDistribution


def _count(label, maximum=1000):
    return IntegerField(
        label, validators=[Optional(), NumberRange(min=0, max=maximum)], render_kw={"inputmode": "numeric", "min": 0}
    )


class ContactForm(OnceForm):
    contact_date = DateField(_l("Date"), validators=[InputRequired()])
    hotspot_id = SelectField(_l("Hotspot"), validators=[Optional()], validate_choice=False)
    kind = RadioField(
        _l("Who"),
        choices=choice_list(ContactKind.choices()),
        default=ContactKind.INDIVIDUAL.value,
        validators=[InputRequired()],
    )
    client_number = StringField(
        _l("Health card number (if a client)"),
        validators=[Optional(), Length(max=20)],
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    contact_uic = StringField(
        _l("UIC (if a new person gives it)"),
        validators=[Optional(), Length(max=20)],
        render_kw={"autocomplete": "off", "autocapitalize": "characters"},
    )
    group_size = IntegerField(
        _l("How many in the group"),
        validators=[Optional(), NumberRange(min=0, max=1000)],
        render_kw={"inputmode": "numeric"},
    )
    hiv_info = BooleanField(_l("HIV prevention information"))
    rights_info = BooleanField(_l("Rights information"))
    violence_info = BooleanField(_l("Violence-support information"))
    referral_offered = BooleanField(_l("HIV test offered or referred"))
    test_declined = BooleanField(_l("Offered an HIV test, declined"))
    male_condoms = _count(_l("Condoms given"))
    lubricant = _count(_l("Lubricant given"))
    self_test_distribution = CodedSelectField(
        _l("HIV self-test kits handed over"),
        enum=SelfTestDistribution,
        description=_l("Assisted: you showed how to use the kit. Leave empty when no kit was given."),
    )
    kits_for_self = _count(_l("Kits for the person themself"), 20)
    kits_for_partner = _count(_l("Kits for sexual partners"), 20)
    kits_for_other = _count(_l("Kits for others"), 20)


class ReferralForm(OnceForm):
    service = CodedSelectField(_l("Referred for"), enum=ReferralService, validators=[InputRequired()])
    client_number = StringField(
        _l("Health card number (if a client)"),
        validators=[Optional(), Length(max=20)],
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )


class OutcomeForm(Form):
    outcome = CodedSelectField(_l("What happened"), enum=TracingOutcome, validators=[InputRequired()])


class AssignTracingForm(Form):
    peer_id = SelectField(_l("Peer educator"), validators=[InputRequired()], validate_choice=False)
    client_ids = MultiCheckboxField(_l("Clients"), validate_choice=False)
    reason = StringField(validators=[Optional(), Length(max=32)])


class TrainingForm(OnceForm):
    held_on = DateField(_l("Date"), validators=[InputRequired()])
    topic = CodedSelectField(_l("Topic"), enum=TrainingTopic, validators=[InputRequired()])
    facilitator = StringField(_l("Facilitator"), validators=[InputRequired(), Length(max=120)])
    client_numbers = TextAreaField(
        _l("Attendees' health card numbers"),
        validators=[Optional(), Length(max=5000)],
        description=_l("One per line or separated by commas. Leave empty if attendees are not clients."),
    )
    staff_ids = MultiCheckboxField(
        _l("Peer educators and staff who attended"),
        validate_choice=False,
        description=_l("Tick those trained at this session; counted once each however many sessions they attend."),
    )
    other_attendees = _count(_l("Other attendees (head count)"), 500)


class HotspotForm(Form):
    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=80)])
    kind = CodedSelectField(_l("Kind of place"), enum=HotspotKind, validators=[InputRequired()])
    is_active = BooleanField(_l("In use"), default=True)
    peer_ids = MultiCheckboxField(_l("Covered by"), validate_choice=False)


class PeriodForm(Form):
    class Meta:
        csrf = False

    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("To"), validators=[Optional()])
    peer = SelectField(_l("Peer educator"), validators=[Optional()], validate_choice=False)
