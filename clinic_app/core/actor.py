"""The actor passed to every service: who acts, and from where."""

from dataclasses import dataclass
from typing import TYPE_CHECKING

from clinic_app.core.errors import NotAllowed
from clinic_app.core.permissions import role_can

if TYPE_CHECKING:
    from clinic_app.auth.models import User


@dataclass(frozen=True)
class Actor:
    """A signed-in user (or a CLI operator) and the source of the request."""

    user: "User"
    source: str = "cli"

    @property
    def id(self):
        return self.user.id

    @property
    def role(self):
        return self.user.role

    @property
    def clinic_id(self):
        return self.user.clinic_id

    def can(self, action: str) -> bool:
        return self.user.is_active and role_can(self.user.role, action)

    def require(self, action: str) -> None:
        if not self.can(action):
            raise NotAllowed("You are not allowed to do this.")
