"""The Blue Box clinic tracker: a Flask application factory."""

import os

from flask import Flask

from clinic_app import config


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app. Never touches the database; only creates instance/."""
    app = Flask(__name__, instance_relative_config=True)
    # Everything this process creates (database, WAL, backups, spools, keys) is for its own user only.
    os.umask(0o077)
    os.makedirs(app.instance_path, mode=0o700, exist_ok=True)
    os.chmod(app.instance_path, 0o700)
    config.load_into(app, test_config)
    if not app.config.get("SECRET_KEY"):
        raise RuntimeError(
            "No secret key. Start the app with 'python3 scripts/run.py', which "
            "creates instance/secret_key, or set CLINIC_SECRET_KEY."
        )
    register_proxy(app)
    register_extensions(app)
    register_blueprints(app)
    register_session_hooks(app)
    register_request_hooks(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_commands(app)
    return app


def register_proxy(app: Flask) -> None:
    """Behind a reverse proxy that ends TLS, trust its X-Forwarded-* headers (PROXY_FIX_FORWARDS proxies)."""
    forwards = int(app.config.get("PROXY_FIX_FORWARDS") or 0)
    if forwards:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=forwards, x_proto=forwards, x_host=forwards, x_port=forwards)


def register_extensions(app: Flask) -> None:
    from clinic_app.audit import keys as audit_keys
    from clinic_app.core import spool, sqlite
    from clinic_app.core.i18n import select_locale
    from clinic_app.extensions import babel, csrf, db, login_manager, migrate
    from clinic_app.vault.keyring import SealedSecret, Vault

    spool.use_for_openpyxl(app.instance_path)  # large exports spool inside instance/, not /tmp
    keys = Vault(app)
    keys.sealed_secrets.append(SealedSecret(audit_keys.reseal, audit_keys.drop_other_seals))
    app.extensions["vault"] = keys
    if keys.enabled:
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**app.config["SQLALCHEMY_ENGINE_OPTIONS"], **keys.engine_options()}
    db.init_app(app)
    sqlite.configure_engines(app)
    keys.install(app)  # SQLCipher's key pragma, first on every new connection
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "basic"
    from clinic_app.auth import session_loader  # noqa: F401  (registers user_loader)


def register_blueprints(app: Flask) -> None:
    """Each feature's blueprint is defined in its views module; a feature with several views modules
    registers all of them on that one blueprint, so each is imported here."""
    from clinic_app.audit import views as audit
    from clinic_app.auth import views as auth
    from clinic_app.backups import cli as backups  # commands only
    from clinic_app.clients import views as clients
    from clinic_app.clinics import views as clinics
    from clinic_app.crisis import fund_views, offline_views  # noqa: F401
    from clinic_app.crisis import views as crisis
    from clinic_app.demo import cli as demo  # commands only
    from clinic_app.duelists import views as duelists
    from clinic_app.main import views as main
    from clinic_app.network import api  # noqa: F401
    from clinic_app.network import views as network
    from clinic_app.outreach import offline_views as outreach_offline  # noqa: F401
    from clinic_app.outreach import views as outreach
    from clinic_app.reports import views as reports
    from clinic_app.tls import views as tls
    from clinic_app.vault import views as vault
    from clinic_app.visits import views as visits

    for feature in (
        main,
        auth,
        clinics,
        clients,
        visits,
        duelists,
        outreach,
        crisis,
        reports,
        audit,
        vault,
        backups,
        demo,
        network,
        tls,
    ):
        app.register_blueprint(feature.bp)


def register_session_hooks(app: Flask) -> None:
    """The session hooks that keep derived rows in step with the records register on import (SQLAlchemy
    events on every Session): each client's status, the report facts, the network's outbox. So do the
    steps the features above clients add to a merge (clients.contributions): visits' rules, the status
    rows and report facts the bulk moves bypass."""
    from clinic_app.network import tracking  # noqa: F401
    from clinic_app.reports import upkeep  # noqa: F401
    from clinic_app.visits import client_records, status  # noqa: F401


def register_request_hooks(app: Flask) -> None:
    """The request guard, in order: the web layer's hygiene, then each feature's own check."""
    from clinic_app.auth import guard as auth_guard
    from clinic_app.auth import sessions
    from clinic_app.core import guard
    from clinic_app.vault import guard as vault_guard

    app.session_interface = sessions.SessionInterface()
    app.before_request(guard.declare_unit_of_work)
    app.teardown_request(guard.end_unit_of_work)
    app.before_request(guard.refuse_plain_http_from_the_network)
    app.before_request(guard.refuse_nul_bytes)
    app.before_request(vault_guard.require_unlocked)
    app.before_request(sessions.expire_idle_sessions)
    app.before_request(auth_guard.enforce_permissions)
    app.after_request(guard.security_headers)


def register_errorhandlers(app: Flask) -> None:
    from clinic_app.core import errorpages

    errorpages.register(app)


def register_template_helpers(app: Flask) -> None:
    from clinic_app.core import templating

    templating.register(app)


def register_commands(app: Flask) -> None:
    """Each feature's command line (``flask --app clinic_app ...``); backups and demo carry theirs on their
    command-only blueprints."""
    from clinic_app.audit.cli import audit_cli
    from clinic_app.auth.cli import users_cli
    from clinic_app.clinics.cli import clinics_cli
    from clinic_app.network.cli import network_cli
    from clinic_app.reports.cli import linelist_command, report_command, reports_cli
    from clinic_app.tls.cli import tls_cli
    from clinic_app.vault.cli import vault_cli
    from clinic_app.visits.cli import visits_cli

    for command in (
        audit_cli,
        users_cli,
        clinics_cli,
        visits_cli,
        report_command,
        linelist_command,
        reports_cli,
        vault_cli,
        network_cli,
        tls_cli,
    ):
        app.cli.add_command(command)
