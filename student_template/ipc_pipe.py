"""Anonymous pipes: your implementation of the ``ipc_pipe`` interface.

Replace every ``raise NotImplementedError`` with working code. Use only the standard
library (``os``, ``fcntl``, ``select``, ``struct``, ``threading``). The grader runs each
function in real processes and looks at the kernel itself: which descriptors each process
holds, which processes exist, whether a call is blocked. Read each docstring carefully:
it says what to do, which ends to close, and which errors to raise.

Three facts about pipes that every part below depends on:

* ``os.pipe()`` returns ``(read_fd, write_fd)``. A pipe is one-way and holds 64 KiB.
* ``os.read`` returns ``b""`` (end-of-file) only once *every* write end of the pipe is
  closed, in *every* process. After ``fork()`` the child has a copy of every descriptor,
  so each process must close the ends it does not use.
* ``os.read`` and ``os.write`` may transfer fewer bytes than asked for. Loop.
"""

from __future__ import annotations

import select

#: Writes of at most this many bytes to a pipe are atomic (4096 on Linux).
PIPE_BUF = select.PIPE_BUF


# --- the two ends -----------------------------------------------------------------------------


def make_pipe() -> tuple[int, int]:
    """Create a pipe and return ``(read_fd, write_fd)``.

    Index 0 is the read end, index 1 the write end, in that order.
    """
    raise NotImplementedError("make_pipe")


# --- whole transfers --------------------------------------------------------------------------


def write_all(fd: int, data: bytes) -> int:
    """Write every byte of ``data`` to ``fd`` and return ``len(data)``.

    ``os.write`` returns how many bytes it wrote, which may be fewer than you gave it:
    loop over what is left. Give ``os.write`` the whole remainder each time; do not cut
    the data into small pieces yourself (a write of at most ``PIPE_BUF`` bytes is atomic
    only if it is one write).

    Raises:
        BrokenPipeError: no read end of the pipe is open anywhere (EPIPE). Let it
            propagate: never catch it, and do not close ``fd`` for the caller.
    """
    raise NotImplementedError("write_all")


def read_all(fd: int) -> bytes:
    """Read from ``fd`` until end-of-file and return all the bytes read.

    Keep calling ``os.read`` until it returns ``b""``. Data arriving is not the end:
    end-of-file comes only when every write end is closed, so this blocks until then.
    """
    raise NotImplementedError("read_all")


def read_exact(fd: int, n: int) -> bytes:
    """Read exactly ``n`` bytes from ``fd`` and return them.

    One ``os.read`` returns what is in the pipe now, possibly fewer than ``n`` bytes: loop,
    asking for the bytes still missing.

    Raises:
        EOFError: end-of-file (``os.read`` returned ``b""``) before ``n`` bytes arrived.
    """
    raise NotImplementedError("read_exact")


# --- messages ---------------------------------------------------------------------------------


def send_message(fd: int, data: bytes) -> None:
    """Send ``data`` as one frame: its length as 4 bytes big-endian, then the bytes.

    The header is ``struct.pack(">I", len(data))`` (``"I"`` alone is little-endian here).
    Build the whole frame (header + payload) and write it with ONE ``write_all`` call, so
    that a frame of at most ``PIPE_BUF`` bytes is one atomic write and never interleaves
    with frames of other writers. Zero-length messages are allowed: the frame is just the
    header.

    Raises:
        BrokenPipeError: no read end is open (let it propagate).
    """
    raise NotImplementedError("send_message")


def recv_message(fd: int) -> bytes | None:
    """Receive one frame written by :func:`send_message` and return its payload.

    Read the 4 header bytes in a loop (they may arrive one at a time), then read exactly
    the announced number of payload bytes (see :func:`read_exact`).

    Returns:
        The payload; ``b""`` for a zero-length message; ``None`` when end-of-file comes
        before the first header byte (a clean end between frames).

    Raises:
        EOFError: end-of-file after part of a header or part of a payload.
    """
    raise NotImplementedError("recv_message")


# --- not waiting ------------------------------------------------------------------------------


def set_nonblocking(fd: int) -> None:
    """Turn on ``O_NONBLOCK`` for ``fd``, keeping its other status flags.

    ``O_NONBLOCK`` is a file *status* flag: read the flags with ``fcntl(fd, F_GETFL)`` and
    write them back with ``F_SETFL`` and ``os.O_NONBLOCK`` added. (``F_GETFD``/``F_SETFD``
    are for descriptor flags such as close-on-exec: the wrong pair here.)
    """
    raise NotImplementedError("set_nonblocking")


def try_read(fd: int, n: int) -> bytes | None:
    """Read at most ``n`` bytes from a non-blocking ``fd``, without waiting.

    Returns:
        The bytes available; ``b""`` at end-of-file (no writer is left); ``None`` when
        the pipe is empty but a writer is still open (``os.read`` raised
        ``BlockingIOError``, errno EAGAIN). Keep ``None`` and ``b""`` apart.
    """
    raise NotImplementedError("try_read")


# --- parent and child, two pipes --------------------------------------------------------------


class Endpoint:
    """One side of a :class:`Duplex`: exactly one read end and one write end.

    ``send``/``recv`` use the message framing of :func:`send_message`/:func:`recv_message`.
    """

    def send(self, data: bytes) -> None:
        """Send one message to the other side.

        Raises:
            BrokenPipeError: the other side has closed its endpoint (let it propagate).
        """
        raise NotImplementedError("Endpoint.send")

    def recv(self) -> bytes | None:
        """Receive one message; ``None`` once the other side has closed its endpoint."""
        raise NotImplementedError("Endpoint.recv")

    def close(self) -> None:
        """Close BOTH descriptors of this side (the read end and the write end)."""
        raise NotImplementedError("Endpoint.close")


class Duplex:
    """Two pipes for a two-way parent-child channel, created before ``fork()``.

    ``down`` carries parent -> child; ``up`` carries child -> parent. After the fork the
    parent calls :meth:`parent_end` and the child calls :meth:`child_end`. Each must close,
    in its own process, the two descriptors its side does not use: a process that keeps a
    write end of the pipe it reads from never sees end-of-file, and a process that keeps a
    read end of the pipe it writes to never gets BrokenPipeError.
    """

    def parent_end(self) -> Endpoint:
        """In the parent: close ``down``'s read end and ``up``'s write end, and return the
        Endpoint that reads ``up`` and writes ``down``."""
        raise NotImplementedError("Duplex.parent_end")

    def child_end(self) -> Endpoint:
        """In the child: close ``down``'s write end and ``up``'s read end, and return the
        Endpoint that reads ``down`` and writes ``up``."""
        raise NotImplementedError("Duplex.child_end")


def open_duplex() -> Duplex:
    """Create the two pipes of a parent-child channel and return the :class:`Duplex`.

    Call it before ``fork()``, so that both processes inherit all four descriptors.
    """
    raise NotImplementedError("open_duplex")


# --- a worker you own -------------------------------------------------------------------------


class Child:
    """A worker forked by :func:`start_upper_child`, seen from the parent.

    The parent keeps only the write end of the request pipe and the read end of the
    response pipe.
    """

    def transform(self, data: bytes) -> bytes:
        """Send ``data`` through the worker and return its answer (``data.upper()``).

        The answer is exactly ``len(data)`` bytes. Both pipes hold only 64 KiB and the
        worker answers as it reads, so writing all of ``data`` before reading would
        deadlock for large data (each process waits for the other to read). Interleave
        writing and reading: wait with ``select``/``poll`` for room to write or data to
        read (a write of at most ``PIPE_BUF`` bytes into a pipe with room never blocks),
        or write from a thread while this thread reads. Can be called many times.
        """
        raise NotImplementedError("Child.transform")

    def close(self) -> int:
        """Stop the worker, reap it, and return its exit status (0 when all went well).

        First close the request pipe's write end (the worker then sees end-of-file and
        exits) and the response read end; then ``os.waitpid`` the worker, so that no
        zombie is left, and return ``os.waitstatus_to_exitcode(status)``. Waiting before
        closing would wait forever.
        """
        raise NotImplementedError("Child.close")


def start_upper_child() -> Child:
    """Fork a worker process and return the :class:`Child` that talks to it.

    Create two pipes (request, response), then ``os.fork()``.

    In the worker: close the request write end and the response read end, and every other
    descriptor it inherited except the two it uses (e.g. ``os.closerange`` around them), so
    it never keeps some other pipe of the parent open. Then read the request pipe in chunks
    and write each chunk back upper-cased (``chunk.upper()``) to the response pipe, until
    end-of-file; then leave with ``os._exit(0)``. The worker must never return into the
    caller's code: end it with ``os._exit`` even when something fails.

    In the parent: close the request read end and the response write end, and return a
    :class:`Child` holding the other two and the worker's pid.
    """
    raise NotImplementedError("start_upper_child")
