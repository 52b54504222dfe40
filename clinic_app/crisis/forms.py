"""Crisis forms. The first form is the peer educator's most urgent screen: short, for a 360 px phone."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from clinic_app.core.forms import CodedCheckboxesField, CodedSelectField, Form, OnceForm, choice_list
from clinic_app.crisis.access import OpenReason
from clinic_app.crisis.models import (
    ActionKind,
    ActionStatus,
    CaseOutcome,
    ConsentPurpose,
    Perpetrator,
    PerpetratorOutcome,
    ReportChannel,
    SurvivorKind,
    Violation,
)

YES_NO_UNKNOWN = [("yes", _l("Yes")), ("no", _l("No")), ("unknown", _l("Not known"))]


def yes_no(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(value or "")


class CaseFields(Form):
    """What a case holds, as the first form and the edit form ask it."""

    survivor_kind = RadioField(
        _l("Survivor"),
        choices=choice_list(SurvivorKind.choices()),
        default=SurvivorKind.REGISTERED.value,
        validators=[InputRequired()],
    )
    client_number = StringField(
        _l("Health card number"),
        validators=[Optional(), Length(max=20)],
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    uic = StringField(
        _l("UIC"),
        validators=[Optional(), Length(max=20)],
        render_kw={"autocomplete": "off", "autocapitalize": "characters"},
    )
    alias = StringField(_l("Alias (not the legal name)"), validators=[Optional(), Length(max=60)])
    violations = CodedCheckboxesField(_l("What happened"), enum=Violation)
    perpetrators = CodedCheckboxesField(_l("Who did it"), enum=Perpetrator)
    perpetrator_count = IntegerField(
        _l("How many perpetrators"),
        validators=[Optional(), NumberRange(min=1, max=50)],
        render_kw={"inputmode": "numeric", "min": 1},
    )
    incident_on = DateField(_l("Date it happened"), validators=[InputRequired()])
    incident_time = TimeField(_l("Time (leave empty if not known)"), validators=[Optional()])
    hotspot_id = SelectField(_l("Hotspot"), validators=[Optional()], validate_choice=False)
    place_text = StringField(_l("Or the place in a few words"), validators=[Optional(), Length(max=120)])
    town = StringField(_l("Town"), validators=[Optional(), Length(max=80)])
    channel = CodedSelectField(_l("Reported by"), enum=ReportChannel, placeholder=None)
    safe_now = RadioField(
        _l("Is she safe now?"), choices=choice_list(YES_NO_UNKNOWN), default="", validators=[Optional()]
    )
    injured = RadioField(
        _l("Injured?"), choices=choice_list(YES_NO_UNKNOWN), default="unknown", validators=[Optional()]
    )
    narrative = TextAreaField(_l("What happened, in her words (optional)"), validators=[Optional(), Length(max=4000)])


class CaseForm(OnceForm, CaseFields):
    keep_record = BooleanField(_l("The survivor agrees that we keep a record of the case"))


class CaseEditForm(CaseFields):
    """The case's facts, corrected or completed later (consent is changed on the case page)."""


class ActionForm(Form):
    kind = CodedSelectField(_l("Step"), enum=ActionKind, validators=[InputRequired()])
    status = CodedSelectField(_l("What became of it"), enum=ActionStatus, validators=[InputRequired()])
    done_on = DateField(_l("Date"), validators=[Optional()])
    done_time = TimeField(_l("Time"), validators=[Optional()])
    police_case_number = StringField(_l("Police case number"), validators=[Optional(), Length(max=40)])
    note = StringField(_l("Note (no names)"), validators=[Optional(), Length(max=200)])


class FollowUpForm(Form):
    due_on = DateField(_l("Due on"), validators=[InputRequired()])
    assigned_to_id = SelectField(_l("Who"), validators=[Optional()], validate_choice=False)
    note = StringField(_l("What to do (no names)"), validators=[Optional(), Length(max=200)])


class ConsentForm(Form):
    purpose = CodedSelectField(_l("Consent for"), enum=ConsentPurpose, validators=[InputRequired()])


class AssignForm(Form):
    user_id = SelectField(_l("Responder"), validators=[InputRequired()], validate_choice=False)


class CloseForm(Form):
    outcome = CodedSelectField(_l("Outcome"), enum=CaseOutcome, validators=[InputRequired()])
    perpetrator_outcome = CodedSelectField(_l("Perpetrator"), enum=PerpetratorOutcome, validators=[Optional()])
    court_case = BooleanField(_l("A court case was opened"))


class ReasonForm(Form):
    class Meta:
        csrf = False  # a GET form: the reason travels as a code in the address, nothing else

    reason = CodedSelectField(_l("Why do you open this case?"), enum=OpenReason, validators=[InputRequired()])
