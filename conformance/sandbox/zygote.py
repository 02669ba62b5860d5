"""The zygote: a pristine, single-threaded process that forks boxes on request.

Why it exists: forking a box straight from a pytest worker would hand student code a copy
of the worker's heap — specs, expected values, hidden cases — and a worker is
multi-threaded (execnet), where ``fork()`` may copy a lock held by another thread. The
zygote is exec'd fresh (``python -I``) once per worker, imports only the sandbox and the
actor runtime, and is never told anything but how to build a box.

Conversation on the zygote's channel (SEQPACKET, see ``runner/protocol.py``)::

    worker → zygote  {"op": "box", ...BoxRequest}   + descriptors (init, output, actors...)
    zygote → worker  {"type": "box_started", "box_id", "supervisor": pid}
    zygote → worker  {"type": "box_done", "box_id", "status": int}   when the box is gone

One box at a time: a worker runs one case at a time, so the zygote simply waits for the
supervisor it forked before reading the next request.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

from conformance.runner import protocol
from conformance.sandbox import _libc
from conformance.sandbox.box import BoxChannels, BoxRequest, run_supervisor

#: The zygote's whole environment (an allow-list; see Zygote.__init__).
ZYGOTE_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}


class ZygoteError(RuntimeError):
    """The zygote died or broke the protocol: a harness failure, never the student's."""


def main(channel_fd: int) -> None:
    """Serve box requests on ``channel_fd`` until the worker closes it."""
    # If the worker dies, so does the zygote, and with it (PDEATHSIG) every box.
    _libc.prctl(_libc.PR_SET_PDEATHSIG, signal.SIGKILL)
    channel = socket.socket(fileno=channel_fd)
    while True:
        received = protocol.receive(channel)
        if received is None:
            return
        request = BoxRequest.from_json(received.message)
        init, output, *actors = received.fds
        channels = BoxChannels(init=init, output=output, actors=tuple(actors))
        supervisor = os.fork()
        if supervisor == 0:
            channel.close()
            run_supervisor(request, channels)
        for fd in received.fds:
            os.close(fd)
        protocol.send(channel, {"type": "box_started", "box_id": request.box_id, "supervisor": supervisor})
        _, status = os.waitpid(supervisor, 0)
        protocol.send(channel, {"type": "box_done", "box_id": request.box_id, "status": status})


class Zygote:
    """The worker's handle on its zygote process.

    Invariant: at most one box is in flight; :meth:`start_box` and :meth:`wait_box_done`
    alternate strictly.
    """

    def __init__(self) -> None:
        self._channel, theirs = protocol.channel_pair()
        package_root = str(Path(__file__).resolve().parents[2])
        # -I: no PYTHON* variables, no user site, no script directory; the engine's own
        # location is put on the path explicitly so this works installed or not.
        code = (f"import sys; sys.path.insert(0, {package_root!r}); "
                f"from conformance.sandbox.zygote import main; main({theirs.fileno()})")
        self._process = subprocess.Popen(
            [sys.executable, "-I", "-c", code],
            pass_fds=[theirs.fileno()],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            # A process's starting environment stays readable in /proc/self/environ for
            # good, whatever it later does to os.environ; actors are forks of the zygote, so
            # the zygote starts with nothing of the grader's environment.
            env=ZYGOTE_ENV,
        )
        theirs.close()

    @property
    def pid(self) -> int:
        return self._process.pid

    def start_box(self, request: BoxRequest, channels: BoxChannels) -> int:
        """Ask for a box; returns the supervisor's pid once it has been forked."""
        try:
            protocol.send(self._channel, request.to_json(), fds=channels.all())
            reply = self._receive()
        except OSError as exc:
            raise ZygoteError(f"the zygote is unreachable: {exc}") from exc
        if reply.get("type") != "box_started" or not isinstance(reply.get("supervisor"), int):
            raise ZygoteError(f"unexpected answer from the zygote: {reply!r}")
        return int(reply["supervisor"])

    def wait_box_done(self, timeout: float) -> int:
        """Wait until the box's supervisor has been reaped; returns its wait status."""
        self._channel.settimeout(timeout)
        try:
            reply = self._receive()
        except TimeoutError as exc:
            raise ZygoteError(f"the box did not end within {timeout:.1f}s of being killed") from exc
        finally:
            self._channel.settimeout(None)
        if reply.get("type") != "box_done":
            raise ZygoteError(f"unexpected answer from the zygote: {reply!r}")
        return int(reply["status"])

    def _receive(self) -> dict[str, Any]:
        received = protocol.receive(self._channel)
        if received is None:
            raise ZygoteError(f"the zygote exited (status {self._process.poll()})")
        return received.message

    def close(self) -> None:
        """Stop the zygote (closing its channel ends its loop) and reap it."""
        self._channel.close()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
