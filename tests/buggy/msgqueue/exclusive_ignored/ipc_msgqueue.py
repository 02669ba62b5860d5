"""Seeded bug: open_queue() never passes IPC_EXCL, so an exclusive create silently opens an existing queue."""

from __future__ import annotations

import ctypes
import errno
import os
import signal
import struct
from typing import Any

#: msgget/msgsnd/msgrcv flags and msgctl commands (<sys/ipc.h>, <sys/msg.h>).
IPC_CREAT = 0o1000
IPC_EXCL = 0o2000
IPC_NOWAIT = 0o4000
IPC_RMID = 0
IPC_SET = 1
IPC_STAT = 2
MSG_NOERROR = 0o10000
MSG_EXCEPT = 0o20000

#: Permission bits of a queue this module creates: read and write for the owner.
MODE = 0o600

#: The message type of requests to a server (replies carry the client's pid as their type).
REQUEST_TYPE = 1

#: A request's payload starts with the client's pid: 4 bytes, big-endian.
_PID = struct.Struct(">I")


def _kernel_limit(name: str, default: int) -> int:
    try:
        with open(f"/proc/sys/kernel/{name}", encoding="ascii") as handle:
            return int(handle.read())
    except (OSError, ValueError):
        return default


#: The largest message the kernel accepts (``/proc/sys/kernel/msgmax``, 8192 by default).
MSGMAX = _kernel_limit("msgmax", 8192)


# --- the C library ----------------------------------------------------------------------------


class _IpcPerm(ctypes.Structure):
    _fields_ = [("key", ctypes.c_int), ("uid", ctypes.c_uint), ("gid", ctypes.c_uint),
                ("cuid", ctypes.c_uint), ("cgid", ctypes.c_uint), ("mode", ctypes.c_uint),
                ("seq", ctypes.c_ushort), ("pad", ctypes.c_ushort),
                ("reserved1", ctypes.c_ulong), ("reserved2", ctypes.c_ulong)]


class _MsqidDs(ctypes.Structure):
    _fields_ = [("perm", _IpcPerm), ("stime", ctypes.c_long), ("rtime", ctypes.c_long),
                ("ctime", ctypes.c_long), ("cbytes", ctypes.c_ulong), ("qnum", ctypes.c_ulong),
                ("qbytes", ctypes.c_ulong), ("lspid", ctypes.c_int), ("lrpid", ctypes.c_int),
                ("reserved4", ctypes.c_ulong), ("reserved5", ctypes.c_ulong)]


_libc = ctypes.CDLL(None, use_errno=True)
_libc.msgget.argtypes = [ctypes.c_int, ctypes.c_int]
_libc.msgget.restype = ctypes.c_int
_libc.msgsnd.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
_libc.msgsnd.restype = ctypes.c_int
_libc.msgrcv.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_long, ctypes.c_int]
_libc.msgrcv.restype = ctypes.c_ssize_t
_libc.msgctl.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.POINTER(_MsqidDs)]
_libc.msgctl.restype = ctypes.c_int

#: ``long mtype`` in front of the text, as msgsnd(2)/msgrcv(2) lay a message out.
_MTYPE = ctypes.sizeof(ctypes.c_long)


def _check(result: int, what: str) -> int:
    """Turn a C ``-1`` into the :class:`OSError` for errno (ENOENT → FileNotFoundError, ...)."""
    if result == -1:
        code = ctypes.get_errno()
        raise OSError(code, f"{what}: {os.strerror(code)}")
    return result


def _fail(code: int, what: str) -> OSError:
    return OSError(code, f"{what}: {os.strerror(code)}")


# --- the queue --------------------------------------------------------------------------------


class Queue:
    """One System V message queue, known by its kernel id."""

    def __init__(self, key: int, ident: int) -> None:
        self.key = key
        self._id = ident

    def send(self, data: bytes, type: int, block: bool = True) -> None:  # noqa: A002 - the msgsnd name
        """Append one message of ``type`` (>= 1) holding ``data`` (0 to MSGMAX bytes).

        Raises:
            OSError(EINVAL): ``type`` < 1, or ``data`` longer than MSGMAX.
            OSError(EAGAIN): the queue is full and ``block`` is false.
            OSError(EIDRM): the queue was removed while this call waited for room.
        """
        data = bytes(data)
        if type < 1:
            raise _fail(errno.EINVAL, f"message type {type} (types start at 1)")
        buffer = ctypes.create_string_buffer(struct.pack("l", type) + data, _MTYPE + len(data))
        flags = 0 if block else IPC_NOWAIT
        _check(_libc.msgsnd(self._id, buffer, len(data), flags), "msgsnd")

    def receive(self, type: int = 0, block: bool = True, max_size: int | None = None,  # noqa: A002
                truncate: bool = False, except_type: bool = False) -> tuple[int, bytes]:
        """Take one message off the queue and return ``(type, data)``.

        ``type`` 0 takes the oldest message; ``type > 0`` the oldest of exactly that type
        (with ``except_type``, the oldest of any *other* type); ``type < 0`` the oldest of
        the lowest type that is at most ``-type``.

        Raises:
            OSError(ENOMSG): no matching message and ``block`` is false.
            OSError(E2BIG): the message is longer than ``max_size`` and ``truncate`` is
                false; the message stays in the queue.
            OSError(EIDRM): the queue was removed while this call waited.
        """
        size = MSGMAX if max_size is None else max_size
        if size < 0:
            raise _fail(errno.EINVAL, f"max_size {size}")
        buffer = ctypes.create_string_buffer(_MTYPE + size)
        flags = (0 if block else IPC_NOWAIT) | (MSG_NOERROR if truncate else 0)
        flags |= MSG_EXCEPT if except_type and type > 0 else 0
        length = _check(_libc.msgrcv(self._id, buffer, size, type, flags), "msgrcv")
        (mtype,) = struct.unpack_from("l", buffer.raw)
        return mtype, buffer.raw[_MTYPE:_MTYPE + length]

    def stats(self) -> dict[str, int]:
        """``{"messages": qnum, "bytes": cbytes, "max_bytes": qbytes}`` from ``IPC_STAT``."""
        ds = self._stat()
        return {"messages": int(ds.qnum), "bytes": int(ds.cbytes), "max_bytes": int(ds.qbytes)}

    def set_max_bytes(self, n: int) -> None:
        """Set the queue's byte limit (``msg_qbytes``) with ``IPC_SET``; applies at once.

        Raises:
            OSError(EPERM): raising it above MSGMNB without CAP_SYS_RESOURCE.
        """
        if n < 0:
            raise _fail(errno.EINVAL, f"max_bytes {n}")
        ds = self._stat()
        ds.qbytes = n
        _check(_libc.msgctl(self._id, IPC_SET, ctypes.byref(ds)), "msgctl(IPC_SET)")

    def remove(self) -> None:
        """Remove the queue now (``IPC_RMID``), messages and all; waiters fail with EIDRM."""
        _check(_libc.msgctl(self._id, IPC_RMID, None), "msgctl(IPC_RMID)")

    def _stat(self) -> _MsqidDs:
        ds = _MsqidDs()
        _check(_libc.msgctl(self._id, IPC_STAT, ctypes.byref(ds)), "msgctl(IPC_STAT)")
        return ds

    def __repr__(self) -> str:
        return f"Queue(key={self.key:#x}, id={self._id})"


def open_queue(key: int, create: bool = False, exclusive: bool = False) -> Queue:
    """Open the queue at ``key``; with ``create`` make it (mode 0600) if it does not exist.

    Raises:
        OSError(ENOENT): no queue has this key and ``create`` is false.
        OSError(EEXIST): ``create`` and ``exclusive`` are true and the queue exists.
    """
    flags = IPC_CREAT | MODE if create else 0
    ident = _check(_libc.msgget(key, flags), f"msgget(key={key:#x})")
    return Queue(key, ident)


# --- request and response ---------------------------------------------------------------------


class _Stop(Exception):
    """Raised by the SIGTERM handler inside :func:`serve`."""


def _on_sigterm(signum: int, frame: Any) -> None:
    raise _Stop


def serve(key: int, n_requests: int | None = None) -> int:
    """Answer requests on the queue at ``key`` (created if needed); return how many.

    A request is a message of type :data:`REQUEST_TYPE` (1) whose data is the client's pid
    (4 bytes, big-endian) followed by the request bytes. The reply is a message whose type is
    that pid and whose data is the request bytes upper-cased.

    With ``n_requests``, stop after that many answers and leave the queue in place (the last
    replies may still be waiting for their clients). Without it, serve until SIGTERM: then
    remove the queue and return. A blocked ``msgrcv`` is never restarted after a signal.
    """
    queue = open_queue(key, create=True)
    answered = 0
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        try:
            while n_requests is None or answered < n_requests:
                try:
                    _, payload = queue.receive(type=REQUEST_TYPE)
                except InterruptedError:
                    continue  # another signal; SIGTERM raises _Stop instead
                if len(payload) < _PID.size:
                    continue  # not a request: nobody to answer
                (pid,) = _PID.unpack_from(payload)
                queue.send(payload[_PID.size:].upper(), type=pid)
                answered += 1
        except _Stop:
            queue.remove()
    finally:
        signal.signal(signal.SIGTERM, previous)
    return answered


class Client:
    """A client of :func:`serve`: sends requests on the server's queue, reads its replies."""

    def __init__(self, key: int) -> None:
        """Open the server's queue at ``key``; OSError(ENOENT) if there is none."""
        self._queue = open_queue(key)

    def request(self, data: bytes) -> bytes:
        """Send one request and wait for the reply addressed to this process (its pid)."""
        pid = os.getpid()
        self._queue.send(_PID.pack(pid) + bytes(data), type=REQUEST_TYPE)
        _, reply = self._queue.receive(type=pid)
        return reply
