"""Coded values: a short stored code plus a translatable label."""

from enum import StrEnum


class CodedEnum(StrEnum):
    """An enum whose members are ``CODE = "code", _l("Label")``.

    The code is what the database and forms hold; the label is what people see.
    """

    def __new__(cls, value: str, label=None):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label if label is not None else value
        return member

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(m.value, m.label) for m in cls]

    @classmethod
    def labelled(cls, code: str | None) -> str:
        try:
            return cls(code).label
        except ValueError:
            return code or ""
