"""Form pieces shared by features: the form bases, an empty CSRF form and common validators.

Every form derives from ``Form`` (a page form, with CSRF) or ``Section`` (a sub-form): both put every
text field (StringField, TextAreaField; not passwords or hidden fields) through core.text, in one
place: the text is normalised, and control or bidi override characters are refused beside the field.
"""

import uuid
from datetime import date
from functools import partial

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Form as BareForm
from wtforms import (
    HiddenField,
    PasswordField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import ValidationError

from clinic_app.core import text


class PlainText:
    """Refuses invisible control characters and bidi overrides (after normalisation)."""

    message = _l("Remove the invisible control characters from this text (they may come from copying and pasting).")

    def __call__(self, form, field):
        if isinstance(field.data, str) and text.has_forbidden(field.data):
            raise ValidationError(self.message)


def _normalised(value, *, multiline: bool):
    return text.normalise(value, multiline=multiline) if isinstance(value, str) else value


class _PlainTextMeta:
    """Binds every free-text field with the normalising filter and the PlainText validator."""

    def bind_field(self, form, unbound_field, options):
        field = super().bind_field(form, unbound_field, options)
        if isinstance(field, StringField) and not isinstance(field, (PasswordField, HiddenField)):
            normalise = partial(_normalised, multiline=isinstance(field, TextAreaField))
            field.filters = (normalise, *field.filters)
            field.validators = [PlainText(), *field.validators]
        return field


class Form(FlaskForm):
    """The base of every page form (CSRF, and plain text in every text field)."""

    class Meta(_PlainTextMeta):
        pass


class Section(BareForm):
    """The base of every sub-form (a section of a larger form): plain text in every text field."""

    class Meta(_PlainTextMeta):
        pass


def choice_list(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms choices."""
    return [SelectChoice(value, label) for value, label in pairs]


class EmptyForm(Form):
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


class OnceForm(Form):
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
