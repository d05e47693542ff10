"""A fork server: import and restore jobs that start in milliseconds, to be killed at any moment.

Run as a script, it reads one JSON job a line on stdin (see `serve`).
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from annotations.store import AnnotationStore
from tests.reliability.test_crashes import end_server, kill

FORKS = Path(__file__).resolve()
"""This script, run as the fork server."""


def _write_line(line: dict[str, Any]) -> None:
    os.write(1, (json.dumps(line) + "\n").encode("utf-8"))


def _job(job: dict[str, Any]) -> int:
    """Run one job in a forked child; its exit code."""
    from annotations.formats.backup import read_backup
    from annotations.restore import restore
    from reader.ingest import import_files, iter_files

    if job["do"] == "import":
        store = AnnotationStore(job["library"])
        summary = import_files(store, list(iter_files([Path(p) for p in job["paths"]])))
        store.close()
        return 1 if summary.failed else 0
    if job["do"] == "restore":
        backup = read_backup(Path(job["file"]))
        store = AnnotationStore(job["library"])
        restore(store, backup)
        store.close()
        return 0
    return 2


def serve() -> int:
    """Fork a job for each JSON line on stdin; report `pid`, then `exit` with its status.

    The server has imported the store, the importer and the restore already, so a job
    starts in milliseconds and can be killed at any moment of its work.
    """
    import annotations.formats.backup
    import annotations.restore  # noqa: F401
    import reader.ingest  # noqa: F401

    for request in sys.stdin:
        job = json.loads(request)
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                code = _job(job)
            finally:
                os._exit(code)
        _write_line({"t": "pid", "pid": pid})
        _, status = os.waitpid(pid, 0)
        _write_line({"t": "exit", "status": status})
    return 0


class ForkServer:
    """The client of the fork server (this module run as a script)."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(FORKS)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            bufsize=0,
            env=os.environ.copy(),
        )
        assert self.process.stdout is not None
        self._out = self.process.stdout.fileno()
        self._buffer = b""

    def _line(self, timeout: float | None) -> dict[str, Any] | None:
        """The next line, or None if none came within `timeout` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while b"\n" not in self._buffer:
            wait = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not select.select([self._out], [], [], wait)[0]:
                return None
            chunk = os.read(self._out, 4096)
            if not chunk:
                raise RuntimeError("the fork server stopped")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return json.loads(line)

    def run(self, job: dict[str, Any], ready: Callable[[], bool]) -> int:
        """Fork a job, SIGKILL it once `ready()` is true; its wait status."""
        assert self.process.stdin is not None
        self.process.stdin.write((json.dumps(job) + "\n").encode("utf-8"))
        line = self._line(60)
        assert line is not None and line["t"] == "pid", line
        pid = int(line["pid"])
        deadline = time.monotonic() + 120
        while (line := self._line(0.0005)) is None:  # a line: it ended by itself
            if ready() or time.monotonic() > deadline:
                kill(pid)
                line = self._line(60)
                break
        assert line is not None and line["t"] == "exit", line
        return int(line["status"])

    def close(self) -> None:
        """End the server (it exits when its input closes)."""
        end_server(self.process)


if __name__ == "__main__":
    sys.exit(serve())
