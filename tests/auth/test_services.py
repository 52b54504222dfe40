"""Accounts: creation, password policy and hashing, sign-in checks, sessions ended."""

import pytest
from argon2 import PasswordHasher, Type

from clinic_app.auth import services
from clinic_app.auth.models import User
from clinic_app.auth.passwords import needs_rehash, password_problem, verify_password
from clinic_app.core.actor import Actor
from clinic_app.core.errors import Invalid, NotAllowed
from clinic_app.extensions import db
from tests.factories import PASSWORD
from tests.helpers import audit_events, count


@pytest.fixture
def admin(make, clinic):
    return make.user(role="admin", clinic=clinic, username="admin")


def _create(actor, clinic, **kw):
    values = dict(username="ann", display_name="Ann", password="a long passphrase", role="nurse", clinic=clinic)
    values.update(kw)
    return services.create_user(actor=actor, **values)


def test_new_account_password_is_stored_as_an_argon2id_hash(admin, clinic):
    user = _create(Actor(admin), clinic)
    assert user.password_hash.startswith("$argon2id$")
    assert "a long passphrase" not in user.password_hash
    assert verify_password(user.password_hash, "a long passphrase")
    assert not verify_password(user.password_hash, "a long passphrasE")


def test_new_account_creation_is_audited_with_its_role(admin, clinic):
    user = _create(Actor(admin), clinic, role="me_officer")
    [event] = audit_events("user.create")
    assert event.actor_id == admin.id
    assert event.object_id == str(user.id)
    assert event.detail == "role=me_officer"


def test_username_is_trimmed_and_lower_cased(admin, clinic):
    user = _create(Actor(admin), clinic, username="  Nurse.Ann ")
    assert user.username == "nurse.ann"


def test_username_taken_in_another_case_is_refused(admin, clinic):
    _create(Actor(admin), clinic, username="ann")
    with pytest.raises(Invalid) as error:
        _create(Actor(admin), clinic, username="ANN")
    assert error.value.field_errors == {"username": "This username is taken."}
    assert count(User, User.username == "ann") == 1


def test_only_an_administrator_creates_accounts(make, clinic):
    nurse = make.user(role="nurse", clinic=clinic)
    with pytest.raises(NotAllowed):
        _create(Actor(nurse), clinic)
    assert count(User, User.username == "ann") == 0


TOO_EASY = (
    "This password is too easy to guess: it is a common password or close to one. "
    "A short sentence of your own is better."
)


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "Use at least 10 characters."),
        ("123456789", "Use at least 10 characters."),
        ("x" * 257, "Use at most 256 characters."),
        ("Password123", TOO_EASY),
        ("1234567890", TOO_EASY),
        ("aaaaaaaaaaaa", TOO_EASY),
        # What attackers try first, beyond any short list: words, years, keyboard runs, the app's own name.
        ("password2024", TOO_EASY),
        ("Summer2024!", TOO_EASY),
        ("bluebox2025", TOO_EASY),
        ("Beitbridge2025", TOO_EASY),
        ("qwertyuiop12", TOO_EASY),
        ("iloveyou2026", TOO_EASY),
        ("ann-is-my-name", "The password must not contain the username."),
    ],
)
def test_password_policy_refuses_weak_passwords(admin, clinic, password, message):
    assert password_problem(password, username="ann") == message
    with pytest.raises(Invalid) as error:
        _create(Actor(admin), clinic, password=password)
    assert error.value.field_errors["password"] == message
    assert count(User, User.username == "ann") == 0


def test_password_policy_accepts_a_long_passphrase_without_composition_rules():
    assert password_problem("the river is low in june", username="ann") is None


def test_correct_password_signs_in_and_is_audited(nurse):
    user = services.authenticate(username="NURSE", password=PASSWORD, source="10.0.0.5")
    assert user.id == nurse.id
    assert user.last_sign_in_at is not None
    [event] = audit_events("auth.sign_in")
    assert (event.actor_id, event.source) == (nurse.id, "10.0.0.5")


def test_wrong_password_does_not_sign_in_and_is_audited(nurse):
    assert services.authenticate(username="nurse", password="not the password", source="10.0.0.5") is None
    [event] = audit_events("auth.sign_in_failed")
    assert event.object_id == str(nurse.id)
    assert event.actor_id is None
    assert "not the password" not in (event.detail or "")


def test_unknown_username_does_not_sign_in_and_is_audited_without_the_name(app):
    assert services.authenticate(username="nobody", password=PASSWORD, source="10.0.0.5") is None
    [event] = audit_events("auth.sign_in_failed")
    assert event.object_id is None
    assert "nobody" not in str(event.detail)


def test_disabled_user_cannot_sign_in_with_the_right_password(make, clinic):
    user = make.user(clinic=clinic, username="gone", active=False)
    assert services.authenticate(username="gone", password=PASSWORD, source="x") is None
    assert user.last_sign_in_at is None


def test_sign_in_upgrades_a_hash_made_with_weaker_settings(make, clinic):
    old = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1, type=Type.ID).hash(PASSWORD)
    user = make.user(clinic=clinic, username="old")
    user.password_hash = old
    db.session.commit()  # an account made by an older version, already saved
    assert needs_rehash(old)
    services.authenticate(username="old", password=PASSWORD, source="x")
    assert user.password_hash != old
    assert not needs_rehash(user.password_hash)
    assert verify_password(user.password_hash, PASSWORD)


def test_sign_out_ends_every_session_of_the_user(nurse):
    before = nurse.session_version
    services.sign_out(actor=Actor(nurse))
    assert nurse.session_version == before + 1
    assert nurse.get_id() == f"{nurse.id}:{before + 1}"


def test_password_change_needs_the_current_password(nurse):
    old_hash = nurse.password_hash
    with pytest.raises(Invalid) as error:
        services.change_password(actor=Actor(nurse), current_password="wrong one", new_password="a new long one")
    assert error.value.field_errors == {"current_password": "This is not your current password."}
    assert nurse.password_hash == old_hash


def test_password_change_applies_the_policy(nurse):
    old_hash = nurse.password_hash
    with pytest.raises(Invalid) as error:
        services.change_password(actor=Actor(nurse), current_password=PASSWORD, new_password="welcome123")
    assert error.value.field_errors == {"new_password": TOO_EASY}
    assert nurse.password_hash == old_hash


def test_password_change_stores_argon2id_and_ends_other_sessions(nurse):
    before = nurse.session_version
    services.change_password(actor=Actor(nurse), current_password=PASSWORD, new_password="a new long one")
    assert nurse.password_hash.startswith("$argon2id$")
    assert verify_password(nurse.password_hash, "a new long one")
    assert nurse.session_version == before + 1
    assert len(audit_events("user.password_change")) == 1


def test_disabling_an_account_ends_its_sessions(admin, nurse, clinic):
    before = nurse.session_version
    services.update_user(
        actor=Actor(admin), user=nurse, display_name=nurse.display_name, role="nurse", clinic=clinic, active=False
    )
    assert nurse.active is False
    assert nurse.session_version == before + 1
    [event] = audit_events("user.update")
    assert event.detail == "disabled"


def test_administrator_password_reset_ends_the_users_sessions(admin, nurse, clinic):
    before = nurse.session_version
    services.update_user(
        actor=Actor(admin),
        user=nurse,
        display_name=nurse.display_name,
        role="nurse",
        clinic=clinic,
        active=True,
        new_password="set by the admin",
    )
    assert verify_password(nurse.password_hash, "set by the admin")
    assert nurse.session_version == before + 1


def test_administrator_cannot_disable_or_demote_their_own_account(admin, clinic):
    for role, active in (("admin", False), ("nurse", True)):
        with pytest.raises(Invalid) as error:
            services.update_user(
                actor=Actor(admin), user=admin, display_name="Admin", role=role, clinic=clinic, active=active
            )
        assert error.value.field_errors == {"role": "You cannot disable your own account or change your own role."}
    assert admin.active and admin.role == "admin"
