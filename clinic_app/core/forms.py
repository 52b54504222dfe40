"""Form pieces shared by features: an empty CSRF form and common validators."""

import uuid
from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectChoice, SelectField, SelectMultipleField, widgets
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
        self.enum = enum
        pairs = [("", placeholder)] + enum.choices() if placeholder else enum.choices()
        super().__init__(label, choices=choice_list(pairs), **kwargs)

    def pre_validate(self, form):
        # Nothing chosen is a valid answer here; InputRequired makes it compulsory where needed.
        if self.data in (None, ""):
            return
        super().pre_validate(form)


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


class CodedCheckboxesField(MultiCheckboxField):
    """Tick boxes over a CodedEnum."""

    def __init__(self, label=None, enum=None, **kwargs):
        self.enum = enum
        super().__init__(label, choices=choice_list(enum.choices()), **kwargs)


def _is_empty(value) -> bool:
    return value in (None, "", False, 0, [])


def section_input(subform, cls):
    """A filled sub-form as the typed input dataclass ``cls``; None when left empty.

    Coded fields become their enums; empty values fall back to the dataclass defaults.
    """
    from dataclasses import MISSING, fields

    values = {}
    for spec in fields(cls):
        field = subform[spec.name]
        data = field.data
        if isinstance(field, CodedSelectField):
            data = field.enum(data) if data else None
        elif isinstance(field, CodedCheckboxesField):
            data = [field.enum(v) for v in data or []]
        if isinstance(data, str):
            data = data.strip() or None
        values[spec.name] = data
    if all(_is_empty(v) for v in values.values()):
        return None
    return cls(
        **{
            spec.name: values[spec.name]
            for spec in fields(cls)
            if values[spec.name] is not None or (spec.default is MISSING and spec.default_factory is MISSING)
        }
    )


def section_data(section) -> dict | None:
    """A typed input dataclass as form data (codes for enums), to fill a sub-form."""
    from dataclasses import asdict
    from enum import Enum

    if section is None:
        return None

    def plain(value):
        if isinstance(value, Enum):
            return value.value
        if isinstance(value, list):
            return [plain(v) for v in value]
        return value

    return {name: plain(value) for name, value in asdict(section).items()}


class OnceForm(FlaskForm):
    """A form that creates a record once: it carries a one-time key (see core.once)."""

    submission_key = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.submission_key.data:
            self.submission_key.data = str(uuid.uuid4())

    def key(self) -> uuid.UUID:
        try:
            return uuid.UUID(self.submission_key.data)
        except (TypeError, ValueError):
            return uuid.uuid4()  # a tampered key: the row is still saved once
