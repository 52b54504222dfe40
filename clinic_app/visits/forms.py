"""Forms for the visit screen (the visit and its collapsible service sections) and the visit list."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    FormField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from clinic_app.core.forms import CodedCheckboxesField, CodedSelectField, Form, MultiCheckboxField, Section, choice_list
from clinic_app.screening.models import (
    ArtSite,
    AssayResult,
    CervicalMethod,
    CervicalResult,
    CervicalTreatment,
    CervicalVisitType,
    PreviousHivStatus,
    StiSyndrome,
    StiTreatment,
    SyphilisResult,
    TestingModality,
    TreatmentTiming,
)
from clinic_app.visits.models import (
    PepExposure,
    PepOutcome,
    PepRegimen,
    PrepDistribution,
    PrepEventType,
    PrepRegimen,
    PrepStopReason,
    SelfTestDistribution,
    ViolenceType,
    VisitReason,
    VisitType,
)

OPTIONAL = [Optional()]


def _count(label, maximum=1000):
    return IntegerField(label, validators=[Optional(), NumberRange(min=0, max=maximum)], render_kw={"min": 0})


class HivSection(Section):
    previous_status = CodedSelectField(_l("Status before today"), enum=PreviousHivStatus)
    modality = CodedSelectField(_l("Modality"), enum=TestingModality)
    screening_result = CodedSelectField(_l("Screening test"), enum=AssayResult)
    confirmatory_result = CodedSelectField(
        _l("Confirmatory test"), enum=AssayResult, description=_l("Only when the screening test is reactive.")
    )
    tiebreaker_result = CodedSelectField(
        _l("Tie-breaker test (third assay)"),
        enum=AssayResult,
        description=_l("Only where the national algorithm has one, after reactive then non-reactive."),
    )
    result_received = BooleanField(_l("Client received the result"))
    declined = BooleanField(
        _l("Offered an HIV test, the client declined"),
        description=_l("Counted in KP_PREV as 'declined testing'. Leave the test results empty."),
    )
    art_referred_to = StringField(_l("Referred for ART to"), validators=[Optional(), Length(max=120)])
    art_started_on = DateField(_l("ART started on"), validators=OPTIONAL)
    art_site = CodedSelectField(_l("ART started at"), enum=ArtSite)


class StiSection(Section):
    syndromes = CodedCheckboxesField(_l("Syndromic screening"), enum=StiSyndrome)
    syphilis_result = CodedSelectField(_l("Syphilis test"), enum=SyphilisResult)
    treatments = CodedCheckboxesField(_l("Treatment given"), enum=StiTreatment)


class PrepSection(Section):
    event = CodedSelectField(_l("PrEP today"), enum=PrepEventType)
    regimen = CodedSelectField(_l("Regimen"), enum=PrepRegimen)
    months_dispensed = IntegerField(_l("Months dispensed"), validators=[Optional(), NumberRange(min=0, max=12)])
    next_appointment_on = DateField(
        _l("Next PrEP appointment"), validators=OPTIONAL, description=_l("Left empty: the date the supply runs out.")
    )
    stop_reason = CodedSelectField(
        _l("Reason for stopping"),
        enum=PrepStopReason,
        description=_l("A client who tests positive at a PrEP visit: stop, reason 'Tested HIV positive'."),
    )
    distribution = CodedSelectField(
        _l("PrEP handed over"), enum=PrepDistribution, description=_l("Left empty: at the clinic.")
    )
    no_test_reason = StringField(
        _l("Refill without an HIV test: why"),
        validators=[Optional(), Length(max=200)],
        description=_l("Only when there is no HIV test today or within the retest interval."),
    )


class PepSection(Section):
    exposure = CodedSelectField(_l("Exposure"), enum=PepExposure)
    hours_since_exposure = IntegerField(
        _l("Hours since exposure"), validators=[Optional(), NumberRange(min=0, max=10_000)]
    )
    regimen = CodedSelectField(_l("Regimen"), enum=PepRegimen)
    outcome = CodedSelectField(_l("Outcome at follow-up"), enum=PepOutcome)
    outcome_on = DateField(_l("Outcome recorded on"), validators=OPTIONAL)


class CervicalSection(Section):
    screening_type = CodedSelectField(_l("Screening visit"), enum=CervicalVisitType)
    method = CodedSelectField(_l("Method"), enum=CervicalMethod)
    result = CodedSelectField(
        _l("Result"), enum=CervicalResult, description=_l("Leave empty while a lab result is pending.")
    )
    result_on = DateField(_l("Result date"), validators=OPTIONAL)
    triage_result = CodedSelectField(_l("Triage result (after a positive HPV test)"), enum=CervicalResult)
    treatment = CodedSelectField(_l("Treatment"), enum=CervicalTreatment)
    treatment_timing = CodedSelectField(_l("Treatment given"), enum=TreatmentTiming)
    treated_on = DateField(_l("Treated on"), validators=OPTIONAL)
    outside_age_reason = StringField(
        _l("Reason for screening outside the screening ages"),
        validators=[Optional(), Length(max=200)],
        description=_l("Only for a client younger or older than the screening ages."),
    )


class CommoditiesSection(Section):
    male_condoms = _count(_l("Male condoms"))
    female_condoms = _count(_l("Female condoms"))
    lubricant = _count(_l("Lubricant sachets"))


class SelfTestSection(Section):
    distribution = CodedSelectField(_l("Distribution"), enum=SelfTestDistribution)
    for_self = _count(_l("Kits for self"), 20)
    for_partner = _count(_l("Kits for partners"), 20)
    for_other = _count(_l("Kits for others"), 20)


class LaterTreatmentSection(Form):
    screen_id = SelectField(
        _l("Positive screen treated today"),
        validate_choice=False,
        description=_l("A positive screen recorded at an earlier visit here and not treated yet."),
    )
    treatment = CodedSelectField(_l("Treatment"), enum=CervicalTreatment)


class ViolenceSection(Form):
    types = CodedCheckboxesField(
        _l("Violence the client reports"),
        enum=ViolenceType,
        description=_l(
            "Tick every kind the client was given care for. GEND_GBV counts sexual violence when any is ticked "
            "in the period; PEP after sexual violence is recorded in the PEP section."
        ),
    )


class VisitForm(Form):
    service_date = DateField(
        _l("Date of service"),
        validators=[InputRequired()],
        description=_l("The day the client was seen, not the day this is typed."),
    )
    visit_type = RadioField(_l("Visit"), choices=choice_list(VisitType.choices()), validators=[InputRequired()])
    reasons = MultiCheckboxField(
        _l("Other reasons for the visit"),
        choices=choice_list(VisitReason.choices()),
        description=_l("Services recorded in the sections above count as reasons by themselves."),
    )
    referral_code = StringField(
        _l("Peer referral code (if the client brought one)"),
        validators=[Optional(), Length(max=16)],
    )
    next_appointment_on = DateField(_l("Next appointment"), validators=OPTIONAL)
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=2000)])
    # One sub-form per registered section (visits.sections), named like it, in the order the screen shows them.
    hiv = FormField(HivSection)
    prep = FormField(PrepSection)
    commodities = FormField(CommoditiesSection)
    sti = FormField(StiSection)
    cervical = FormField(CervicalSection)
    pep = FormField(PepSection)
    violence = FormField(ViolenceSection)
    cervical_tx = FormField(LaterTreatmentSection)
    selftest = FormField(SelfTestSection)


class VisitFilterForm(Form):
    """GET filters for the visit list; they hold no client data."""

    class Meta:
        csrf = False

    FIELDS = ("date_from", "date_to", "visit_type", "reason")
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
    visit_type = SelectField(
        _l("Visit"), choices=choice_list([("", _l("All"))] + VisitType.choices()), validators=[Optional()]
    )
    reason = SelectField(
        _l("Reason"), choices=choice_list([("", _l("All"))] + VisitReason.choices()), validators=[Optional()]
    )
