"""The orchestrator↔actor wire protocol: one bounded JSON object per SEQPACKET message.

Documented for other runtimes (a C actor, say) in ``docs/protocol.md``. The trusted side
only ever *parses* what an actor sends — ``json.loads`` under a size cap, then a shape
check — never unpickles it: the actor process runs student code and may write anything to
its channel.

Why SEQPACKET: message boundaries are kept by the kernel, so no framing code can be fooled,
and with ``SO_PASSCRED`` set on the orchestrator's end every message arrives with the
sender's pid as the kernel (not the sender) states it, translated into the orchestrator's
PID namespace.
"""

from __future__ import annotations

import array
import json
import socket
import struct
from dataclasses import dataclass
from typing import Any

#: Protocol version sent in every hello; bump on incompatible changes.
VERSION = 1
#: Largest message either side accepts, in bytes (the JSON text).
MAX_MESSAGE = 128 * 1024  # below the default socket send buffer (208 KiB), so any legal message can be sent
#: Deepest nesting of JSON arrays/objects accepted from an actor.
MAX_DEPTH = 64

_UCRED = struct.Struct("iII")  # struct ucred { pid_t pid; uid_t uid; gid_t gid; }


class ProtocolError(ValueError):
    """A message broke the protocol: too big, not JSON, too deep, or the wrong shape."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Received:
    """One message and what the kernel says about its sender."""

    message: dict[str, Any]
    #: Sender's pid in the receiver's PID namespace (``None`` without SO_PASSCRED).
    sender_pid: int | None
    #: Descriptors passed with the message (SCM_RIGHTS); the receiver owns them.
    fds: tuple[int, ...] = ()


def channel_pair() -> tuple[socket.socket, socket.socket]:
    """A connected SEQPACKET pair: (trusted end with SO_PASSCRED, actor end)."""
    trusted, actor = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    trusted.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    return trusted, actor


def encode(message: dict[str, Any]) -> bytes:
    """Serialise one message; refuses anything over :data:`MAX_MESSAGE`."""
    data = json.dumps(message, separators=(",", ":"), allow_nan=False).encode()
    if len(data) > MAX_MESSAGE:
        raise ProtocolError(f"message of {len(data)} bytes exceeds the {MAX_MESSAGE}-byte limit")
    return data


def decode(data: bytes) -> dict[str, Any]:
    """Parse one message from untrusted bytes.

    Raises:
        ProtocolError: for anything but a JSON object within the size and depth limits.
    """
    if len(data) > MAX_MESSAGE:
        raise ProtocolError(f"message of {len(data)} bytes exceeds the {MAX_MESSAGE}-byte limit")
    if _depth(data) > MAX_DEPTH:
        raise ProtocolError(f"message nests deeper than {MAX_DEPTH} levels")
    try:
        message = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ProtocolError(f"message is not valid JSON: {exc}") from None
    if not isinstance(message, dict):
        raise ProtocolError(f"message is a JSON {type(message).__name__}, not an object")
    return message


def _depth(data: bytes) -> int:
    """Upper bound of the nesting depth (brackets inside strings only make it larger)."""
    depth = deepest = 0
    for byte in data:
        if byte in (0x5B, 0x7B):  # [ {
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return deepest


def send(sock: socket.socket, message: dict[str, Any], fds: tuple[int, ...] = ()) -> None:
    """Send one message, optionally passing descriptors with it."""
    data = encode(message)
    ancillary = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))] if fds else []
    sock.sendmsg([data], ancillary)


def receive(sock: socket.socket) -> Received | None:
    """Receive one message; ``None`` when the peer has closed the channel.

    Raises:
        ProtocolError: the message was truncated (too big) or is malformed.
    """
    ancillary_size = socket.CMSG_SPACE(_UCRED.size) + socket.CMSG_SPACE(64 * 4)
    data, ancillary, flags, _ = sock.recvmsg(MAX_MESSAGE + 1, ancillary_size)
    sender, fds = _parse_ancillary(ancillary)
    if not data and not fds:
        return None
    if flags & (socket.MSG_TRUNC | socket.MSG_CTRUNC):
        _close_all(fds)
        raise ProtocolError(f"message larger than the {MAX_MESSAGE}-byte limit")
    try:
        return Received(message=decode(data), sender_pid=sender, fds=fds)
    except ProtocolError:
        _close_all(fds)
        raise


def _parse_ancillary(ancillary: list[tuple[int, int, bytes]]) -> tuple[int | None, tuple[int, ...]]:
    sender: int | None = None
    fds: list[int] = []
    for level, kind, payload in ancillary:
        if level != socket.SOL_SOCKET:
            continue
        if kind == socket.SCM_CREDENTIALS and len(payload) >= _UCRED.size:
            sender = _UCRED.unpack_from(payload)[0]
        elif kind == socket.SCM_RIGHTS:
            usable = len(payload) - len(payload) % 4
            fds.extend(array.array("i", payload[:usable]))
    return sender, tuple(fds)


def _close_all(fds: tuple[int, ...]) -> None:
    import os

    for fd in fds:
        try:
            os.close(fd)
        except OSError:
            pass


# ---------------------------------------------------------------------------------------
# Message shapes. The trusted side checks every reply against these before using it.

_REPLY_STATUSES = ("returned", "raised", "spawned", "loaded", "load_failed")


def check_hello(message: dict[str, Any]) -> dict[str, Any]:
    """Validate an actor's hello: ``{"type": "hello", "protocol": 1, "actor": str, ...}``."""
    _require(message, "type", str)
    if message["type"] != "hello":
        raise ProtocolError(f"expected a hello, got a {message['type']!r} message")
    _require(message, "protocol", int)
    if message["protocol"] != VERSION:
        raise ProtocolError(f"protocol version {message['protocol']} is not {VERSION}")
    _require(message, "actor", str)
    _require(message, "capabilities", list)
    return message


def check_reply(message: dict[str, Any]) -> dict[str, Any]:
    """Validate a reply: ``{"type": "reply", "id": int, "status": ..., ...}``."""
    _require(message, "type", str)
    if message["type"] != "reply":
        raise ProtocolError(f"expected a reply, got a {message['type']!r} message")
    _require(message, "id", int)
    _require(message, "status", str)
    if message["status"] not in _REPLY_STATUSES:
        raise ProtocolError(f"unknown reply status {message['status']!r}")
    if message["status"] in ("raised", "load_failed"):
        _require(message, "error", dict)
        _require(message["error"], "type", str)
        _require(message["error"], "message", str)
    return message


def check_exit_event(message: dict[str, Any]) -> dict[str, Any]:
    """Validate the box init's exit report: ``{"type": "exit", "pid": int, "status": int}``."""
    _require(message, "type", str)
    if message["type"] != "exit":
        raise ProtocolError(f"expected an exit event, got a {message['type']!r} message")
    _require(message, "pid", int)
    _require(message, "status", int)
    return message


def _require(message: dict[str, Any], key: str, kind: type) -> None:
    value = message.get(key)
    # bool is an int subclass; a boolean where a number belongs is still malformed.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ProtocolError(f"field {key!r} must be {kind.__name__}, got {type(value).__name__}")
