"""Serve the app over HTTPS with cheroot (a well-kept WSGI server whose TLS is Python's ssl module):
``python -m clinic_app.tls.serve --listen 0.0.0.0:5000``.

A plain-HTTP request to the port is answered with cheroot's refusal, never with a page.
"""

import argparse
import ssl

from cheroot import wsgi
from cheroot.ssl.builtin import BuiltinSSLAdapter


def tls_server(app, host: str, port: int, *, certificate: str, key: str, threads: int = 8) -> wsgi.Server:
    """A cheroot server for ``app`` on host:port, TLS 1.2 or newer with the given certificate chain."""
    server = wsgi.Server((host, port), app, numthreads=threads, server_name="bluebox")
    adapter = BuiltinSSLAdapter(certificate, key)
    adapter.context.minimum_version = ssl.TLSVersion.TLSv1_2
    server.ssl_adapter = adapter
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--listen", default="0.0.0.0:5000")  # noqa: S104 (the clinic network, over TLS)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    host, _, port = args.listen.rpartition(":")

    from clinic_app.tls.certificates import tls_files
    from wsgi import app  # the production app (backups, sync, spool clean-up)

    files = tls_files(app)
    server = tls_server(
        app, host, int(port), certificate=str(files.server), key=str(files.server_key), threads=args.threads
    )
    try:
        server.start()
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
