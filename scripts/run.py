"""Run the clinic app: python3 scripts/run.py [--demo] [--port 5000] [--host 127.0.0.1]

Creates .venv, installs the pinned requirements, creates instance/secret_key,
applies the database migrations and serves the app: with waitress over plain HTTP on
127.0.0.1 (this computer only), over HTTPS with cheroot on any other address (--host 0.0.0.0
for phones on the clinic Wi-Fi), making the clinic certificate the first time.
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


LOOPBACK = ("127.0.0.1", "localhost", "::1")


def serve_command(host: str, port: str) -> list[str]:
    """The server to run: plain HTTP only on this computer's own address, HTTPS everywhere else."""
    if host in LOOPBACK:
        return ["-m", "waitress", f"--listen={host}:{port}", "--threads=8", "wsgi:app"]
    return ["-m", "clinic_app.tls.serve", f"--listen={host}:{port}", "--threads=8"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--demo", action="store_true", help="use instance/demo.db with synthetic data")
    parser.add_argument(
        "--host", default="127.0.0.1", help="0.0.0.0 lets phones on the clinic Wi-Fi connect (over HTTPS)"
    )
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
        # The demo's Zimbabwe and Mozambique sites settle reactive then non-reactive with a tie-breaker.
        env.setdefault("CLINIC_HIV_TESTING_ALGORITHMS", '{"ZW": "tiebreaker", "MZ": "tiebreaker_inconclusive"}')
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
    tls = args.host not in LOOPBACK
    if tls and not (instance / "tls" / "server.crt").exists():
        _venv.run(python, *flask, "tls", "init", env=env)  # the clinic certificate, the first time
    if args.setup_only:
        return
    if tls:
        print(
            f"Serving HTTPS on port {args.port} of this computer's addresses (Ctrl+C to stop). On a phone, open "
            f"https://<this computer's address>:{args.port}/tls/ once to install the clinic certificate.",
            flush=True,
        )
    else:
        print(f"Serving on http://{args.host}:{args.port}  (Ctrl+C to stop)", flush=True)
    try:
        _venv.run(python, *serve_command(args.host, args.port), env=env)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
