"""Forms of the emergency fund pages (phone-first: one column at 360 px)."""

from flask_babel import lazy_gettext as _l
from wtforms import DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from clinic_app.core.forms import CodedSelectField, Form, OnceForm, choice_list
from clinic_app.crisis.fund_models import FundPurpose, PaymentMethod

AMOUNT_ATTRS = {"inputmode": "decimal", "autocomplete": "off"}


class AmountField(StringField):
    """An amount typed as on the receipt ('250', '1 250,50'); the service turns it into minor units."""

    def __init__(self, label=None, **kwargs):
        super().__init__(label, validators=[Length(max=20)], render_kw=AMOUNT_ATTRS, **kwargs)


class FundForm(Form):
    name = StringField(_l("Name of the fund"), validators=[Length(max=80)])
    donor = StringField(_l("Donor"), validators=[Optional(), Length(max=120)])
    currency = StringField(
        _l("Currency"),
        validators=[Length(max=3)],
        description=_l("Three letters: ZAR, USD, BWP, MZN..."),
        render_kw={"autocapitalize": "characters", "autocomplete": "off"},
    )
    opening_balance = AmountField(_l("Opening balance"))
    opened_on = DateField(_l("Opened on"), validators=[Optional()])


class TopUpForm(OnceForm):
    amount = AmountField(_l("Amount received"))
    received_on = DateField(_l("Received on"), validators=[Optional()])
    note = StringField(_l("Note (who gave it, which grant)"), validators=[Optional(), Length(max=200)])


class ApplicationForm(OnceForm):
    fund_id = SelectField(_l("Fund"), validate_choice=False)
    purpose = CodedSelectField(_l("What the money is for"), enum=FundPurpose)
    amount = AmountField(_l("Amount"))
    note = TextAreaField(
        _l("Note for the coordinator"),
        validators=[Optional(), Length(max=200)],
        description=_l("What it pays and to whom (a hospital, a bus company). No names of the survivor."),
    )


class DecisionForm(Form):
    decision = RadioField(
        _l("Decision"),
        choices=choice_list([("approve", _l("Approve")), ("refuse", _l("Refuse"))]),
        validators=[InputRequired(message=_l("Choose approve or refuse."))],
    )
    reason = StringField(_l("Reason"), validators=[Length(max=200)])


class PaymentForm(Form):
    paid_on = DateField(_l("Paid on"), validators=[Optional()])
    method = CodedSelectField(_l("How it was paid"), enum=PaymentMethod)
    receipt_ref = StringField(_l("Receipt or transaction reference"), validators=[Length(max=60)])


class StatementForm(Form):
    class Meta:
        csrf = False  # a GET form: the choice of a fund and a period, nothing sensitive

    fund = SelectField(_l("Fund"), validate_choice=False)
    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("To"), validators=[Optional()])
