"""The clinic network end to end: a hub (waitress + PostgreSQL) and two clinic nodes (SQLite files),
each a separate process, syncing over HTTP on 127.0.0.1."""

import gzip
import json
import urllib.error
import urllib.request
import uuid

import pytest

from clinic_app.network import protocol
from tests.network.cluster import Hub, Node, postgres_problem

PROBLEM = postgres_problem()
pytestmark = [
    pytest.mark.skipif(PROBLEM is not None, reason=f"the network tests need a hub on PostgreSQL: {PROBLEM}"),
    pytest.mark.serial,  # clinic and hub processes with time limits: run alone, after the parallel part
]


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    work = tmp_path_factory.mktemp("network")
    hub = Hub(work, CLINIC_NETWORK_PULL_PAGE_SIZE=3)  # every pull in these tests comes in pages of 3
    try:
        hub.start()
        beitbridge = Node(work, "BBR", "Beitbridge", "ZW", "Africa/Harare", CLINIC_NETWORK_BATCH_SIZE=5)
        cato = Node(work, "CTO", "Cato Ridge", "ZA", "Africa/Johannesburg", CLINIC_NETWORK_BATCH_SIZE=5)
        beitbridge.enrol(hub, hub.register("BBR", "Beitbridge", "ZW", "Africa/Harare"))
        cato.enrol(hub, hub.register("CTO", "Cato Ridge", "ZA", "Africa/Johannesburg"))
        yield hub, beitbridge, cato
    finally:
        hub.drop()


def _hub_count(hub, table, where="TRUE", *params) -> int:
    return hub.sql(f"SELECT count(*) FROM {table} WHERE {where}", *params)[0][0]


def test_registered_at_one_clinic_is_found_by_uic_and_number_at_the_other(net):
    hub, beitbridge, cato = net
    client = beitbridge.op("register", mother="NO", own="TH", alias="Rosie", phone="+263 77 123 4567")
    beitbridge.op("visit", client_id=client["id"], on="2026-03-02", kind="hiv", type="new", notes="lives near the rank")
    beitbridge.sync()
    cato.sync()

    by_uic = cato.op("search", term=client["uic"])
    assert by_uic["local"] == [] and by_uic["network"] == [client["id"]]
    by_number = cato.op("search", term=client["number"])
    assert by_number["network"] == [client["id"]]

    taken = cato.op("take_on", client_id=client["id"])
    assert taken == {"id": client["id"], "number": client["number"]}
    held = cato.op("client", client_id=client["id"])
    assert held["home"] == beitbridge.clinic_id and held["alias"] is None  # the alias never left Beitbridge
    cato.op("visit", client_id=client["id"], on="2026-05-10", kind="hiv")
    cato.sync()
    # One person at the hub, with both visits, and nothing that names or reaches her.
    assert _hub_count(hub, "clients", "uic = %s", client["uic"]) == 1
    assert _hub_count(hub, "visits", "client_id = %s", client["id"]) == 2
    assert hub.sql("SELECT alias, phone FROM clients WHERE id = %s", client["id"]) == [(None, None)]
    assert hub.sql("SELECT count(*) FROM visits WHERE notes IS NOT NULL")[0][0] == 0
    assert hub.sql("SELECT count(*) FROM users WHERE password_hash <> '!' OR active")[0][0] == 0


def test_a_visit_elsewhere_is_shared_only_with_the_clients_consent(net):
    hub, beitbridge, cato = net
    client = beitbridge.op("register", mother="CO", own="NS")
    beitbridge.op("visit", client_id=client["id"], on="2026-02-02", kind="prep", type="new")
    beitbridge.sync()
    cato.sync()
    cato.op("take_on", client_id=client["id"])
    cato.op("visit", client_id=client["id"], on="2026-05-04", kind="prep", prep="follow_up")
    cato.sync()
    beitbridge.sync()
    assert beitbridge.op("shared", client_id=client["id"])["visits"] == []  # no consent: nothing crosses

    beitbridge.op("share", client_id=client["id"], given=True)
    beitbridge.sync()
    cato.sync()
    beitbridge.sync()
    shown = beitbridge.op("shared", client_id=client["id"])["visits"]
    assert shown == [{"on": "2026-05-04", "clinic": "CTO", "prep": "follow_up", "months": 3}]
    assert cato.op("shared", client_id=client["id"])["visits"] == [
        {"on": "2026-02-02", "clinic": "BBR", "prep": "initiation", "months": 3}
    ]
    # Audited at both ends: the viewing clinic, and after the next sync the clinic whose client it is.
    beitbridge.sync()
    cato.sync()
    assert "network.continuity_view" in beitbridge.op("audit")["actions"]
    assert "network.viewed_elsewhere" in cato.op("audit")["actions"]

    cato.op("share", client_id=client["id"], given=False)  # revoked anywhere: sharing stops everywhere
    cato.sync()
    beitbridge.sync()
    assert beitbridge.op("shared", client_id=client["id"])["visits"] == []


def test_repeated_and_killed_syncs_give_no_duplicate_and_no_loss(net):
    hub, beitbridge, _cato = net
    beitbridge.sync()
    made = beitbridge.op("many_visits", count=23)["ids"]  # 69 records (client, visit, test): 14 batches of 5
    assert beitbridge.op_exit("die_after_send") == 9  # the hub applied a batch; the node died before the answer
    assert beitbridge.op("state")["backlog"] == 69  # nothing was taken off the outbox
    beitbridge.flask("network", "sync", "--batches", "3")  # part of the rest, then the link "drops"
    beitbridge.sync()
    beitbridge.sync()  # and once more with nothing new
    assert beitbridge.op("state")["backlog"] == 0
    placeholders = ",".join(["%s"] * len(made))
    assert _hub_count(hub, "clients", f"id::text IN ({placeholders})", *made) == 23
    assert _hub_count(hub, "visits", f"client_id::text IN ({placeholders})", *made) == 23
    assert (
        _hub_count(
            hub, "visit_reasons r JOIN visits v ON v.id = r.visit_id", f"v.client_id::text IN ({placeholders})", *made
        )
        == 23
    )
    assert (
        _hub_count(
            hub, "hiv_tests t JOIN visits v ON v.id = t.visit_id", f"v.client_id::text IN ({placeholders})", *made
        )
        == 23
    )


def _signed_request(hub, node, path: str, body: bytes, counter: int):
    keys = node.op("keys")
    message = protocol.canonical(
        hub_id=keys["hub_id"], method="POST", path=path, clinic_id=keys["clinic_id"], counter=counter, body=body
    )
    return {
        protocol.HEADER_CLINIC: keys["clinic_id"],
        protocol.HEADER_COUNTER: str(counter),
        protocol.HEADER_SIGNATURE: protocol.sign(keys["private_key"], message),
        "Content-Encoding": "gzip",
        "Content-Type": "application/json",
    }


def _post(hub, path: str, body: bytes, headers: dict) -> tuple[int, str]:
    request = urllib.request.Request(hub.url + path, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, ""
    except urllib.error.HTTPError as error:
        return error.code, json.loads(gzip.decompress(error.read()))["error"]


def test_forged_origin_replay_and_tampering_are_refused(net):
    hub, beitbridge, cato = net
    beitbridge.sync()
    counter = 10**9  # above anything the node has used
    victim = str(uuid.uuid4())
    row = {"id": victim, "clinic_id": cato.clinic_id, "client_id": victim, "service_date": "2026-01-01"}
    forged = protocol.encode({"records": [{"t": "visits", "id": victim, "row": row}]})
    status, words = _post(
        hub, "/network/api/push", forged, _signed_request(hub, beitbridge, "/network/api/push", forged, counter)
    )
    assert status == 403 and "another clinic" in words, words

    own = protocol.encode({"records": []})
    headers = _signed_request(hub, beitbridge, "/network/api/push", own, counter + 1)
    assert _post(hub, "/network/api/push", own, headers)[0] == 200
    status, words = _post(hub, "/network/api/push", own, headers)  # the same request again
    assert status == 409 and "replay" in words

    headers = _signed_request(hub, beitbridge, "/network/api/push", own, counter + 2)
    tampered = bytearray(own)
    tampered[-5] ^= 0x01
    status, words = _post(hub, "/network/api/push", bytes(tampered), headers)
    assert status == 401 and "altered" in words
    status, _words = _post(hub, "/network/api/push", own, {**headers, protocol.HEADER_CLINIC: cato.clinic_id})
    assert status == 401  # Beitbridge's signature does not pass for Cato Ridge
    # The node's own counter is now below the hub's: its next request is refused as a replay, and the
    # node moves its counter past the hub's (sent with the refusal) and carries on.
    client = beitbridge.op("register", mother="CU", own="NT")
    beitbridge.sync()
    assert beitbridge.op("state")["backlog"] == 0
    assert _hub_count(hub, "clients", "id::text = %s", client["id"]) == 1


def test_a_revoked_clinic_is_refused(tmp_path):
    hub = Hub(tmp_path)
    try:
        hub.start()
        node = Node(tmp_path, "VFA", "Victoria Falls", "ZW", "Africa/Harare")
        node.enrol(hub, hub.register("VFA", "Victoria Falls", "ZW", "Africa/Harare"))
        node.sync()
        hub_flask = hub.env
        from tests.network.cluster import flask

        flask(hub_flask, "network", "revoke", "--code", "VFA")
        node.op("register", mother="RE", own="VO")
        done = node.sync(check=False)
        assert done.returncode == 1 and "revoked" in done.stderr
        assert node.op("state")["backlog"] == 1  # kept, not lost
    finally:
        hub.drop()


def test_the_hub_down_leaves_clinics_working_and_queuing(net):
    hub, beitbridge, cato = net
    beitbridge.sync()
    hub.stop()
    try:
        client = beitbridge.op("register", mother="DO", own="WN")
        beitbridge.op("visit", client_id=client["id"], on="2026-06-03", kind="hiv", type="new")
        done = beitbridge.sync(check=False)
        assert done.returncode == 1 and "could not be reached" in done.stderr
        state = beitbridge.op("state")
        assert state["backlog"] == 3 and "could not be reached" in state["last_error"]
        offline = cato.op("search", term=client["uic"])  # the local copy of the index answers
        assert offline["source"] == "local" and offline["network"] == []
    finally:
        hub.start()
    beitbridge.sync()
    assert beitbridge.op("state")["backlog"] == 0
    assert _hub_count(hub, "visits", "client_id::text = %s", client["id"]) == 1


def test_edits_at_two_offline_clinics_are_both_kept_and_agree_everywhere(net):
    hub, beitbridge, cato = net
    client = beitbridge.op("register", mother="ED", own="IT")
    beitbridge.sync()
    cato.op("take_on", client_id=client["id"])
    # Both offline: Beitbridge corrects the nationality; Cato Ridge, its clock 7 hours behind, another
    # nationality and marks her mobile. The hub applies corrections in the order they reach it.
    beitbridge.op("edit", client_id=client["id"], nationality="MZ")
    cato.op("edit", client_id=client["id"], is_mobile=True, nationality="ZA", clock_shift_hours=-7)
    beitbridge.sync()
    cato.sync()
    beitbridge.sync()
    history = [{"nationality": ["ZW", "MZ"]}, {"is_mobile": [False, True], "nationality": ["ZW", "ZA"]}]
    for node in (beitbridge, cato):
        seen = node.op("client", client_id=client["id"])
        assert (seen["nationality"], seen["is_mobile"], seen["corrections"]) == ("ZA", True, history)
    assert hub.sql("SELECT nationality, is_mobile FROM clients WHERE id::text = %s", client["id"]) == [("ZA", True)]


def test_a_merge_reaches_every_node_and_old_numbers_stay_findable(net):
    hub, beitbridge, cato = net
    first = beitbridge.op("register", mother="ME", own="RG", born="1992-04-04")
    second = beitbridge.op("register", mother="ME", own="RG", born="1992-04-05")
    beitbridge.op("visit", client_id=second["id"], on="2026-04-01", kind="hiv", type="new")
    beitbridge.sync()
    cato.op("take_on", client_id=second["id"])
    cato.op("take_on", client_id=first["id"])
    cato.op("visit", client_id=second["id"], on="2026-04-20", kind="hiv")
    beitbridge.op("merge", keep=first["id"], duplicate=second["id"])
    beitbridge.sync()
    cato.sync()  # its visit reaches the hub after the merge: it joins the record kept there too
    assert cato.op("client", client_id=second["id"])["merged_into"] == first["id"]
    assert cato.op("client", client_id=first["id"])["visits"] == 1
    assert cato.op("search", term=second["number"])["local"] == [first["id"]]
    assert beitbridge.op("search", term=second["number"])["local"] == [first["id"]]
    assert hub.sql("SELECT merged_into_id::text FROM clients WHERE id::text = %s", second["id"]) == [(first["id"],)]
    assert _hub_count(hub, "visits", "client_id::text = %s", first["id"]) == 2
    # A clinic that never held either record finds the old number in the index, pointing at the one kept.
    assert hub.sql("SELECT client_id::text FROM network_index_numbers WHERE number = %s", second["number"]) == [
        (first["id"],)
    ]


def test_clock_skew_of_hours_changes_nothing(net):
    hub, beitbridge, cato = net
    ahead = cato.op("register", mother="SK", own="EW", clock_shift_hours=9)
    cato.op("visit", client_id=ahead["id"], on="2026-07-07", kind="hiv", type="new", clock_shift_hours=9)
    assert cato.op("sync", clock_shift_hours=9)["error"] is None
    behind = cato.op("register", mother="SL", own="OW", clock_shift_hours=-11)
    assert cato.op("sync", clock_shift_hours=-11)["error"] is None
    assert _hub_count(hub, "visits", "client_id::text = %s", ahead["id"]) == 1
    for client in (ahead, behind):
        assert beitbridge.op("search", term=client["uic"])["network"] == [client["id"]]


def test_a_visit_correction_travels_with_its_history_but_not_its_notes(net):
    hub, beitbridge, cato = net
    client = beitbridge.op("register", mother="CR", own="EC")
    made = beitbridge.op("visit", client_id=client["id"], on="2026-03-09", kind="prep", type="new", notes="first")
    beitbridge.op("share", client_id=client["id"], given=True)
    beitbridge.sync()
    cato.op("take_on", client_id=client["id"])
    beitbridge.op("correct_visit", visit_id=made["id"], months=1, next="2026-04-09", notes="the bus stop")
    beitbridge.sync()
    cato.sync()
    assert hub.sql("SELECT months_dispensed FROM prep_events WHERE visit_id::text = %s", made["id"]) == [(1,)]
    history = dict(hub.sql("SELECT section, after FROM visit_revisions WHERE visit_id::text = %s", made["id"]))
    assert history["prep"]["months_dispensed"] == 1
    assert history["visit"] == {"next_appointment_on": "2026-04-09"}  # the notes changed too, but stay home
    assert hub.sql("SELECT count(*) FROM visit_revisions WHERE before::text LIKE '%%first%%'")[0][0] == 0
    assert _hub_count(hub, "report_visits", "client_id::text = %s", client["id"]) == 1  # report facts kept too
    # The clinic that shares the client's care sees the corrected supply.
    [shown] = cato.op("shared", client_id=client["id"])["visits"]
    assert shown == {"on": "2026-03-09", "clinic": "BBR", "prep": "initiation", "months": 1}


def test_tracing_of_a_client_reaches_the_hub_with_its_outcome(net):
    hub, beitbridge, _cato = net
    client = beitbridge.op("register", mother="TR", own="AC")
    beitbridge.op("visit", client_id=client["id"], on="2026-03-10", kind="hiv", type="new")
    traced = beitbridge.op("trace", client_id=client["id"], outcome="moved")
    beitbridge.sync()
    assert hub.sql("SELECT outcome, reason FROM tracing_assignments WHERE id::text = %s", traced["id"]) == [
        ("moved", "missed_appointment")
    ]


def test_a_pull_comes_in_pages_and_one_cut_short_carries_on(net):
    hub, beitbridge, cato = net
    cato.sync()
    made = beitbridge.op("many_visits", count=8)["ids"]
    beitbridge.sync()
    before = cato.op("state")["index"]
    cato.op("pull_pages", pages=2)  # two pages of 3, then the link "drops"
    cut = cato.op("state")
    assert cut["index"] == before + 6 and cut["pull_after"]  # where the last page ended is kept
    cato.sync()
    done = cato.op("state")
    assert done["index"] == before + 8 and done["pull_after"] is None
    hub_index = _hub_count(hub, "network_index")
    assert done["index"] == hub_index
    assert cato.op("search", term=beitbridge.op("client", client_id=made[-1])["number"])["network"] == [made[-1]]


def test_a_client_number_issued_at_two_clinics_is_refused_in_words_and_renumbered(net):
    hub, beitbridge, cato = net
    first = beitbridge.op("register", mother="CL", own="AS")
    beitbridge.sync()
    second = cato.op("register", mother="SH", own="NO", number=first["number"])
    done = cato.sync(check=False)
    assert done.returncode == 1 and first["number"] in done.stderr and "Beitbridge (BBR)" in done.stderr
    assert "issued already" in cato.op("state")["last_error"]  # what the Network page shows
    assert _hub_count(hub, "clients", "id::text = %s", second["id"]) == 0
    said = cato.flask("network", "renumber", "--number", first["number"])
    assert "new card" in said
    cato.sync()
    now = cato.op("client", client_id=second["id"])["number"]
    assert now != first["number"]
    assert hub.sql("SELECT client_number FROM clients WHERE id::text = %s", second["id"]) == [(now,)]
    assert "network.renumber" in cato.op("audit")["actions"]
    refused = cato.flask("network", "renumber", "--number", now, check=False)  # on the hub now: it stays
    assert refused.returncode == 1 and "stays" in refused.stderr
