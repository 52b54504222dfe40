"""``flask --app clinic_app users create``: how the first administrator is made."""

import getpass

from sqlalchemy import select

from clinic_app.auth.models import User
from clinic_app.auth.passwords import verify_password
from clinic_app.extensions import db
from tests.helpers import audit_events, count


def _create(runner, **overrides):
    options = {
        "--username": "firstadmin",
        "--name": "First Admin",
        "--role": "admin",
        "--clinic": "bbr",
        "--password": "a long passphrase",
    }
    options.update(overrides)
    args = ["users", "create"]
    for name, value in options.items():
        args += [name, value]
    return runner.invoke(args=args)


def test_users_create_makes_an_account_with_an_argon2id_hash(runner, clinic):
    result = _create(runner)
    assert result.exit_code == 0, result.output
    assert "Created firstadmin (admin) at BBR." in result.output
    user = db.session.scalar(select(User).where(User.username == "firstadmin"))
    assert user.role == "admin"
    assert user.clinic_id == clinic.id
    assert user.password_hash.startswith("$argon2id$")
    assert verify_password(user.password_hash, "a long passphrase")
    [event] = audit_events("user.create")
    assert event.actor_id is None  # made from the command line: no account, the OS user and "cli"
    assert event.source == f"cli:{getpass.getuser()}"


def test_users_create_account_can_sign_in(runner, clinic, client):
    assert _create(runner).exit_code == 0
    response = client.post("/auth/login", data={"username": "firstadmin", "password": "a long passphrase"})
    assert response.status_code == 302


def test_users_create_refuses_unknown_role_without_creating(runner, clinic):
    result = _create(runner, **{"--role": "police"})
    assert result.exit_code == 2
    assert count(User) == 0


def test_users_create_refuses_a_weak_password_with_a_message(runner, clinic):
    result = _create(runner, **{"--password": "short"})
    assert result.exit_code == 1
    assert "password: Use at least 10 characters." in result.output
    assert count(User) == 0


def test_users_create_refuses_an_unknown_clinic_with_a_message(runner, clinic):
    result = _create(runner, **{"--clinic": "XYZ"})
    assert result.exit_code == 1
    assert "clinic_id: Choose a clinic." in result.output
    assert count(User) == 0
