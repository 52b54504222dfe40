"""The browser suite's fixtures: the app served by waitress on a free port over a seeded database,
and one headless Chromium (Debian's, driven through chromedriver) reused by every test.

Run with the rest: ``python3 scripts/test.py`` (its "browser" step), or alone:
``.venv/bin/python -m pytest -m browser``. Screenshots go to out/screenshots/ (BROWSER_SCREENSHOTS).
"""

import os
import shutil
import tempfile
import threading
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import select, update

from clinic_app import create_app
from clinic_app.auth.models import Language, User
from clinic_app.extensions import db

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(os.environ.get("BROWSER_SCREENSHOTS", ROOT / "out" / "screenshots"))
VIEWPORTS = {"desktop": (1366, 768), "phone": (360, 800)}
# The demo seed's accounts, one per role, all at Beitbridge (BBR).
ACCOUNTS = {
    "admin": "admin",
    "nurse": "nurse",
    "data_admin": "data.admin",
    "peer_educator": "peer",
    "me_officer": "me.officer",
    "crt_coordinator": "crt",
}


def pytest_collection_modifyitems(items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed browser test leaves a screenshot of what the browser showed (failed-<test>.png)."""
    report = yield
    browser = item.funcargs.get("browser") if hasattr(item, "funcargs") else None
    if report.failed and call.when == "call" and browser is not None:
        try:
            browser.screenshot(f"failed-{item.name}")
        except Exception:  # noqa: BLE001, S110 (a picture is a help, never a second failure)
            pass
    return report


class StatusLog:
    """WSGI middleware that remembers every response's status, so a 500 behind a page is seen."""

    def __init__(self, app):
        self.app = app
        self.errors: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")

        def recording(status, headers, exc_info=None):
            if status.startswith("5"):
                with self.lock:
                    self.errors.append((path, status))
            return start_response(status, headers, exc_info)

        return self.app(environ, recording)

    def take(self) -> list[tuple[str, str]]:
        with self.lock:
            errors, self.errors = self.errors, []
        return errors


class Site:
    """The served app: its base URL, the Flask app (for setting up data) and the demo passwords."""

    def __init__(self, app, base_url: str, passwords: dict[str, str], statuses: StatusLog):
        self.app, self.base_url, self.passwords, self.statuses = app, base_url, passwords, statuses

    def url(self, path: str) -> str:
        return self.base_url + path

    def set_language(self, username: str, language: str) -> None:
        with self.app.app_context():
            db.session.execute(update(User).where(User.username == username).values(language=Language(language)))
            db.session.commit()

    def user(self, username: str) -> User:
        """The demo account (inside an app context of the site's app)."""
        return db.session.scalar(select(User).where(User.username == username))


@pytest.fixture(scope="session")
def site():
    from waitress.server import create_server

    from clinic_app.demo.seed import seed_demo

    folder = Path(tempfile.mkdtemp(prefix="bluebox-browser-"))
    app = create_app(
        {
            "SECRET_KEY": "browser-suite",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'browser.db'}",
            "SQLALCHEMY_ENGINE_OPTIONS": {},
            "DATABASE_ENCRYPTION": "none",
            "CLINIC_CODE": "BBR",
            "BACKUP_AUTOMATIC": False,
        }
    )
    with app.app_context():
        upgrade()
        printed = seed_demo(n_clients=60)
        db.session.remove()
    passwords = {username: password for username, (_role, _clinic, password) in printed.items()}
    statuses = StatusLog(app.wsgi_app)
    app.wsgi_app = statuses
    server = create_server(app, host="127.0.0.1", port=0, threads=4, clear_untrusted_proxy_headers=True)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield Site(app, f"http://127.0.0.1:{server.effective_port}", passwords, statuses)
    finally:
        server.close()
        thread.join(timeout=5)
        with app.app_context():
            db.engine.dispose()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def chrome():
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        if os.environ.get("CI"):
            pytest.fail("Debian's chromium and chromium-driver are not installed (.ci/run installs them)")
        pytest.skip("Debian's chromium and chromium-driver are not installed: apt-get install chromium chromium-driver")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="bluebox-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-default-apps",
        "--hide-scrollbars",
        "--lang=en-GB",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="session")
def browser(chrome, site):
    from tests.browser.driving import Browser

    shutil.rmtree(SCREENSHOTS, ignore_errors=True)  # only this run's pictures
    return Browser(chrome, site, SCREENSHOTS)
