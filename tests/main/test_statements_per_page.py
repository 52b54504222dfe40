"""Every list page runs the same number of SQL statements however many records it lists (no N+1).

Each role's pages come from the app's own URL map (tests/browser/pages.py), so a new list page is
pinned without touching this file. The pages with a record in their URL (a client, a case) are
pinned where that record's growth is made (tests/clients, tests/visits); here it is the pages that
list many records: searches, lists, due lists, the audit trail, report previews and their PDF and
Excel exports, home pages.

The demo network is seeded and the demo's own generators add a round of clients and visits,
outreach contacts, slips, crisis cases and fund applications, with more staff accounts, so that every
list shows rows (a list that is empty runs fewer statements: its rows' relations are never loaded).
Every page is fetched once to warm caches and its statements are counted; a second round as large
is added, and every page is counted again: the counts must be equal.
"""

import random
import uuid
from datetime import timedelta

from sqlalchemy import select

from clinic_app.auth.models import User
from clinic_app.clients.models import Client
from clinic_app.clinics.models import Clinic
from clinic_app.core.permissions import Role
from clinic_app.core.timeutil import local_today
from clinic_app.crisis.fund_models import EmergencyFund
from clinic_app.crisis.models import CrisisCase
from clinic_app.demo import crisis, fund, synthetic
from clinic_app.extensions import db
from clinic_app.outreach import referrals
from clinic_app.outreach.models import Hotspot, Referral, ReferralService
from clinic_app.reports.formats import all_formats
from clinic_app.reports.services import period_choices
from tests.browser.conftest import ACCOUNTS
from tests.browser.pages import pages_for

# Pages whose URL names no record: they list, search or sum.
LISTING = "<"


def _list_pages(app) -> dict[str, list[str]]:
    pages = {}
    for username in ACCOUNTS.values():
        user = db.session.scalar(select(User).where(User.username == username))
        listed = pages_for(app, user, local_today(user.clinic.timezone))
        rules = {rule.endpoint: rule.rule for rule in app.url_map.iter_rules()}
        pages[username] = sorted({page.path for page in listed if LISTING not in rules[page.endpoint] or page.variant})
    # The exports an M&E officer downloads: every format, as PDF and as Excel.
    today = local_today(db.session.scalar(select(User).where(User.username == "me.officer")).clinic.timezone)
    pages["me.officer"] += [
        f"/reports/download?format_code={code}&period_code={period_choices(code, today)[1]}&as={output}"
        for code in all_formats()
        for output in ("pdf", "xlsx")
    ]
    return pages


def _count(app, count_queries, pages: dict[str, list[str]], *, warm: bool) -> dict[tuple[str, str], int]:
    counts = {}
    for username, paths in pages.items():
        user = db.session.scalar(select(User).where(User.username == username))
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
        for path in paths:
            if warm:
                client.get(path).close()
            with count_queries() as statements:
                response = client.get(path)
                status = response.status_code
                response.close()
            assert status == 200, f"{username} {path}: {status}"
            counts[username, path] = statements.count
    return counts


def _another_round(seed: int) -> None:
    """More of everything the list pages show, made by the demo's own generators (through the services)."""
    rng = random.Random(seed)  # noqa: S311 (synthetic data)
    clinics = {c.code: c for c in db.session.scalars(select(Clinic))}
    nurse = db.session.scalar(select(User).where(User.username == "nurse"))
    peers = {u.clinic.code: u for u in db.session.scalars(select(User).where(User.role == Role.PEER_EDUCATOR))}
    synthetic.add_clients(rng, clinics, nurse, 60, peers)
    for code, peer in peers.items():
        clinic = clinics[code]
        today = local_today(clinic.timezone)
        spots = list(db.session.scalars(select(Hotspot).where(Hotspot.clinic_id == clinic.id)))
        known = list(db.session.scalars(select(Client).where(Client.peer_educator_id == peer.id)))
        for days_ago in range(90):
            synthetic._contact(
                rng, clinic, peer, rng.choice(spots), rng.choice(known), today - timedelta(days_ago), rng
            )
        for days_ago in range(8):
            issued = today - timedelta(days=days_ago)
            db.session.add(
                Referral(
                    clinic_id=clinic.id,
                    peer_educator_id=peer.id,
                    code=referrals.new_code(),
                    service=rng.choice(list(ReferralService)),
                    issued_on=issued,
                    expires_on=issued + timedelta(days=30),
                    submission_key=uuid.uuid4(),
                )
            )
    crisis.add_crisis_cases(rng, clinics)
    for opened in db.session.scalars(select(EmergencyFund)).all():
        coordinator = db.session.scalar(
            select(User).where(User.clinic_id == opened.clinic_id, User.role == Role.CRT_COORDINATOR)
        )
        today = local_today(coordinator.clinic.timezone)
        for case in db.session.scalars(select(CrisisCase).where(CrisisCase.clinic_id == opened.clinic_id)).all():
            asker = db.session.get(User, case.reported_by_id)
            if case.is_open and asker.role in (Role.PEER_EDUCATOR, Role.NURSE):
                application_id = fund._apply(rng, case, asker, opened.id)
                if application_id is not None and rng.random() < 0.7:
                    fund._decide_and_pay(rng, coordinator, application_id, today)
    for i in range(8):
        home = clinics["BBR"]
        db.session.add(
            User(
                username=f"extra.{seed}.{i}",
                display_name=f"Extra {seed} {i}",
                password_hash="not-a-hash",  # noqa: S106 (never signs in)
                role=list(Role)[i % len(Role)],
                clinic_id=home.id,
            )
        )
    db.session.commit()


def test_list_pages_run_the_same_statements_with_twice_the_records(app, demo_data, count_queries):
    demo_data(60)
    _another_round(98)
    pages = _list_pages(app)
    assert sum(len(paths) for paths in pages.values()) >= 60
    before = _count(app, count_queries, pages, warm=True)
    _another_round(99)
    after = _count(app, count_queries, pages, warm=False)
    grew = {page: (before[page], after[page]) for page in before if after[page] != before[page]}
    assert grew == {}, "\n".join(f"{user} {path}: {a} -> {b} statements" for (user, path), (a, b) in grew.items())
