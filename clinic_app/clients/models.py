"""The Client model: a pseudonymous person in the registry, never a legal name."""

import uuid
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clinic_app.auth.models import User
from clinic_app.clinics.models import Clinic
from clinic_app.core.coded import CodedEnum
from clinic_app.core.db import Base, Record, coded
from clinic_app.core.places import Country


class Sex(CodedEnum):
    FEMALE = "female", _l("Female")
    MALE = "male", _l("Male")
    TRANSGENDER = "transgender", _l("Transgender")


class KeyPopulation(CodedEnum):
    FSW = "fsw", _l("Female sex worker")
    MSW = "msw", _l("Male sex worker")
    TGSW = "tgsw", _l("Transgender sex worker")
    MSM = "msm", _l("Men who have sex with men")
    PWID = "pwid", _l("People who inject drugs")
    NON_KP = "non_kp", _l("Not a key population")


class Client(Record, Base):
    __tablename__ = "clients"

    clinic_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clinics.id"), index=True)
    client_number: Mapped[str] = mapped_column(String(16), unique=True)
    uic: Mapped[str] = mapped_column(String(16), index=True)
    alias: Mapped[str | None] = mapped_column(String(60))
    alias_key: Mapped[str | None] = mapped_column(String(60), index=True)
    sex: Mapped[Sex] = mapped_column(coded(Sex, 12))
    date_of_birth: Mapped[date | None]  # None: unknown (the client does not know it, no estimate)
    dob_estimated: Mapped[bool] = mapped_column(default=False)
    key_population: Mapped[KeyPopulation] = mapped_column(coded(KeyPopulation, 10))
    nationality: Mapped[Country] = mapped_column(coded(Country, 2))
    is_mobile: Mapped[bool] = mapped_column(default=False)
    phone: Mapped[str | None] = mapped_column(String(20))
    phone_consent: Mapped[bool] = mapped_column(default=False)
    enrolled_on: Mapped[date]
    consent_given: Mapped[bool]
    consent_recorded_at: Mapped[datetime]
    registered_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    # The peer educator who follows this client up (for tracing and due lists).
    peer_educator_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), index=True)
    # A record merged into another stays, so its number and UIC are still found.
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("clients.id"), index=True)
    merged_at: Mapped[datetime | None]

    enrolment_clinic: Mapped[Clinic] = relationship(lazy="joined")
    peer_educator: Mapped["User | None"] = relationship(foreign_keys=[peer_educator_id])
    merged_into: Mapped["Client | None"] = relationship(remote_side="Client.id")

    @property
    def is_merged(self) -> bool:
        return self.merged_into_id is not None

    def __repr__(self) -> str:
        return f"<Client {self.client_number}>"
