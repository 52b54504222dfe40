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
    from clinic_app.core import spool, sqlite
    from clinic_app.core.i18n import select_locale
    from clinic_app.extensions import babel, csrf, db, login_manager, migrate
    from clinic_app.vault.keyring import Vault

    spool.use_for_openpyxl(app.instance_path)  # large exports spool inside instance/, not /tmp
    keys = Vault(app)
    app.extensions["vault"] = keys
    if keys.enabled:
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**app.config["SQLALCHEMY_ENGINE_OPTIONS"], **keys.engine_options()}
    db.init_app(app)
    sqlite.configure_engines(app, keys)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "basic"
    from clinic_app.auth import session_loader  # noqa: F401  (registers user_loader)


def register_blueprints(app: Flask) -> None:
    from clinic_app import (
        audit,
        auth,
        backups,
        clients,
        clinics,
        crisis,
        demo,
        duelists,
        main,
        network,
        outreach,
        reports,
        tls,
        vault,
        visits,
    )

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


def register_request_hooks(app: Flask) -> None:
    from clinic_app.auth import sessions
    from clinic_app.core import guard

    app.session_interface = sessions.SessionInterface()
    app.before_request(guard.refuse_plain_http_from_the_network)
    app.before_request(guard.refuse_nul_bytes)
    app.before_request(guard.require_unlocked)
    app.before_request(sessions.expire_idle_sessions)
    app.before_request(guard.enforce_permissions)
    app.after_request(guard.security_headers)


def register_errorhandlers(app: Flask) -> None:
    from clinic_app.core import errorpages

    errorpages.register(app)


def register_template_helpers(app: Flask) -> None:
    from clinic_app.core import templating

    templating.register(app)


def register_commands(app: Flask) -> None:
    """CLI commands live on their features' blueprints (``flask --app clinic_app ...``)."""
