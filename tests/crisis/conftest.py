"""Crisis fixtures: a coordinator, a peer educator, and a helper that opens a case through the service."""

import uuid
from datetime import UTC, date, datetime, time

import pytest

from clinic_app.core.actor import Actor
from clinic_app.crisis import services

# 08:00 in Beitbridge (Africa/Harare, UTC+2) on the suite's today.
NOW = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)


@pytest.fixture
def coordinator(make, clinic):
    return make.user(role="crt_coordinator", clinic=clinic, username="crt", display_name="Coordinator C")


@pytest.fixture
def peer(make, clinic):
    return make.user(role="peer_educator", clinic=clinic, username="peer", display_name="Peer P")


@pytest.fixture
def open_case():
    def opened(user, now=NOW, **overrides):
        values = dict(
            survivor_kind="anonymous",
            violations=["physical"],
            incident_on=date(2026, 11, 19),
            incident_time=time(22, 0),
            keep_record=True,
            channel="hotline",
        )
        values.update(overrides)
        case, _created = services.open_new_case(
            actor=Actor(user), data=services.CaseInput(**values), submission_key=uuid.uuid4(), now=now
        )
        return case

    return opened
