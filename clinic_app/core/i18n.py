"""Which language a page is shown in: the user's choice, else the browser's."""

from flask import current_app, request
from flask_login import current_user


def select_locale() -> str:
    if current_user and current_user.is_authenticated:
        return str(current_user.language)
    return request.accept_languages.best_match(current_app.config["LANGUAGES"]) or "en"
