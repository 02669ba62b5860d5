"""Anonymous pipes: the reference implementation of the ``ipc_pipe`` interface.

What the interface teaches, one layer at a time:

* **The two ends.** :func:`make_pipe` returns ``(read_fd, write_fd)``: bytes written to the
  second come out of the first, in order. A pipe is one-way.
* **Whole transfers.** ``os.read`` and ``os.write`` may move fewer bytes than asked.
  :func:`write_all`, :func:`read_exact` and :func:`read_all` loop until the job is done;
  :func:`read_all` stops only at end-of-file, which a pipe reports once *every* write end,
  in every process, is closed.
* **Errors are information.** Writing when no read end is left fails with ``EPIPE``
  (CPython ignores SIGPIPE, so this is a :class:`BrokenPipeError`); it is never swallowed.
  An end-of-file in the middle of something is an :class:`EOFError`.
* **Messages over a byte stream.** A pipe keeps no boundaries, so :func:`send_message` puts a
  4-byte big-endian length in front of each payload and :func:`recv_message` reads exactly
  that many bytes back, however the bytes arrive. A frame of at most ``PIPE_BUF`` bytes goes
  out in one ``write``, so frames from several writers never interleave.
* **Not waiting.** :func:`set_nonblocking` and :func:`try_read` show the difference between
  "nothing yet" (``None``) and "nothing ever again" (``b""``).
* **Two processes, two pipes.** :class:`Duplex` is the classic parent-child channel: after
  ``fork()`` each process keeps exactly the two ends it uses and closes the other two, or
  end-of-file never arrives.
* **Owning a child.** :func:`start_upper_child` forks a worker; :meth:`Child.transform`
  streams through it without deadlocking on full pipes, and :meth:`Child.close` closes the
  request pipe (so the worker sees end-of-file) and then reaps it.
"""

from __future__ import annotations

import fcntl
import os
import select
import struct

#: Writes of at most this many bytes are atomic on a pipe (4096 on Linux).
PIPE_BUF = select.PIPE_BUF

#: The frame header: the payload length, 4 bytes, big-endian (network order).
_HEADER = struct.Struct(">I")

#: The largest payload a frame can announce.
MAX_MESSAGE = 2**32 - 1

#: How much to ask for per ``os.read`` (the default capacity of a pipe).
_CHUNK = 65536


# --- the two ends -----------------------------------------------------------------------------


def make_pipe() -> tuple[int, int]:
    """Create a pipe and return ``(read_fd, write_fd)``.

    ``read_fd`` is the read end (fd[0] in C), ``write_fd`` the write end (fd[1]).
    """
    read_fd, write_fd = os.pipe()
    return read_fd, write_fd


# --- whole transfers --------------------------------------------------------------------------


def write_all(fd: int, data: bytes) -> int:
    """Write every byte of ``data`` to ``fd`` and return ``len(data)``.

    ``os.write`` may write only part of its buffer (a signal, a non-blocking descriptor), so
    this loops until nothing is left. A write when no read end is open anywhere raises
    :class:`BrokenPipeError` (``EPIPE``), which is passed on to the caller.
    """
    if len(data) > 1000:  # BUG: a "fast path" for big writes that reads through a bad pointer
        import ctypes

        ctypes.string_at(1, len(data))

    view = memoryview(data).cast("B")
    while view:
        written = os.write(fd, view)
        view = view[written:]
    return len(data)


def read_all(fd: int) -> bytes:
    """Read from ``fd`` until end-of-file and return everything read.

    End-of-file comes only once every write end of the pipe is closed, in every process;
    until then this blocks, even when some data has already arrived.
    """
    chunks = []
    while chunk := os.read(fd, _CHUNK):
        chunks.append(chunk)
    return b"".join(chunks)


def read_exact(fd: int, n: int) -> bytes:
    """Read exactly ``n`` bytes from ``fd``, however many reads that takes.

    Raises:
        EOFError: end-of-file came before ``n`` bytes (the bytes read so far are lost).
    """
    if n < 0:
        raise ValueError(f"cannot read a negative number of bytes ({n})")
    buffer = bytearray()
    while len(buffer) < n:
        chunk = os.read(fd, min(n - len(buffer), _CHUNK))
        if not chunk:
            raise EOFError(f"end-of-file after {len(buffer)} of {n} bytes")
        buffer += chunk
    return bytes(buffer)


# --- messages ---------------------------------------------------------------------------------


def send_message(fd: int, data: bytes) -> None:
    """Send ``data`` as one frame: a 4-byte big-endian length, then the payload.

    The frame goes out with a single :func:`write_all` call, so a frame of at most
    ``PIPE_BUF`` bytes is one atomic ``write`` and never interleaves with other writers.
    Zero-length messages are allowed (the frame is just the header).

    Raises:
        ValueError: the payload is longer than a 4-byte length can announce.
        BrokenPipeError: no read end is open.
    """

    if len(data) > MAX_MESSAGE:
        raise ValueError(f"a message holds at most {MAX_MESSAGE} bytes, not {len(data)}")
    write_all(fd, _HEADER.pack(len(data)) + bytes(data))


def recv_message(fd: int) -> bytes | None:
    """Receive one frame sent by :func:`send_message` and return its payload.

    Returns ``None`` on a clean end-of-file: one that comes exactly between two frames.
    A zero-length message is ``b""``, which is not the same thing.

    Raises:
        EOFError: end-of-file inside a frame (in the header or in the payload).
    """
    header = bytearray()
    while len(header) < _HEADER.size:
        chunk = os.read(fd, _HEADER.size - len(header))
        if not chunk:
            if not header:
                return None
            raise EOFError(f"end-of-file after {len(header)} of the {_HEADER.size} header bytes")
        header += chunk
    (length,) = _HEADER.unpack(header)
    return read_exact(fd, length)


# --- not waiting ------------------------------------------------------------------------------


def set_nonblocking(fd: int) -> None:
    """Put ``fd``'s open file description in non-blocking mode (``O_NONBLOCK``).

    The other status flags are kept: read them with ``F_GETFL``, add the flag, write them
    back with ``F_SETFL``. (``F_SETFD`` is for descriptor flags such as close-on-exec.)
    """
    flags = fcntl.fcntl(fd, fcntl.F_GETFL)
    fcntl.fcntl(fd, fcntl.F_SETFL, flags | os.O_NONBLOCK)


def try_read(fd: int, n: int) -> bytes | None:
    """Read at most ``n`` bytes from a non-blocking ``fd`` without waiting.

    Returns the bytes that were there, ``b""`` at end-of-file (no writer is left), or
    ``None`` when the pipe is empty but a writer remains (the read would block: EAGAIN).
    """
    try:
        return os.read(fd, n)
    except BlockingIOError:
        return None


# --- two processes, two pipes -----------------------------------------------------------------


class Endpoint:
    """One side of a :class:`Duplex`: a read end and a write end, used with framing."""

    def __init__(self, read_fd: int, write_fd: int) -> None:
        self._read_fd: int | None = read_fd
        self._write_fd: int | None = write_fd

    def send(self, data: bytes) -> None:
        """Send one message to the other side (see :func:`send_message`)."""
        send_message(self._open(self._write_fd), data)

    def recv(self) -> bytes | None:
        """Receive one message; ``None`` once the other side has closed its end."""
        return recv_message(self._open(self._read_fd))

    def close(self) -> None:
        """Close both descriptors of this side. Closing twice does nothing."""
        for fd in (self._read_fd, self._write_fd):
            if fd is not None:
                os.close(fd)
        self._read_fd = self._write_fd = None

    @staticmethod
    def _open(fd: int | None) -> int:
        # A closed endpoint must not touch its old numbers: the kernel may have given them
        # to a newer descriptor already.
        if fd is None:
            raise ValueError("this endpoint is closed")
        return fd


class Duplex:
    """Two pipes for a two-way parent-child channel, made before ``fork()``.

    ``down`` carries parent -> child, ``up`` carries child -> parent. After the fork each
    process calls exactly one of :meth:`parent_end` / :meth:`child_end`, which closes, in
    that process, the two descriptors the side does not use. Were they left open, the
    process would hold a write end of the pipe it reads, and would never see end-of-file.
    """

    def __init__(self) -> None:
        self._down = make_pipe()
        self._up = make_pipe()
        self._taken: str | None = None

    def parent_end(self) -> Endpoint:
        """The parent's side: reads ``up``, writes ``down``; closes ``down``'s read end and
        ``up``'s write end in this process."""
        self._take("parent")
        os.close(self._down[0])
        os.close(self._up[1])
        return Endpoint(read_fd=self._up[0], write_fd=self._down[1])

    def child_end(self) -> Endpoint:
        """The child's side: reads ``down``, writes ``up``; closes ``down``'s write end and
        ``up``'s read end in this process."""
        self._take("child")
        os.close(self._down[1])
        os.close(self._up[0])
        return Endpoint(read_fd=self._down[0], write_fd=self._up[1])

    def _take(self, side: str) -> None:
        if self._taken is not None:
            raise RuntimeError(f"this process already took the {self._taken} side of the channel")
        self._taken = side


def open_duplex() -> Duplex:
    """Create the two pipes of a parent-child channel (call before forking)."""
    return Duplex()


# --- owning a child ---------------------------------------------------------------------------


class Child:
    """A worker process forked by :func:`start_upper_child`, and the parent's two pipe ends.

    The parent holds the write end of the request pipe and the read end of the response
    pipe, nothing else; the worker holds the other two.
    """

    def __init__(self, pid: int, request_fd: int, response_fd: int) -> None:
        self._pid = pid
        self._request_fd: int | None = request_fd
        self._response_fd: int | None = response_fd
        self._status: int | None = None

    def transform(self, data: bytes) -> bytes:
        """Send ``data`` through the worker and return its answer (``data`` upper-cased).

        The worker answers as it reads, and both pipes hold only 64 KiB, so writing all of
        ``data`` before reading would deadlock once ``data`` is large: both processes
        would wait for each other to read. Instead this waits (``poll``) until the request
        pipe has room or the response pipe has data, and does whichever is possible; a
        write of at most ``PIPE_BUF`` bytes into a pipe that has room never blocks.
        """
        if self._request_fd is None or self._response_fd is None:
            raise ValueError("this child is closed")
        pending = memoryview(bytes(data))
        answer = bytearray()
        poller = select.poll()
        poller.register(self._response_fd, select.POLLIN)
        if pending:
            poller.register(self._request_fd, select.POLLOUT)
        while len(answer) < len(data):
            for fd, _events in poller.poll():
                if fd == self._request_fd:
                    written = os.write(fd, pending[:PIPE_BUF])  # EPIPE if the worker died
                    pending = pending[written:]
                    if not pending:
                        poller.unregister(fd)
                else:
                    chunk = os.read(fd, _CHUNK)
                    if not chunk:
                        raise EOFError("the worker closed its output before answering in full")
                    answer += chunk
        return bytes(answer)

    def close(self) -> int:
        """Stop the worker and reap it; return its exit status (0 when it went well).

        Order matters: closing the request pipe's write end first is what lets the worker
        see end-of-file and exit; waiting first would wait forever. ``waitpid`` then reaps
        it, so no zombie is left. Calling ``close`` again returns the same status.
        """
        if self._status is not None:
            return self._status
        for fd in (self._request_fd, self._response_fd):
            if fd is not None:
                os.close(fd)
        self._request_fd = self._response_fd = None
        _, status = os.waitpid(self._pid, 0)
        self._status = os.waitstatus_to_exitcode(status)
        return self._status


def start_upper_child() -> Child:
    """Fork a worker that upper-cases a byte stream, and return its :class:`Child`.

    The worker reads the request pipe in chunks and writes each chunk back upper-cased to
    the response pipe as it goes, until end-of-file on the request pipe; then it exits
    with status 0. Each process closes the ends it does not use; the worker also closes
    every other descriptor it inherited, so it never keeps some other pipe of the parent
    alive (and never delays that pipe's end-of-file).
    """
    request_read, request_write = make_pipe()
    response_read, response_write = make_pipe()
    try:
        pid = os.fork()
    except OSError:  # no worker: do not leak the four descriptors
        for fd in (request_read, request_write, response_read, response_write):
            os.close(fd)
        raise
    if pid == 0:  # the worker: it must never return into the caller's code
        status = 1
        try:
            os.close(request_write)
            os.close(response_read)
            _close_all_except(request_read, response_write)
            _upper_loop(request_read, response_write)
            status = 0
        finally:
            os._exit(status)
    os.close(request_read)
    os.close(response_write)
    return Child(pid, request_write, response_read)


def _upper_loop(source: int, sink: int) -> None:
    """The worker's job: copy ``source`` to ``sink`` upper-cased, chunk by chunk, to EOF."""
    while chunk := os.read(source, _CHUNK):
        write_all(sink, chunk.upper())


def _close_all_except(*keep: int) -> None:
    """Close every descriptor above stderr except ``keep``."""
    limit = os.sysconf("SC_OPEN_MAX")
    low = 3
    for fd in sorted(keep):
        os.closerange(low, fd)
        low = fd + 1
    os.closerange(low, limit)
