"""The home page: what each role sees first thing in the day."""

import re
from datetime import timedelta

import pytest

from clinic_app.core.timeutil import local_today
from tests.helpers import text


@pytest.fixture
def today():
    return local_today("Africa/Harare")


def _figure(page: str, label: str) -> int:
    match = re.search(r"<b>(\d+)</b>" + re.escape(label), page)
    assert match, label
    return int(match.group(1))


def test_nurse_home_counts_todays_visits_at_this_clinic_only(client, sign_in_as, make, nurse, other_clinic, today):
    for mother in ("AA", "BB"):
        person = make.client(registered_by=nurse, mother=mother, enrolled_on=today - timedelta(days=400))
        make.visit(client=person, recorded_by=nurse, service_date=today, visit_type="new")
    make.visit(client=person, clinic=other_clinic, service_date=today)
    sign_in_as(nurse)
    page = text(client.get("/"))
    assert _figure(page, "visits today") == 2
    assert _figure(page, "new clients this month") == 2
    assert "Find client" in page


def test_me_officer_home_shows_network_totals_without_client_details(client, sign_in_as, make, nurse, clinic, today):
    person = make.client(registered_by=nurse, alias="Secret Alias", enrolled_on=today - timedelta(days=400))
    make.visit(client=person, recorded_by=nurse, service_date=today)
    sign_in_as(make.user(role="me_officer", clinic=clinic))
    page = text(client.get("/"))
    assert "This month across the network" in page
    assert re.search(r"<td>Beitbridge</td><td class=\"num\">1</td><td class=\"num\">1</td>", page)
    assert person.client_number not in page
    assert "Secret Alias" not in page
    assert "visits today" not in page


def test_administrator_home_counts_active_accounts_and_registered_clients(client, sign_in_as, make, clinic, nurse):
    make.client(registered_by=nurse)
    make.user(role="nurse", clinic=clinic, active=False)
    sign_in_as(make.user(role="admin", clinic=clinic))
    page = text(client.get("/"))
    assert _figure(page, "active staff accounts") == 2  # the nurse and the administrator
    assert _figure(page, "clients in the registry") == 1


def test_peer_educator_home_shows_her_own_work_not_the_clinics_figures(client, sign_in_as, make, clinic):
    sign_in_as(make.user(role="peer_educator", clinic=clinic, display_name="Lindiwe"))
    page = text(client.get("/"))
    assert "Record a contact" in page and "Clients to follow up" in page
    assert "visits today" not in page
