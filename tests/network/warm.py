"""A warm start for the network tests' clinic and command processes (POSIX only).

Each clinic step of the network tests is its own process (``node_ops.py ACTION JSON`` or a ``flask``
command), and each spent about 1.5 s of its 1.9 s importing the app and its libraries. This process
imports them once, then for each request read from stdin (one JSON line: argv, env, cwd, the files for
stdout and stderr) forks a child that runs exactly that command with that environment, as a new
process would: its own app, database connections, clock and exit status. It answers one JSON line,
``{"returncode": N}`` (a negative N for a signal, as subprocess gives; ``"timed_out"`` when it was
killed for taking longer than the request's timeout). Nothing but imports happens
here before a fork: no app, no database, no thread.
"""

import importlib
import json
import os
import pkgutil
import runpy
import signal
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import flask.cli  # noqa: E402
import time_machine  # noqa: E402, F401  (node_ops moves the clock with it)

import clinic_app  # noqa: E402

for module in pkgutil.walk_packages(clinic_app.__path__, "clinic_app."):
    importlib.import_module(module.name)


def _exit_code(code) -> int:
    """What the interpreter makes of ``sys.exit(code)``: a message goes to stderr and means 1."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def _child(request: dict) -> None:
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(request["cwd"])
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    for fd, path in ((1, request["stdout"]), (2, request["stderr"])):
        os.dup2(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), fd)
    sys.argv = list(request["argv"])
    code = 0
    try:
        if request["argv"][0] == "flask":
            flask.cli.main()
        else:
            runpy.run_path(request["argv"][0], run_name="__main__")
    except SystemExit as exit:
        code = _exit_code(exit.code)
    except BaseException:
        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _wait(pid: int, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return {"returncode": os.waitstatus_to_exitcode(status)}
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return {"returncode": -signal.SIGKILL, "timed_out": True}
        time.sleep(0.002)


def main() -> None:
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            _child(request)
        print(json.dumps(_wait(pid, request["timeout"])), flush=True)


if __name__ == "__main__":
    main()
