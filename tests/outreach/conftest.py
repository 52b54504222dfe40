"""People, browsers and dates shared by the outreach tests."""

from datetime import timedelta

import pytest

from clinic_app.core.actor import Actor
from clinic_app.core.timeutil import local_today


@pytest.fixture
def today():
    """The clinic's date (Beitbridge), which the pages use for 'today'."""
    return local_today("Africa/Harare")


@pytest.fixture
def pe(make, clinic):
    return make.user(role="peer_educator", clinic=clinic, username="thandi", display_name="Thandi Moyo")


@pytest.fixture
def other_pe(make, clinic):
    return make.user(role="peer_educator", clinic=clinic, username="rudo", display_name="Rudo Banda")


@pytest.fixture
def pe_actor(pe):
    return Actor(pe, "test")


@pytest.fixture
def other_pe_actor(other_pe):
    return Actor(other_pe, "test")


@pytest.fixture
def browser(app, sign_in_as):
    """A new browser signed in as ``user``: each person in a test uses their own."""

    def open_as(user):
        return sign_in_as(user, on=app.test_client())

    return open_as


@pytest.fixture
def person(make, nurse, today):
    """A client of the clinic enrolled a year ago: person(mother="AB", alias=..., phone=...)."""

    def new(**kw):
        kw.setdefault("enrolled_on", today - timedelta(days=365))
        return make.client(registered_by=nurse, **kw)

    return new


@pytest.fixture
def hiv_tested(make, nurse):
    """hiv_tested(client, day, "positive"|"negative"): a visit with a final HIV result, written to the tables."""
    from clinic_app.extensions import db
    from clinic_app.screening.models import AssayResult, HivResult, HivTest, PreviousHivStatus

    def add(client, day, result="negative"):
        visit = make.visit(client=client, recorded_by=nurse, service_date=day)
        positive = result == "positive"
        db.session.add(
            HivTest(
                clinic_id=visit.clinic_id,
                visit_id=visit.id,
                previous_status=PreviousHivStatus.NEGATIVE,
                screening_result=AssayResult.REACTIVE if positive else AssayResult.NON_REACTIVE,
                confirmatory_result=AssayResult.REACTIVE if positive else None,
                final_result=HivResult(result),
                result_received=True,
            )
        )
        db.session.commit()
        return visit

    return add
