"""Serve the app (a hub) with waitress on 127.0.0.1 and a free port, printing the port first.

Settings come from the environment (DATABASE_URL, CLINIC_NETWORK_ROLE=hub ...). ``--port`` reuses a
port (a hub restarted after a test stopped it).
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from waitress import create_server  # noqa: E402

from clinic_app import create_app  # noqa: E402

if __name__ == "__main__":
    port = int(sys.argv[sys.argv.index("--port") + 1]) if "--port" in sys.argv else 0
    server = create_server(create_app(), host="127.0.0.1", port=port, threads=8)
    print(server.effective_port, flush=True)
    server.run()
