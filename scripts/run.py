"""Run the clinic app: python3 scripts/run.py [--demo] [--port 5000] [--host 127.0.0.1]

Creates .venv, installs the pinned requirements, creates instance/secret_key,
applies the database migrations and serves the app with waitress.
--demo uses a separate database (instance/demo.db) filled with synthetic data
and prints one account per role; a clinic's real database is never touched.
"""

import argparse
import os
import secrets
import socket
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _venv  # noqa: E402

DEMO_PASSPHRASE = "demo passphrase - synthetic data only"  # noqa: S105 (printed; demo database only)


def ensure_secret_key(instance: Path) -> None:
    instance.mkdir(exist_ok=True)
    key = instance / "secret_key"
    if not key.exists():
        key.write_text(secrets.token_hex(32))
        key.chmod(0o600)


def port_is_free(host: str, port: int) -> bool:
    """True when nothing listens on host:port (checked before the installs, so the answer comes at once)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--demo", action="store_true", help="use instance/demo.db with synthetic data")
    parser.add_argument("--host", default="127.0.0.1", help="0.0.0.0 lets phones on the clinic Wi-Fi connect")
    parser.add_argument("--port", default="5000")
    parser.add_argument("--setup-only", action="store_true", help="install and migrate, do not serve")
    args = parser.parse_args()
    if not args.port.isdigit() or not 0 < int(args.port) < 65536:
        sys.exit(f"--port takes a number from 1 to 65535, not {args.port!r}.")
    if not args.setup_only and not port_is_free(args.host, int(args.port)):
        sys.exit(
            f"Port {args.port} is already in use on {args.host} (another program, or the app already running).\n"
            f"Open the app that is running, or start this one on another port: "
            f"python3 scripts/run.py{' --demo' if args.demo else ''} --port {int(args.port) + 1}"
        )

    python = _venv.ensure("requirements.txt")
    _venv.run(python, str(_venv.ROOT / "scripts" / "translations.py"), "compile")
    instance = _venv.ROOT / "instance"
    ensure_secret_key(instance)
    env = dict(os.environ)
    flask = ["-m", "flask", "--app", "clinic_app"]
    encrypted = not env.get("DATABASE_URL", "sqlite").startswith("postgresql")
    if args.demo:
        env["DATABASE_URL"] = f"sqlite:///{instance / 'demo.db'}"
        env["CLINIC_DB_PASSPHRASE"] = DEMO_PASSPHRASE
        if not (instance / "demo.db").exists():
            _venv.run(python, *flask, "vault", "set-up", env=env)
        _venv.run(python, *flask, "db", "upgrade", env=env)
        _venv.run(python, *flask, "demo", "seed", env=env)
        print(f"Demo database passphrase (demo only, never for real records): {DEMO_PASSPHRASE}")
    elif encrypted:
        print(
            "The records are encrypted: open the address below and unlock them with the database passphrase "
            "(or set them up, the first time)."
        )
    else:
        _venv.run(python, *flask, "db", "upgrade", env=env)
    if args.setup_only:
        return
    print(f"Serving on http://{args.host}:{args.port}  (Ctrl+C to stop)", flush=True)
    try:
        _venv.run(python, "-m", "waitress", f"--listen={args.host}:{args.port}", "--threads=8", "wsgi:app", env=env)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
