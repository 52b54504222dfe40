"""The User model: a member of staff with one role at one clinic."""

import uuid
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clinic_app.clinics.models import Clinic
from clinic_app.core.coded import CodedEnum
from clinic_app.core.db import Base, Record, coded
from clinic_app.core.permissions import Role

# The password hash of an account that stands for a process, not a person (the clinic network's
# sync account): no password ever verifies against it, it never signs in, and the administrator's
# account pages neither list nor edit it.
NO_PASSWORD = "!"  # noqa: S105 (not a hash)


class Language(CodedEnum):
    EN = "en", _l("English")
    PT = "pt", _l("Português")


class User(Record, Base):
    __tablename__ = "users"

    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(coded(Role, 20))
    clinic_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clinics.id"), index=True)
    language: Mapped[Language] = mapped_column(coded(Language, 5), default=Language.EN)
    active: Mapped[bool] = mapped_column(default=True)
    last_sign_in_at: Mapped[datetime | None]
    # Bumped to end every session of this user (sign-out, password change, disable).
    session_version: Mapped[int] = mapped_column(default=1)

    clinic: Mapped[Clinic] = relationship(lazy="joined")

    @property
    def is_service_account(self) -> bool:
        return self.password_hash == NO_PASSWORD

    # Flask-Login protocol.
    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"


class SignInThrottle(Base):
    """Failed sign-ins per username or address, and until when it is locked."""

    __tablename__ = "sign_in_throttles"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    failures: Mapped[int] = mapped_column(default=0)
    first_failure_at: Mapped[datetime | None]
    locked_until: Mapped[datetime | None]
