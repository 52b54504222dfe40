"""scripts/run.py says plainly when its port is taken, before installing anything."""

import importlib.util
import socket
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "run.py"


def _run_module():
    spec = importlib.util.spec_from_file_location("run_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_busy_port_gives_a_clear_message_and_the_option_to_use():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert not _run_module().port_is_free("127.0.0.1", port)
        done = subprocess.run(
            [sys.executable, str(SCRIPT), "--demo", "--port", str(port)], capture_output=True, text=True, timeout=60
        )
    assert done.returncode == 1
    assert f"Port {port} is already in use" in done.stderr
    assert f"--port {port + 1}" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_port_that_is_not_a_number_is_refused_plainly():
    done = subprocess.run([sys.executable, str(SCRIPT), "--port", "http"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "--port takes a number" in done.stderr
