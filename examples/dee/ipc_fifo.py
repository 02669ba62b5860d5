"""Seeded bug: write_record accepts records longer than PIPE_BUF, which are not atomic."""

from __future__ import annotations

import contextlib
import fcntl
import os
import select
import struct

#: Writes of at most this many bytes to a pipe or FIFO are atomic (4096 on Linux).
PIPE_BUF = select.PIPE_BUF

#: The record header: the payload length, 4 bytes, big-endian.
_HEADER = struct.Struct(">I")

#: The largest payload of one record: the header and the payload fit in PIPE_BUF.
MAX_RECORD = PIPE_BUF - _HEADER.size

#: How much to ask for per ``os.read``.
_CHUNK = 65536


def make_fifo(directory: str, name: str) -> str:
    """Create the FIFO ``<directory>/<name>`` (mode 0o600) and return its path.

    Raises:
        FileExistsError: something already exists at that path (EEXIST). It is left alone.
        ValueError: ``name`` is not a plain file name.
    """
    if not name or "/" in name or name in (".", ".."):
        raise ValueError(f"{name!r} is not a plain file name")
    path = os.path.join(directory, name)
    os.mkfifo(path, 0o600)
    return path


# --- opening: the rendezvous ---------------------------------------------------------------------


def open_reader(path: str) -> int:
    """Open the FIFO for reading; blocks until some process opens it for writing."""
    return os.open(path, os.O_RDONLY)


def open_writer(path: str) -> int:
    """Open the FIFO for writing; blocks until some process opens it for reading."""
    return os.open(path, os.O_WRONLY)


def open_reader_nowait(path: str) -> int:
    """Open the FIFO for reading without waiting for a writer (``O_NONBLOCK``).

    The descriptor stays non-blocking: reading it returns ``b""`` while no writer has the
    FIFO open, and fails with EAGAIN when a writer is there but nothing has been written.
    """
    return os.open(path, os.O_RDONLY | os.O_NONBLOCK)


def open_writer_nowait(path: str) -> int:
    """Open the FIFO for writing without waiting: ``ENXIO`` if no process is reading.

    On success the descriptor is switched back to blocking mode, so that later writes wait
    for room as usual.

    Raises:
        OSError: ENXIO when no reader has the FIFO open; ENOENT when it does not exist.
    """
    fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
    flags = fcntl.fcntl(fd, fcntl.F_GETFL)
    fcntl.fcntl(fd, fcntl.F_SETFL, flags & ~os.O_NONBLOCK)
    return fd


# --- records ---------------------------------------------------------------------------------------


def write_record(fd: int, data: bytes) -> int:
    """Write one record (4-byte big-endian length, then ``data``) in ONE ``os.write``.

    A write of at most ``PIPE_BUF`` bytes to a FIFO is atomic: it is never interleaved with
    other writers' records and never written in part. Returns the bytes written.

    Raises:
        ValueError: the record would be longer than ``PIPE_BUF`` (so it would not be atomic).
        BrokenPipeError: no reader has the FIFO open (EPIPE).
    """
    record = _HEADER.pack(len(data)) + bytes(data)
    written = os.write(fd, record)
    if written != len(record):  # cannot happen for a blocking atomic write; never hide it
        raise OSError(f"short write of a record: {written} of {len(record)} bytes")
    return written


def read_records(fd: int) -> list[bytes]:
    """Read records until end-of-file (the last writer closed) and return their payloads.

    Raises:
        EOFError: end-of-file in the middle of a record (a writer died mid-write).
    """
    data = bytearray()
    while chunk := os.read(fd, _CHUNK):
        data += chunk
    records = []
    view = memoryview(data)
    while view:
        if len(view) < _HEADER.size:
            raise EOFError(f"end-of-file after {len(view)} bytes of a record header")
        (length,) = _HEADER.unpack(view[:_HEADER.size])
        if len(view) < _HEADER.size + length:
            raise EOFError(f"end-of-file after {len(view) - _HEADER.size} of {length} bytes of a record")
        records.append(bytes(view[_HEADER.size:_HEADER.size + length]))
        view = view[_HEADER.size + length:]
    return records


# --- a client and a server ------------------------------------------------------------------------


def send_records(path: str, records: list[bytes]) -> int:
    """Open the FIFO for writing (waiting for a reader), write every record, close it.

    Closing is what lets the reader see end-of-file once every writer has done the same.
    Returns the number of records written.
    """
    fd = open_writer(path)
    try:
        for record in records:
            write_record(fd, record)
    finally:
        os.close(fd)
    return len(records)


def collect(path: str) -> list[bytes]:
    """Serve the FIFO at ``path``: wait for writers, read every record until the last
    writer closes, then remove the FIFO and return the records.

    The FIFO is removed however this ends (a cut record raises EOFError after the removal).
    """
    try:
        fd = open_reader(path)
        try:
            return read_records(fd)
        finally:
            os.close(fd)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
