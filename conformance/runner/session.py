"""The live state of one running box, seen from the trusted side, and its event loop.

A :class:`BoxSession` owns the orchestrator's ends of every channel of one box: init's (exit
reports), each actor's (hellos and replies) and the shared output stream. Everything waits
through :meth:`BoxSession.wait_until`: a ``selectors`` loop that handles whatever arrives
and re-checks a condition, until the condition holds or the case's deadline passes. There
is no other way to wait, which is what keeps "no sleeps" true by construction.

Invariant: every message from inside the box is parsed by ``protocol`` (bounded JSON, shape
checked) before anything looks at it, and a sender's identity is the pid the kernel
attached to the message, never a pid the message claims.
"""

from __future__ import annotations

import os
import selectors
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from conformance.runner import kernel, protocol


class StepFailed(Exception):
    """The implementation did something the spec does not allow (the student's fault)."""

    def __init__(self, message: str, *, expected: str = "", observed: str = "", crash_signal: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.expected = expected
        self.observed = observed
        self.crash_signal = crash_signal


class Leaked(StepFailed):
    """The implementation left something behind (processes, IPC objects, descriptors)."""


class CaseTimeout(Exception):
    """The case's deadline passed while waiting for something."""

    def __init__(self, waiting_for: str) -> None:
        super().__init__(waiting_for)
        self.waiting_for = waiting_for


class HarnessError(RuntimeError):
    """The grader or the host failed; the student is not charged for it."""


class OutputFlood(StepFailed):
    """The implementation printed more than the box's output budget."""


@dataclass
class ActorState:
    """What the trusted side knows about one actor process."""

    name: str
    role: str
    channel: socket.socket
    #: Pid as the host sees it: from the kernel's credentials on the actor's hello.
    host_pid: int | None = None
    #: Pid inside the box (for init's exit reports and for students' eyes).
    box_pid: int | None = None
    #: Replies received, by request id.
    replies: dict[int, dict[str, Any]] = field(default_factory=dict)
    #: Wait status reported by init once the process has exited and been reaped.
    exit_status: int | None = None
    #: The actor's own descriptor number for its channel (left out of fd observations).
    channel_fd: int | None = None
    #: The channel reached end-of-file (the process closed it or died).
    closed: bool = False

    @property
    def exited(self) -> bool:
        return self.exit_status is not None


class BoxSession:
    """The trusted side's view of one box while its case runs."""

    def __init__(self, *, deadline: float, output_limit: int, isolated: bool = True) -> None:
        self.deadline = deadline
        #: The box has its own namespaces (so its init's view of SysV objects is the box's).
        self.isolated = isolated
        self.output_limit = output_limit
        self.selector = selectors.DefaultSelector()
        self.actors: dict[str, ActorState] = {}
        self.init_channel: socket.socket | None = None
        self.init_pid: int | None = None
        #: Wait statuses of every process init reaped, by box pid.
        self.exits: dict[int, int] = {}
        self.output = bytearray()
        self.setup_failure: str | None = None
        #: The box's cgroup, when the host allows them (set by the orchestrator).
        self.cgroup: Any = None
        #: Init's answers to questions about the box, by request id.
        self.init_replies: dict[int, dict[str, Any]] = {}
        self._next_id = 0

    # -- channels -------------------------------------------------------------------------

    def attach_init(self, channel: socket.socket) -> None:
        self.init_channel = channel
        self.selector.register(channel, selectors.EVENT_READ, self._on_init)

    def attach_output(self, stream: socket.socket) -> None:
        stream.setblocking(False)
        self.selector.register(stream, selectors.EVENT_READ, self._on_output)

    def attach_actor(self, name: str, role: str, channel: socket.socket) -> ActorState:
        state = ActorState(name=name, role=role, channel=channel)
        self.actors[name] = state
        self.selector.register(channel, selectors.EVENT_READ, lambda: self._on_actor(state))
        return state

    def close(self) -> None:
        for key in list(self.selector.get_map().values()):
            self.selector.unregister(key.fileobj)
            key.fileobj.close()  # type: ignore[union-attr]
        self.selector.close()

    # -- sending --------------------------------------------------------------------------

    def request(self, actor: ActorState, message: dict[str, Any], fds: tuple[int, ...] = ()) -> int:
        """Send one operation to an actor; returns its request id."""
        self._next_id += 1
        try:
            protocol.send(actor.channel, {**message, "id": self._next_id}, fds)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the actor is gone; waiting for its reply will report how it ended
        return self._next_id

    def ask_init(self, op: str) -> Any:
        """Ask the box's init something only a process inside the box can see."""
        assert self.init_channel is not None
        self._next_id += 1
        ident = self._next_id
        protocol.send(self.init_channel, {"op": op, "id": ident})
        self.wait_until(lambda: ident in self.init_replies, f"the box to answer '{op}'")
        return self.init_replies.pop(ident).get("value")

    # -- waiting --------------------------------------------------------------------------

    def wait_until(self, condition: Callable[[], bool], waiting_for: str, poll: float | None = None) -> None:
        """Handle events until ``condition()`` holds.

        Args:
            waiting_for: what is awaited, in words, for the timeout diagnosis.
            poll: also re-check at least this often (seconds), for conditions that are
                kernel state rather than messages (e.g. "blocked").

        Raises:
            CaseTimeout: the case deadline passed first.
        """
        while not condition():
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                raise CaseTimeout(waiting_for)
            self.pump(min(remaining, poll) if poll else remaining)

    def pump(self, timeout: float) -> None:
        """Handle whatever arrives within ``timeout`` seconds (at least one round)."""
        for key, _ in self.selector.select(timeout):
            key.data()

    # -- handlers -------------------------------------------------------------------------

    def _on_init(self) -> None:
        assert self.init_channel is not None
        try:
            received = protocol.receive(self.init_channel)
        except protocol.ProtocolError as exc:
            raise HarnessError(f"the box's init broke the protocol: {exc}") from exc
        if received is None:
            self.selector.unregister(self.init_channel)
            return
        message = received.message
        if message.get("type") == "hello":
            self.init_pid = received.sender_pid
        elif message.get("type") == "setup_failed":
            self.setup_failure = str(message.get("error"))
        elif message.get("type") == "reply":
            reply = protocol.check_reply(message)
            self.init_replies[reply["id"]] = reply
        else:
            event = protocol.check_exit_event(message)
            self._record_exit(event["pid"], event["status"])

    def _record_exit(self, box_pid: int, status: int) -> None:
        self.exits[box_pid] = status
        for actor in self.actors.values():
            if actor.box_pid == box_pid and actor.exit_status is None:
                actor.exit_status = status

    def _on_actor(self, actor: ActorState) -> None:
        try:
            received = protocol.receive(actor.channel)
        except protocol.ProtocolError as exc:
            raise StepFailed(
                f"process '{actor.name}' wrote garbage to the grader's control channel ({exc})",
                observed="a corrupted control channel",
            ) from exc
        except ConnectionResetError:
            received = None
        if received is None:
            actor.closed = True
            self.selector.unregister(actor.channel)
            return
        if received.sender_pid is not None and actor.host_pid not in (None, received.sender_pid):
            raise StepFailed(f"a process other than '{actor.name}' wrote to its control channel")
        self._on_actor_message(actor, received)

    def _on_actor_message(self, actor: ActorState, received: protocol.Received) -> None:
        message = received.message
        for fd in received.fds:  # an actor has no business passing descriptors to the grader
            os.close(fd)
        try:
            if message.get("type") == "hello":
                protocol.check_hello(message)
                if actor.host_pid is not None:
                    raise protocol.ProtocolError("a second hello on the same channel")
                actor.host_pid = received.sender_pid
                channel_fd = message.get("channel_fd")
                actor.channel_fd = channel_fd if isinstance(channel_fd, int) else None
                # The kernel's mapping; a process already gone falls back to its own word
                # (an exit report for it may already be waiting under that pid).
                claimed = message.get("pid")
                mapped = kernel.box_pid_or_none(received.sender_pid) if received.sender_pid else None
                actor.box_pid = mapped if mapped is not None else claimed if isinstance(claimed, int) else None
                if actor.box_pid in self.exits:
                    actor.exit_status = self.exits[actor.box_pid]
            else:
                reply = protocol.check_reply(message)
                actor.replies[reply["id"]] = reply
        except protocol.ProtocolError as exc:
            raise StepFailed(f"process '{actor.name}' sent a malformed message to the grader ({exc})") from exc

    def _on_output(self) -> None:
        stream = next(k.fileobj for k in self.selector.get_map().values() if k.data == self._on_output)
        try:
            chunk = stream.recv(65536)  # type: ignore[union-attr]
        except BlockingIOError:
            return
        if not chunk:
            self.selector.unregister(stream)
            return
        room = self.output_limit - len(self.output)
        self.output += chunk[: max(room, 0)]
        if len(chunk) > room:
            raise OutputFlood(
                f"the implementation printed more than {self.output_limit} bytes; output was cut off and the case stopped",
                observed=f"more than {self.output_limit} bytes of output",
            )
