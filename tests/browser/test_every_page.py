"""Every page, as every role that may open it, at 1366x768 and 360x800, in English and Portuguese.

A page fails on: a server error, a JavaScript console error, content wider than the screen,
a table header cell not over its column, text spilling out of its cell or button, a stored code
shown raw, and (in Portuguese) an untranslated string. Each page's screenshot is kept in
out/screenshots/ (see conftest.py), to be looked at.
"""

import pytest

from clinic_app.core.timeutil import local_today
from clinic_app.extensions import db
from tests.browser import language
from tests.browser.conftest import ACCOUNTS, VIEWPORTS
from tests.browser.pages import pages_for

BATCHES = [(role, lang, view) for role in ACCOUNTS for lang in ("en", "pt") for view in VIEWPORTS]


@pytest.fixture(scope="module")
def catalogue_of_pages(site):
    """Each role's pages, fetched once without the browser: what is not an HTML page (a download)
    is checked for its status here; the HTML pages go to the browser."""
    pages, problems, users = {}, {}, {}
    with site.app.app_context():
        for role, username in ACCOUNTS.items():
            user = site.user(username)
            users[role] = user.get_id()
            pages[role] = pages_for(site.app, user, local_today(user.clinic.timezone))
        data = language.data_strings(db.session, db.metadata)
        db.session.remove()
    html = {}
    for role, listed in pages.items():
        client = site.app.test_client()  # outside any app context: each request has its own, as when served
        with client.session_transaction() as session:
            session["_user_id"] = users[role]
            session["_fresh"] = True
        html[role], problems[role] = [], []
        for page in listed:
            response = client.get(page.path)
            if response.status_code != 200:
                problems[role].append((page.path, f"answers {response.status_code}"))
            elif response.mimetype == "text/html":
                html[role].append(page)
            response.close()
    site.statuses.take()
    return html, problems, data


@pytest.mark.parametrize(("role", "lang", "view"), BATCHES, ids=[f"{r}-{lang}-{v}" for r, lang, v in BATCHES])
def test_every_page_looks_right(browser, site, catalogue_of_pages, role, lang, view):
    pages, fetch_problems, data = catalogue_of_pages
    username = ACCOUNTS[role]
    site.set_language(username, lang)
    browser.set_viewport(*VIEWPORTS[view])
    browser.sign_in(username)
    assert pages[role], f"{role} has no page to look at"
    first_batch = (lang, view) == ("en", "desktop")
    found = [f"{path}: {problem}" for path, problem in fetch_problems[role]] if first_batch else []
    for page in pages[role]:
        look = browser.look(page.path, shot=f"{role}-{lang}-{view}-{page.name}")
        found += [f"{page.path}: {kind}: {detail}" for kind, detail in look.problems]
        if lang == "pt":
            found += [f"{page.path}: untranslated: {text}" for text in language.untranslated(look.texts, data)]
    assert found == [], "\n".join(found)


@pytest.mark.parametrize("view", list(VIEWPORTS))
def test_sign_in_page_looks_right(browser, site, view):
    browser.sign_out()
    browser.set_viewport(*VIEWPORTS[view])
    look = browser.look("/auth/login", shot=f"anonymous-en-{view}-login")
    assert look.problems == []
    assert "Sign in" in look.texts
