"""How a session cookie becomes a user: id plus session version, checked every request."""

import uuid

from clinic_app.auth.models import User
from clinic_app.extensions import db, login_manager
from clinic_app.vault.keyring import vault


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """The user named by the session, unless the session has been ended since."""
    if vault().locked:
        return None  # nobody is signed in while the records are locked
    try:
        user_id, version = session_id.split(":")
        user = db.session.get(User, uuid.UUID(user_id))
        version = int(version)
    except (ValueError, AttributeError):
        return None
    if user is None or not user.active or user.session_version != version:
        return None
    return user
