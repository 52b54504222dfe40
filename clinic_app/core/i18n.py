"""Which language a page is shown in: the user's choice, else the browser's."""

from flask import current_app, has_request_context, request
from flask_login import current_user


def select_locale() -> str:
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]  # command line
    if current_user and current_user.is_authenticated:
        return str(current_user.language)
    return request.accept_languages.best_match(current_app.config["LANGUAGES"]) or "en"
