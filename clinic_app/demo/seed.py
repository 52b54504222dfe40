"""Builds the demo network: five Blue Box sites, one user per role, synthetic clients.

Everything here is invented. Nothing resembles a real person.
"""

import random
import secrets

from sqlalchemy import func, select

from clinic_app.auth.models import Language, User
from clinic_app.auth.passwords import hash_password
from clinic_app.clients.models import Client
from clinic_app.clinics.models import Clinic
from clinic_app.core.permissions import Role
from clinic_app.core.places import Country
from clinic_app.core.timeutil import local_today
from clinic_app.demo import crisis, fund, network, synthetic
from clinic_app.extensions import db

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
    ("crt", "Demo CRT Coordinator", Role.CRT_COORDINATOR, "BBR", Language.EN),
    ("coordenadora", "Coordenadora CRT Demo", Role.CRT_COORDINATOR, "INC", Language.PT),
    ("crt.ngd", "Ngodwana CRT Coordinator", Role.CRT_COORDINATOR, "NGD", Language.EN),
    ("crt.ctr", "Cato Ridge CRT Coordinator", Role.CRT_COORDINATOR, "CTR", Language.EN),
    ("crt.vfa", "Victoria Falls CRT Coordinator", Role.CRT_COORDINATOR, "VFA", Language.EN),
]

DEMO_PASSWORD_WORDS = ["river", "border", "truck", "lamp", "mango", "kettle", "sunrise", "baobab", "harbour", "copper"]


def _password(rng: secrets.SystemRandom) -> str:
    return "-".join(rng.sample(DEMO_PASSWORD_WORDS, 3)) + f"-{rng.randint(10, 99)}"


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
        peers = {u.clinic.code: u for u in db.session.scalars(select(User).where(User.role == Role.PEER_EDUCATOR))}
        synthetic.add_clients(rng, clinics, nurse, n_clients, peers)
        synthetic.add_outreach(rng, clinics, peers)
        crisis.add_crisis_cases(rng, clinics)
        fund.add_fund_activity(rng, clinics)
        network.add_network(rng, clinics, local_today(clinics["BBR"].timezone))  # last: it enrols the node
    db.session.commit()
    return printed
