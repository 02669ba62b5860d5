"""Seeded bug: the "queue" is a Python list inside the process, keyed by the key. It follows
every selection rule, but there is no kernel queue at all: no other process ever sees a
message, and the kernel lists nothing."""

from __future__ import annotations

import errno
import os
import struct

MSGMAX = 8192
REQUEST_TYPE = 1
_PID = struct.Struct(">I")

#: Every queue of this process, by key: (type, data) in arrival order.
_QUEUES: dict[int, list[tuple[int, bytes]]] = {}


class Queue:
    """A queue that exists only in this process's memory."""

    def __init__(self, key: int) -> None:
        self.key = key
        self.max_bytes = 16384

    def send(self, data: bytes, type: int, block: bool = True) -> None:  # noqa: A002
        _QUEUES.setdefault(self.key, []).append((type, bytes(data)))

    def receive(self, type: int = 0, block: bool = True, max_size: int | None = None,  # noqa: A002
                truncate: bool = False, except_type: bool = False) -> tuple[int, bytes]:
        queued = _QUEUES.setdefault(self.key, [])
        if type < 0:
            eligible = [m for m in queued if m[0] <= -type]
            lowest = min((m[0] for m in eligible), default=None)
            chosen = next((m for m in eligible if m[0] == lowest), None)
        elif type > 0:
            chosen = next((m for m in queued if (m[0] != type if except_type else m[0] == type)), None)
        else:
            chosen = queued[0] if queued else None
        if chosen is None:
            raise OSError(errno.ENOMSG, "no message")
        queued.remove(chosen)
        return chosen

    def stats(self) -> dict[str, int]:
        queued = _QUEUES.get(self.key, [])
        return {"messages": len(queued), "bytes": sum(len(d) for _, d in queued), "max_bytes": self.max_bytes}

    def set_max_bytes(self, n: int) -> None:
        self.max_bytes = n

    def remove(self) -> None:
        _QUEUES.pop(self.key, None)


def open_queue(key: int, create: bool = False, exclusive: bool = False) -> Queue:
    if key in _QUEUES:
        if create and exclusive:
            raise OSError(errno.EEXIST, "queue exists")
    elif not create:
        raise OSError(errno.ENOENT, "no such queue")
    else:
        _QUEUES[key] = []
    return Queue(key)


def serve(key: int, n_requests: int | None = None) -> int:
    queue = open_queue(key, create=True)
    answered = 0
    while n_requests is None or answered < n_requests:
        _, payload = queue.receive(type=REQUEST_TYPE)
        (pid,) = _PID.unpack_from(payload)
        queue.send(payload[_PID.size:].upper(), type=pid)
        answered += 1
    return answered


class Client:
    def __init__(self, key: int) -> None:
        self._queue = open_queue(key)

    def request(self, data: bytes) -> bytes:
        pid = os.getpid()
        self._queue.send(_PID.pack(pid) + bytes(data), type=REQUEST_TYPE)
        return self._queue.receive(type=pid)[1]
