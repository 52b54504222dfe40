"""Builds the demo network: five Blue Box sites, one user per role, synthetic clients.

Everything here is invented. Nothing resembles a real person.
"""

import random
import secrets
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select

from clinic_app.auth.models import Language, User
from clinic_app.auth.passwords import hash_password
from clinic_app.clients import identifiers
from clinic_app.clients.models import Client, KeyPopulation, Sex
from clinic_app.clinics.models import Clinic
from clinic_app.core.permissions import Role
from clinic_app.core.places import Country
from clinic_app.core.timeutil import local_today
from clinic_app.extensions import db
from clinic_app.visits.models import Visit, VisitReason, VisitReasonRow, VisitType

CLINICS = [
    ("NGD", "Ngodwana", Country.ZA, "Africa/Johannesburg"),
    ("CTR", "Cato Ridge", Country.ZA, "Africa/Johannesburg"),
    ("BBR", "Beitbridge", Country.ZW, "Africa/Harare"),
    ("VFA", "Victoria Falls", Country.ZW, "Africa/Harare"),
    ("INC", "Inchope", Country.MZ, "Africa/Maputo"),
]

USERS = [
    ("admin", "Demo Administrator", Role.ADMIN, "BBR", Language.EN),
    ("nurse", "Sister Demo Nurse", Role.NURSE, "BBR", Language.EN),
    ("data.admin", "Demo Data Administrator", Role.DATA_ADMIN, "BBR", Language.EN),
    ("peer", "Demo Peer Educator", Role.PEER_EDUCATOR, "BBR", Language.EN),
    ("me.officer", "Demo M&E Officer", Role.ME_OFFICER, "BBR", Language.EN),
    ("enfermeira", "Enfermeira Demo", Role.NURSE, "INC", Language.PT),
]

ALIASES = [
    "Chipo",
    "Tendai",
    "Rudo",
    "Lulu",
    "Sisi",
    "Naledi",
    "Zodwa",
    "Mimi",
    "Precious",
    "Gift",
    "Lady T",
    "Queen",
    "Baby",
    "Nomsa",
    "Fatima",
    "Lina",
    "Joy",
    "Star",
    "Dudu",
    "Mama K",
]
LETTERS = "ABCDEFGHIJKLMNOPRSTUVWZ"
DEMO_PASSWORD_WORDS = ["river", "border", "truck", "lamp", "mango", "kettle", "sunrise", "baobab", "harbour", "copper"]


def _password(rng: secrets.SystemRandom) -> str:
    return "-".join(rng.choice(DEMO_PASSWORD_WORDS) for _ in range(3)) + f"-{rng.randint(10, 99)}"


def _ensure_clinics() -> dict[str, Clinic]:
    clinics = {c.code: c for c in db.session.scalars(select(Clinic))}
    for code, name, country, tz in CLINICS:
        if code not in clinics:
            clinics[code] = Clinic(code=code, name=name, country=country, timezone=tz)
            db.session.add(clinics[code])
    db.session.flush()
    return clinics


def _reset_users(clinics: dict[str, Clinic]) -> dict[str, tuple[str, str, str]]:
    """Create the demo users, or give the existing ones new passwords."""
    chooser = secrets.SystemRandom()
    printed = {}
    for username, name, role, code, language in USERS:
        password = _password(chooser)
        user = db.session.scalar(select(User).where(User.username == username))
        if user is None:
            user = User(
                username=username,
                display_name=name,
                role=role,
                clinic_id=clinics[code].id,
                language=language,
                password_hash="",
            )
            db.session.add(user)
        user.password_hash = hash_password(password)
        user.session_version = (user.session_version or 0) + 1
        printed[username] = (str(role), clinics[code].name, password)
    db.session.flush()
    return printed


def _reasons(rng: random.Random, first: bool) -> list[VisitReason]:
    reasons = {VisitReason.CONDOMS} if rng.random() < 0.7 else set()
    reasons.add(VisitReason.HIV_TESTING if first or rng.random() < 0.35 else VisitReason.PREP)
    for reason, chance in (
        (VisitReason.STI, 0.2),
        (VisitReason.CERVICAL, 0.08),
        (VisitReason.FAMILY_PLANNING, 0.1),
        (VisitReason.VIOLENCE, 0.04),
        (VisitReason.PEP, 0.02),
        (VisitReason.GENERAL, 0.1),
    ):
        if rng.random() < chance:
            reasons.add(reason)
    return sorted(reasons)


def _person(rng: random.Random, clinic: Clinic, today: date) -> dict:
    roll = rng.random()
    sex, kp = (
        (Sex.FEMALE, KeyPopulation.FSW)
        if roll < 0.85
        else (Sex.TRANSGENDER, KeyPopulation.TGSW)
        if roll < 0.93
        else (Sex.MALE, KeyPopulation.MSW)
    )
    age = int(min(58, max(18, rng.gauss(29, 7))))
    born = today - timedelta(days=age * 365 + rng.randint(0, 364))
    estimated = rng.random() < 0.1
    nationality = (
        clinic.country
        if rng.random() < 0.7
        else rng.choice([Country.ZW, Country.MZ, Country.MW, Country.ZM, Country.ZA, Country.BW, Country.CD])
    )
    alias = rng.choice(ALIASES) if rng.random() < 0.6 else None
    phone = (
        f"+{rng.choice(['27', '263', '258', '267'])}7{rng.randint(10_000_000, 99_999_999)}"
        if rng.random() < 0.4
        else None
    )
    return dict(
        sex=sex,
        key_population=kp,
        date_of_birth=born,
        dob_estimated=estimated,
        uic=identifiers.build_uic(
            rng.choice(LETTERS) + rng.choice(LETTERS.lower()),
            rng.choice(LETTERS) + rng.choice(LETTERS.lower()),
            born,
            estimated,
            sex.value,
        ),
        alias=alias,
        alias_key=identifiers.alias_key(alias),
        nationality=nationality,
        is_mobile=nationality != clinic.country or rng.random() < 0.3,
        phone=phone,
        phone_consent=phone is not None,
    )


def _clients_and_visits(rng: random.Random, clinics: dict[str, Clinic], nurse: User, n_clients: int) -> None:
    weights = {"NGD": 2, "CTR": 2, "BBR": 4, "VFA": 2, "INC": 2}
    codes = list(weights)
    numbers = set()
    for _ in range(n_clients):
        home = clinics[rng.choices(codes, weights=[weights[c] for c in codes])[0]]
        today = local_today(home.timezone)
        enrolled = today - timedelta(days=int(rng.triangular(0, 540, 60)))
        number = identifiers.new_client_number()
        while number in numbers:
            number = identifiers.new_client_number()
        numbers.add(number)
        client = Client(
            clinic_id=home.id,
            client_number=number,
            enrolled_on=enrolled,
            consent_given=True,
            consent_recorded_at=datetime.combine(enrolled, time(9), UTC),
            registered_by_id=nurse.id,
            **_person(rng, home, today),
        )
        db.session.add(client)
        day, first = enrolled, True
        while day <= today:
            clinic = home if not client.is_mobile or rng.random() < 0.75 else rng.choice(list(clinics.values()))
            visit = Visit(
                clinic_id=clinic.id,
                client=client,
                service_date=day,
                visit_type=VisitType.NEW if first else VisitType.RETURN,
                recorded_by_id=nurse.id,
                created_at=datetime.combine(day, time(rng.randint(7, 15), rng.randint(0, 59)), UTC),
            )
            visit.reason_rows = [VisitReasonRow(reason=r) for r in _reasons(rng, first)]
            db.session.add(visit)
            first = False
            day += timedelta(days=int(rng.choice([30, 30, 60, 90, 90, 120, 200])))


def seed_demo(*, n_clients: int = 300, random_seed: int = 2024) -> dict[str, tuple[str, str, str]]:
    """Fill an empty database with the demo network; on a demo database, renew passwords."""
    demo_names = {u[0] for u in USERS}
    others = db.session.scalar(select(func.count()).select_from(User).where(User.username.not_in(demo_names)))
    if others:
        raise RuntimeError("This database has real accounts; demo data goes only into an empty or demo database.")
    clinics = _ensure_clinics()
    printed = _reset_users(clinics)
    if not db.session.scalar(select(func.count()).select_from(Client)):
        nurse = db.session.scalar(select(User).where(User.username == "nurse"))
        rng = random.Random(random_seed)  # noqa: S311 (synthetic data, not security)
        _clients_and_visits(rng, clinics, nurse, n_clients)
    db.session.commit()
    return printed
