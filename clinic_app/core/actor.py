"""The actor passed to every service: who acts, and from where (a signed-in user, or a system actor)."""

import getpass
from dataclasses import dataclass
from typing import Any, Protocol

from clinic_app.core.errors import NotAllowed
from clinic_app.core.permissions import role_can, system_can


class Person(Protocol):
    """What the actor needs of a user account (auth.models.User is one): core names no feature."""

    id: Any
    role: Any
    clinic_id: Any
    is_active: bool


@dataclass(frozen=True)
class Actor:
    """A signed-in user and the source of the request (their address)."""

    user: Person
    source: str = "cli"

    is_system = False

    @property
    def id(self):
        return self.user.id

    @property
    def role(self):
        return self.user.role

    @property
    def clinic_id(self):
        return self.user.clinic_id

    @property
    def display_name(self) -> str:
        return self.user.display_name

    def can(self, action: str) -> bool:
        return self.user.is_active and role_can(self.user.role, action)

    def require(self, action: str) -> None:
        if not self.can(action):
            raise NotAllowed("You are not allowed to do this.")


SYSTEM_SOURCES = ("cli", "scheduler")


@dataclass(frozen=True)
class _WithoutAccount(Actor):
    """An actor with no user account behind it: no id, role or clinic."""

    user: None = None

    @property
    def id(self):
        return None

    @property
    def role(self):
        return None

    @property
    def clinic_id(self):
        return None


@dataclass(frozen=True)
class SystemActor(_WithoutAccount):
    """A command run on this computer (``flask ...``) or the server's own network scheduler.

    It has no account: it is the operating-system user who ran it and where from ("cli" or
    "scheduler"), checked against the system's own permission set (core/permissions.py) like
    anyone else, and audited as ``cli:osuser`` in the line's source.
    """

    source: str = "cli"
    os_user: str = ""

    is_system = True

    @property
    def display_name(self) -> str:
        return self.description

    @property
    def description(self) -> str:
        """How the audit line names it: ``cli:maria``, ``scheduler:bluebox``."""
        return f"{self.source}:{self.os_user}"

    def can(self, action: str) -> bool:
        return system_can(action)

    def require(self, action: str) -> None:
        if not self.can(action):
            raise NotAllowed(
                f"A command run from the {self.source} ({self.os_user}) may not do this ({action}): "
                "a member of staff does it in the app, signed in."
            )


def system_actor(source: str = "cli") -> SystemActor:
    """The actor of a command or of the scheduler: the operating-system user running this process."""
    if source not in SYSTEM_SOURCES:
        raise ValueError(f"unknown system source {source!r}")
    try:
        os_user = getpass.getuser()
    except (KeyError, OSError):  # no login name and no passwd entry (some containers)
        os_user = "unknown"
    return SystemActor(source=source, os_user=os_user[:40])


def parse_system_source(source: str | None) -> tuple[str, str] | None:
    """("cli", "maria") from an audit line's ``cli:maria``; None for a person's address."""
    kind, sep, os_user = (source or "").partition(":")
    return (kind, os_user) if sep and kind in SYSTEM_SOURCES else None


@dataclass(frozen=True)
class Visitor(_WithoutAccount):
    """Someone not signed in (a failed sign-in, a clinic enrolling at the hub): known by address only.

    It may do nothing the permission table grants; its audit lines carry no account, only the source.
    """

    source: str = "unknown"

    @property
    def display_name(self) -> str:
        return self.source

    def can(self, action: str) -> bool:
        return False
