"""Attackers are slowed down without locking staff out: delays per username and address, a lock per
account that the user's own known browser or an administrator lifts, and hashing that never holds the
database or answers a flood with a 500."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from clinic_app.auth import passwords, services
from clinic_app.auth.models import SignInThrottle
from clinic_app.auth.throttle import Policy
from clinic_app.core.db import utcnow
from clinic_app.extensions import db
from tests.factories import PASSWORD
from tests.helpers import audit_events, form_state, text

ATTACKER, DESK = "10.0.0.66", "10.0.0.5"


def _try(username, password, source, **kw):
    return services.sign_in(username=username, password=password, source=source, **kw)


def _expire_waits():
    """Time passes: every pending delay is over (the counts stay)."""
    for row in db.session.scalars(select(SignInThrottle)):
        if row.locked_until is not None:
            row.locked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()


def test_wrong_passwords_from_one_address_never_lock_the_user_out_at_another(nurse):
    for _ in range(12):
        _expire_waits()
        assert _try("nurse", "not the password", ATTACKER) is None
    signed_in = _try("nurse", PASSWORD, DESK)
    assert signed_in.user.id == nurse.id
    assert signed_in.failures_since_last == 12  # the user is told


def test_each_further_wrong_password_from_an_address_waits_twice_as_long(nurse):
    for _ in range(3):
        assert _try("nurse", "not the password", ATTACKER) is None
    waits = []
    for _ in range(4):
        with pytest.raises(services.SignInPaused) as paused:
            _try("nurse", PASSWORD, ATTACKER)  # not even the right password is checked during the wait
        waits.append(paused.value.retry_after)
        _expire_waits()
        assert _try("nurse", "not the password", ATTACKER) is None
    assert waits == [2, 4, 8, 16]
    assert "wait 2 seconds" in str(services.SignInPaused(2).message)
    assert len(audit_events("auth.sign_in_locked")) == 4


def test_the_longest_wait_is_fifteen_minutes(nurse):
    policy = Policy(free_failures=1)
    for _ in range(15):
        _expire_waits()
        _try("nurse", "not the password", ATTACKER, policy=policy)
    with pytest.raises(services.SignInPaused) as paused:
        _try("nurse", "not the password", ATTACKER, policy=policy)
    assert paused.value.retry_after == 15 * 60


def test_many_failures_from_the_clinic_desktop_do_not_stop_staff_who_signed_in_there_before(make, clinic, nurse):
    # Someone at the shared desktop sprays usernames: the address slows down for unknown browsers...
    for n in range(20):
        _try(f"guess{n}", "not the password", DESK)
    with pytest.raises(services.SignInPaused):
        _try("nurse", PASSWORD, DESK)
    # ...but a browser where the nurse signed in before is not slowed by other people's failures.
    assert _try("nurse", PASSWORD, DESK, known_user_ids=frozenset({str(nurse.id)})).user.id == nurse.id


def test_a_locked_account_opens_to_its_users_password_from_a_known_browser_only(nurse):
    policy = Policy(per_account=6)
    for n in range(6):
        _try("nurse", "not the password", f"10.9.0.{n}", policy=policy)  # from many addresses
    with pytest.raises(services.AccountLocked) as locked:
        _try("nurse", PASSWORD, DESK, policy=policy)
    assert "ask the administrator to lift the lock" in locked.value.message
    assert services.sign_in_locked(nurse)
    signed_in = _try("nurse", PASSWORD, DESK, policy=policy, known_user_ids=frozenset({str(nurse.id)}))
    assert signed_in.user.id == nurse.id and signed_in.lock_lifted
    [lifted] = audit_events("auth.account_unlocked")
    assert (lifted.actor_id, lifted.detail) == (nurse.id, "own_sign_in")
    assert not services.sign_in_locked(nurse)


def test_sign_in_from_a_paused_address_answers_429_with_retry_after_and_a_notice(client, nurse):
    for _ in range(3):
        client.post(
            "/auth/login", data={"username": "nurse", "password": "nope"}, environ_base={"REMOTE_ADDR": ATTACKER}
        )
    response = client.post(
        "/auth/login", data={"username": "nurse", "password": PASSWORD}, environ_base={"REMOTE_ADDR": ATTACKER}
    )
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "2"
    assert form_state(response).errors["password"] == ["Too many wrong passwords: wait 2 seconds, then try again."]
    elsewhere = client.post("/auth/login", data={"username": "nurse", "password": PASSWORD})
    assert elsewhere.status_code == 302
    assert "3 wrong passwords were typed for your account since you last signed in" in text(client.get("/"))


def test_the_browser_remembers_who_signed_in_so_a_lock_does_not_keep_her_out(app, client, login, nurse):
    app.config["SIGN_IN_LIMIT_PER_ACCOUNT"] = 4
    assert login(nurse).status_code == 302
    client.post("/auth/logout")
    attacker = app.test_client()
    for n in range(4):
        attacker.post(
            "/auth/login", data={"username": "nurse", "password": "x"}, environ_base={"REMOTE_ADDR": f"10.1.{n}.1"}
        )
    unknown = app.test_client().post("/auth/login", data={"username": "nurse", "password": PASSWORD})
    assert unknown.status_code == 429
    assert "Sign-in to this account is locked" in form_state(unknown).errors["password"][0]
    assert login(nurse).status_code == 302  # her own browser
    assert "signing in here lifted the lock" in text(client.get("/"))


def test_a_forged_known_browser_cookie_counts_for_nothing(app, nurse):
    from clinic_app.auth import known

    with app.test_request_context(headers={"Cookie": f'{known.COOKIE}=["{nurse.id}"]'}):
        assert known.known_user_ids() == frozenset()


def test_an_administrator_lifts_the_lock_from_the_account_page(app, client, sign_in_as, nurse, make, clinic):
    policy = Policy(per_account=3)
    for n in range(3):
        _try("nurse", "x", f"10.2.0.{n}", policy=policy)
    admin = make.user(role="admin", clinic=clinic, username="boss")
    sign_in_as(admin)
    page = text(client.get(f"/auth/users/{nurse.id}"))
    assert "Sign-in to this account is locked after very many wrong passwords." in page
    response = client.post(f"/auth/users/{nurse.id}/lift-lock")
    assert response.status_code == 302
    assert "Sign-in to account nurse is open again." in text(client.get(response.headers["Location"]))
    assert not services.sign_in_locked(nurse)
    [lifted] = audit_events("auth.account_unlocked")
    assert (lifted.actor_id, lifted.detail) == (admin.id, "administrator")


def test_the_password_is_checked_outside_any_database_transaction(monkeypatch, nurse):
    seen = []
    real = services.verify_password

    def watching(stored, given):
        seen.append(db.session().in_transaction())
        return real(stored, given)

    monkeypatch.setattr(services, "verify_password", watching)
    _try("nurse", "not the password", DESK)
    _try("nurse", PASSWORD, DESK)
    services.change_password(actor=_actor(nurse), current_password=PASSWORD, new_password="a new long passphrase")
    assert seen == [False, False, False]


def test_a_new_password_is_hashed_outside_any_database_transaction(monkeypatch, nurse):
    seen = []
    real = services.hash_password

    def watching(given):
        seen.append(db.session().in_transaction())
        return real(given)

    monkeypatch.setattr(services, "hash_password", watching)
    services.change_password(actor=_actor(nurse), current_password=PASSWORD, new_password="a new long passphrase")
    assert seen == [False]


def _actor(user):
    from clinic_app.core.actor import Actor

    return Actor(user, DESK)


def test_a_flood_that_takes_every_hashing_slot_gets_503_with_retry_after_not_500(monkeypatch, client, nurse):
    monkeypatch.setattr(passwords, "HASH_WAIT_SECONDS", 0.05)
    taken = [passwords._slots.acquire(timeout=1) for _ in range(passwords.HASH_SLOTS)]
    try:
        response = client.post("/auth/login", data={"username": "nurse", "password": PASSWORD})
    finally:
        for _ in taken:
            passwords._slots.release()
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert "The server is very busy. Nothing was saved." in text(response)


def test_hashing_runs_at_most_the_slots_at_once(monkeypatch):
    running, peak, lock = [0], [0], threading.Lock()
    real = passwords._hasher

    class Counting:
        hash = staticmethod(real.hash)

        @staticmethod
        def verify(stored, given):
            with lock:
                running[0] += 1
                peak[0] = max(peak[0], running[0])
            try:
                return real.verify(stored, given)
            finally:
                with lock:
                    running[0] -= 1

    monkeypatch.setattr(passwords, "_hasher", Counting)
    stored = passwords.hash_password("a long passphrase")
    threads = [threading.Thread(target=passwords.verify_password, args=(stored, "x")) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert 1 <= peak[0] <= passwords.HASH_SLOTS


def test_a_database_locked_by_a_flood_answers_503_not_500(monkeypatch, client, nurse):
    from sqlalchemy.exc import OperationalError

    def locked(**_kw):
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr(services, "sign_in", locked)
    response = client.post("/auth/login", data={"username": "nurse", "password": PASSWORD})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
