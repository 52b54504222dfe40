"""Declarative base and column types shared by every model.

Every record has a globally unique id (UUID) so that several clinics can later
sync into one central database without id clashes, and every timestamp is UTC.
"""

import uuid
from datetime import UTC, datetime

from sqlalchemy import DateTime, MetaData, String, TypeDecorator, Uuid, event
from sqlalchemy import Enum as SAEnum
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, registry

from clinic_app.core import text

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current instant, timezone-aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always read back as an aware UTC datetime.

    SQLite keeps no zone, so values are normalised to UTC before writing and
    tagged as UTC after reading; PostgreSQL stores them as timestamptz.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def coded(enum_cls, length: int = 32) -> SAEnum:
    """A column type storing a CodedEnum by its short code (portable, no native enum)."""
    return SAEnum(
        enum_cls,
        native_enum=False,
        length=length,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
        create_constraint=False,
    )


class Base(DeclarativeBase):
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime(), str: String(255)},
    )


@event.listens_for(Base, "before_insert", propagate=True)
@event.listens_for(Base, "before_update", propagate=True)
def _plain_text(mapper, _connection, target) -> None:
    """Text written by any path (commands, sync, imports; forms refuse it first) loses control and
    bidi override characters before it is stored (core/text.py). A model whose rows are hashed as
    written (the audit trail) sets ``keep_text_as_given``."""
    if getattr(target, "keep_text_as_given", False):
        return
    for attribute in mapper.column_attrs:
        column_type = attribute.columns[0].type
        if not isinstance(column_type, String) or isinstance(column_type, SAEnum):
            continue
        value = getattr(target, attribute.key)
        if isinstance(value, str) and text.has_forbidden(value):
            setattr(target, attribute.key, text.clean(value))


class Record:
    """Mixin for every stored record: UUID id and UTC creation/update times."""

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
