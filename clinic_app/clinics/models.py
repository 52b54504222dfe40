"""The Clinic model: one Blue Box site."""

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from clinic_app.core.db import Base, Record, coded
from clinic_app.core.places import Country


class Clinic(Record, Base):
    __tablename__ = "clinics"

    code: Mapped[str] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    country: Mapped[Country] = mapped_column(coded(Country, 2))
    timezone: Mapped[str] = mapped_column(String(64))
    is_active: Mapped[bool] = mapped_column(default=True)

    def __repr__(self) -> str:
        return f"<Clinic {self.code}>"
