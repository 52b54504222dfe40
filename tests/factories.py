"""Record factories for tests: make_x(**overrides) with sensible synthetic defaults."""

import itertools
from datetime import UTC, date, datetime
from functools import lru_cache

from clinic_app.auth.models import User
from clinic_app.auth.passwords import hash_password
from clinic_app.clients import identifiers
from clinic_app.clients.models import Client, KeyPopulation, Sex
from clinic_app.clinics.models import Clinic
from clinic_app.core.permissions import Role
from clinic_app.core.places import Country
from clinic_app.extensions import db
from clinic_app.visits.models import Visit, VisitReason, VisitReasonRow, VisitType

PASSWORD = "correct horse battery"
_seq = itertools.count(1)


@lru_cache(maxsize=8)
def _hash(password: str) -> str:
    return hash_password(password)


class Factory:
    def clinic(self, **kw) -> Clinic:
        n = next(_seq)
        values = dict(code=f"C{n}", name=f"Clinic {n}", country=Country.ZA, timezone="Africa/Johannesburg")
        values.update(kw)
        values["country"] = Country(values["country"])
        clinic = Clinic(**values)
        db.session.add(clinic)
        db.session.commit()
        return clinic

    def user(self, *, role="nurse", clinic=None, password=PASSWORD, **kw) -> User:
        n = next(_seq)
        clinic = clinic or self.clinic()
        values = dict(username=f"user{n}", display_name=f"Staff {n}")
        values.update(kw)
        user = User(role=Role(role), clinic_id=clinic.id, password_hash=_hash(password), **values)
        db.session.add(user)
        db.session.commit()
        return user

    def client(self, *, clinic=None, registered_by=None, mother="MA", own="JO", **kw) -> Client:
        clinic = clinic or (registered_by.clinic if registered_by else self.clinic())
        registered_by = registered_by or self.user(clinic=clinic)
        values = dict(
            sex=Sex.FEMALE,
            date_of_birth=date(1995, 8, 15),
            dob_estimated=False,
            key_population=KeyPopulation.FSW,
            nationality=Country.ZW,
            is_mobile=False,
            enrolled_on=date(2026, 1, 10),
            alias=None,
            phone=None,
            phone_consent=False,
        )
        values.update(kw)
        values["uic"] = values.get("uic") or identifiers.build_uic(
            mother, own, values["date_of_birth"], values["dob_estimated"], str(values["sex"])
        )
        values["alias_key"] = identifiers.alias_key(values["alias"])
        client = Client(
            clinic_id=clinic.id,
            client_number=identifiers.new_client_number(),
            consent_given=True,
            consent_recorded_at=datetime.now(UTC),
            registered_by_id=registered_by.id,
            **values,
        )
        db.session.add(client)
        db.session.commit()
        return client

    def visit(
        self,
        *,
        client,
        clinic=None,
        recorded_by=None,
        service_date=date(2026, 2, 1),
        visit_type=VisitType.RETURN,
        reasons=(VisitReason.HIV_TESTING,),
        **kw,
    ) -> Visit:
        clinic = clinic or client.enrolment_clinic
        recorded_by = recorded_by or self.user(clinic=clinic)
        visit = Visit(
            clinic_id=clinic.id,
            client_id=client.id,
            recorded_by_id=recorded_by.id,
            service_date=service_date,
            visit_type=VisitType(visit_type),
            **kw,
        )
        visit.reason_rows = [VisitReasonRow(reason=VisitReason(r)) for r in reasons]
        db.session.add(visit)
        db.session.commit()
        return visit
