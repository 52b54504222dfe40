"""Known browsers: a signed cookie listing the accounts that signed in from this browser before.

The throttle (auth/throttle.py) does not slow such a browser for failures other people caused at
its address, and its user's correct password lifts a lock on the account. The cookie holds account
ids only (no client data, no password), is signed with the app's secret key and HttpOnly.
"""

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

COOKIE = "bluebox_known"
MAX_AGE = 180 * 24 * 3600  # seconds
MAX_ACCOUNTS = 20  # a shared clinic desktop serves the whole staff


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="known-browser")


def known_user_ids() -> frozenset[str]:
    """The accounts that signed in from this browser before (none when the cookie is missing or forged)."""
    value = request.cookies.get(COOKIE)
    if not value:
        return frozenset()
    try:
        ids = _serializer().loads(value, max_age=MAX_AGE)
    except BadSignature:
        return frozenset()
    return frozenset(str(i) for i in ids) if isinstance(ids, list) else frozenset()


def remember(response, user_id) -> None:
    """Add this account to the browser's list."""
    ids = [str(user_id)] + [i for i in known_user_ids() if i != str(user_id)]
    response.set_cookie(
        COOKIE,
        _serializer().dumps(ids[:MAX_ACCOUNTS]),
        max_age=MAX_AGE,
        path="/auth/",
        httponly=True,
        samesite="Lax",
        secure=request.is_secure or bool(current_app.config.get("SESSION_COOKIE_SECURE")),
    )
