"""Form pieces shared by features: an empty CSRF form and common validators."""

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, SelectMultipleField, widgets
from wtforms.validators import ValidationError


def choice_list(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms choices."""
    return [SelectChoice(value, label) for value, label in pairs]


class EmptyForm(FlaskForm):
    """For POST-only buttons (sign out, merge confirm): CSRF and nothing else."""


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


CHOOSE = _l("Choose...")


class CodedSelectField(SelectField):
    """A select over a CodedEnum, with an empty first choice that must be changed."""

    def __init__(self, label=None, enum=None, placeholder=CHOOSE, **kwargs):
        pairs = [("", placeholder)] + enum.choices() if placeholder else enum.choices()
        super().__init__(label, choices=choice_list(pairs), **kwargs)


class NotAfter:
    """A date may not be after the date a callable returns (the clinic's today)."""

    def __init__(self, today_fn, message=None):
        self.today_fn = today_fn
        self.message = message or _l("This date is in the future.")

    def __call__(self, form, field):
        if isinstance(field.data, date) and field.data > self.today_fn():
            raise ValidationError(self.message)


class NotBefore:
    def __init__(self, earliest: date, message=None):
        self.earliest = earliest
        self.message = message or _l("This date is too far in the past.")

    def __call__(self, form, field):
        if isinstance(field.data, date) and field.data < self.earliest:
            raise ValidationError(self.message)
