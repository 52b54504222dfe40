"""Nobody grants a role they do not hold."""

import pytest

from clinic_app.auth.services import create_user
from clinic_app.core.actor import Actor
from clinic_app.core.errors import Invalid, NotAllowed
from clinic_app.core.permissions import Role, can_grant
from tests.factories import PASSWORD


@pytest.mark.parametrize("granter", [r for r in Role if r != Role.ADMIN])
@pytest.mark.parametrize("role", list(Role))
def test_only_an_administrator_can_grant_a_role(granter, role):
    assert not can_grant(granter, role)
    assert can_grant(Role.ADMIN, role)


def test_unknown_roles_are_never_granted():
    assert not can_grant(Role.ADMIN, "superuser")
    assert not can_grant("superuser", Role.NURSE)


def test_a_nurse_cannot_create_an_administrator(make, clinic):
    nurse = make.user(role="nurse", clinic=clinic)
    with pytest.raises(NotAllowed):
        create_user(
            actor=Actor(nurse, "test"),
            username="newadmin",
            display_name="X",
            password=PASSWORD + "x",
            role=Role.ADMIN,
            clinic=clinic,
        )


def test_grant_table_is_checked_by_the_service(make, clinic, monkeypatch):
    """Even with the right to manage accounts, a role outside the granter's table is refused beside the field."""
    admin = make.user(role="admin", clinic=clinic)
    monkeypatch.setattr("clinic_app.core.permissions.GRANTABLE", {Role.ADMIN: frozenset({Role.NURSE})})
    with pytest.raises(Invalid) as refused:
        create_user(
            actor=Actor(admin, "test"),
            username="another",
            display_name="Y",
            password=PASSWORD + "y",
            role=Role.ME_OFFICER,
            clinic=clinic,
        )
    assert refused.value.field_errors["role"] == "You cannot give a role you do not hold."
