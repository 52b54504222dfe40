"""The hub's cost of a push batch: a fixed number of statements however many clients it brings, and a
backlog's derived rows recomputed once, by the pull that follows the push.

The test database plays the clinic first (records made and turned into batches as the node does), then,
emptied of them, the hub that receives the batches.
"""

from datetime import date

import pytest
from sqlalchemy import delete, func, select

from clinic_app.clients.models import Client
from clinic_app.core.actor import system_actor
from clinic_app.extensions import db
from clinic_app.network import hub, hub_sync, node
from clinic_app.network.models import IndexEntry, IndexNumber, Member, OutboxEntry, PendingFacts
from clinic_app.reports.models import ReportPerson, ReportPrevention, ReportVisit
from clinic_app.screening.models import AssayResult, HivResult, HivTest, PreviousHivStatus
from clinic_app.visits.models import ClientStatus, Visit, VisitReasonRow

HUB = {"NETWORK_ROLE": "hub", "NETWORK_PENDING_FACTS_SLICE": 4}
pytestmark = pytest.mark.parametrize("app", [HUB], indirect=True)


def _batch(make, clinic, nurse, clients: int) -> list[dict]:
    """``clients`` new clients, each with a visit and an HIV test, as one push batch of the clinic."""
    entries = []
    for n in range(clients):
        client = make.client(clinic=clinic, registered_by=nurse, mother="ZZ", own=f"A{chr(65 + n % 26)}")
        visit = make.visit(client=client, clinic=clinic, recorded_by=nurse, service_date=date(2026, 3, 2 + n % 20))
        test = HivTest(
            clinic_id=clinic.id,
            visit_id=visit.id,
            previous_status=PreviousHivStatus.NEGATIVE,
            screening_result=AssayResult.NON_REACTIVE,
            final_result=HivResult.NEGATIVE,
            result_received=True,
        )
        db.session.add(test)
        db.session.commit()
        for name, record in (("clients", client), ("visits", visit), ("hiv_tests", test)):
            entries.append(OutboxEntry(table_name=name, record_id=str(record.id)))
    records = node._batch(entries)
    # The hub has none of them yet: take them out again (derived rows included).
    for model in (ReportPrevention, ReportVisit, ReportPerson, ClientStatus, HivTest, VisitReasonRow, Visit):
        db.session.execute(delete(model))
    db.session.execute(delete(Client).where(Client.registered_by_id == nurse.id))
    db.session.commit()
    db.session.expire_all()
    return records


@pytest.fixture
def member(clinic):
    hub.init_hub(actor=system_actor("cli"))
    joined = Member(code=clinic.code, name=clinic.name, country="ZW", timezone=clinic.timezone, clinic_id=clinic.id)
    db.session.add(joined)
    db.session.commit()
    return joined


def _push(count_queries, member_id, records, *, more: bool) -> int:
    with count_queries() as statements:
        hub_sync.apply_push(db.session.get(Member, member_id), {"records": records, "more": more})
        db.session.commit()
    return statements.count


@pytest.mark.parametrize("more", [False, True], ids=["last batch", "more follow"])
def test_a_push_batch_runs_the_same_statements_for_twice_the_clients(make, clinic, nurse, member, count_queries, more):
    batches = [_batch(make, clinic, nurse, clients) for clients in (2, 3, 6)]
    _push(count_queries, member.id, batches[0], more=more)  # the first batch loads the hub's own rows
    three = _push(count_queries, member.id, batches[1], more=more)
    six = _push(count_queries, member.id, batches[2], more=more)
    assert six == three
    assert db.session.scalar(select(func.count()).select_from(IndexEntry)) == 11
    assert db.session.scalar(select(func.count()).select_from(IndexNumber)) == 11
    assert db.session.scalar(select(func.count()).select_from(Visit)) == 11


def test_a_backlog_leaves_its_derived_rows_to_the_pull_that_follows(make, clinic, nurse, member, count_queries):
    records = _batch(make, clinic, nurse, 5)
    _push(count_queries, member.id, records, more=True)
    assert db.session.scalar(select(func.count()).select_from(ReportVisit)) == 0
    assert db.session.scalar(select(func.count()).select_from(ClientStatus)) == 0
    assert db.session.scalar(select(func.count()).select_from(PendingFacts)) == 5

    pages, answer = 0, {"cursor": 0, "after": None, "more": True}
    while answer["more"]:  # four records a page recomputed (HUB): a second page for the fifth
        answer = hub_sync.build_pull(db.session.get(Member, member.id), answer)
        db.session.commit()
        pages += 1
    assert pages == 2
    assert db.session.scalar(select(func.count()).select_from(PendingFacts)) == 0
    visits = {v: c for v, c in db.session.execute(select(ReportVisit.visit_id, ReportVisit.client_id))}
    assert len(visits) == 5
    assert set(db.session.scalars(select(ClientStatus.client_id))) == set(visits.values())
    assert set(db.session.scalars(select(ClientStatus.hiv_result))) == {HivResult.NEGATIVE}
    assert db.session.scalar(select(func.count()).select_from(ReportPerson)) == 5


def test_the_last_batch_of_a_push_recomputes_its_own_derived_rows(make, clinic, nurse, member, count_queries):
    _push(count_queries, member.id, _batch(make, clinic, nurse, 2), more=False)
    assert db.session.scalar(select(func.count()).select_from(PendingFacts)) == 0
    assert db.session.scalar(select(func.count()).select_from(ReportVisit)) == 2
    assert db.session.scalar(select(func.count()).select_from(ClientStatus)) == 2
