"""Seeded bug: the temporary file is made in /dev/shm, another filesystem: os.replace fails with EXDEV."""

from __future__ import annotations

import contextlib
import fcntl
import os
import struct
import tempfile

#: The record header: the payload length, 4 bytes, big-endian.
_HEADER = struct.Struct(">I")

#: How much to ask for per ``os.read``.
_CHUNK = 65536


def path_in(directory: str, name: str) -> str:
    """The path of the file ``name`` in ``directory``.

    Raises:
        ValueError: ``name`` is not a plain file name (empty, ``.``/``..``, or has a ``/``).
    """
    if not name or "/" in name or name in (".", ".."):
        raise ValueError(f"{name!r} is not a plain file name")
    return os.path.join(directory, name)


# --- locks ----------------------------------------------------------------------------------------


class FileLock:
    """A ``flock`` lock held through one open file description of ``path``."""

    def __init__(self, fd: int) -> None:
        self._fd: int | None = fd

    def fileno(self) -> int:
        """The descriptor that holds the lock (opened read-write on the file)."""
        if self._fd is None:
            raise ValueError("this lock has been released")
        return self._fd

    def release(self) -> None:
        """Unlock and close the descriptor. Releasing twice does nothing."""
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def acquire(path: str, shared: bool = False, wait: bool = True) -> FileLock:
    """Open ``path`` (creating it if needed) and lock it with ``flock``.

    Exclusive by default (one holder); ``shared=True`` takes a shared lock (many holders,
    no exclusive one). ``wait=False`` adds ``LOCK_NB``: when another open file description
    holds a conflicting lock, raise instead of waiting.

    Raises:
        BlockingIOError: ``wait=False`` and the lock is taken (EWOULDBLOCK). The descriptor
            opened for the attempt is closed first.
    """
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    operation = (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | (0 if wait else fcntl.LOCK_NB)
    try:
        fcntl.flock(fd, operation)
    except BaseException:
        os.close(fd)
        raise
    return FileLock(fd)


# --- a counter ----------------------------------------------------------------------------------------


def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, _CHUNK):
        chunks.append(chunk)
    return b"".join(chunks)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _parse_counter(text: bytes) -> int:
    return int(text.decode("ascii").strip() or "0")


def add_to_counter(path: str, amount: int = 1) -> int:
    """Add ``amount`` to the counter in ``path`` and return the new value.

    The counter is a decimal number and a newline (``b"42\\n"``); a missing or empty file
    counts as 0. Reading, adding and writing back all happen while holding the exclusive
    lock on the file itself, so that no other process's update falls in between.
    """
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        value = _parse_counter(_read_all(fd)) + amount
        text = f"{value}\n".encode("ascii")
        os.lseek(fd, 0, os.SEEK_SET)
        _write_all(fd, text)
        os.ftruncate(fd, len(text))
        return value
    finally:
        os.close(fd)  # closing the last descriptor releases the lock


def count_up(path: str, times: int) -> int:
    """Add 1 to the counter ``times`` times, taking and releasing the lock each time, and
    return the last value written."""
    value = read_counter(path)
    for _ in range(times):
        value = add_to_counter(path, 1)
    return value


def read_counter(path: str) -> int:
    """The counter's value, read under the shared lock (0 if the file does not exist)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return 0
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)
        return _parse_counter(_read_all(fd))
    finally:
        os.close(fd)


# --- records ------------------------------------------------------------------------------------------


def append_record(path: str, data: bytes) -> None:
    """Append one record (4-byte big-endian length, then ``data``) to the file ``path``.

    The file is opened with ``O_APPEND`` (every write goes to the end, even if another
    process has grown the file since) and the record is written while holding the
    exclusive lock, so no reader or writer ever sees it half-written.
    """
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        _write_all(fd, _HEADER.pack(len(data)) + bytes(data))
    finally:
        os.close(fd)


def append_records(path: str, records: list[bytes]) -> int:
    """Append each record with :func:`append_record` (one lock per record); return the count."""
    for record in records:
        append_record(path, record)
    return len(records)


def read_records(path: str) -> list[bytes]:
    """Every record of the file, read under the shared lock ([] if the file does not exist).

    Raises:
        EOFError: the file ends in the middle of a record (a writer broke the protocol).
    """
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return []
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)
        data = _read_all(fd)
    finally:
        os.close(fd)
    records = []
    offset = 0
    while offset < len(data):
        if len(data) - offset < _HEADER.size:
            raise EOFError(f"the file ends after {len(data) - offset} bytes of a record header")
        (length,) = _HEADER.unpack_from(data, offset)
        start = offset + _HEADER.size
        if len(data) - start < length:
            raise EOFError(f"the file ends after {len(data) - start} of {length} bytes of a record")
        records.append(data[start:start + length])
        offset = start + length
    return records


# --- publishing by rename -----------------------------------------------------------------------------


class Publisher:
    """A new version of a file, being written to a temporary file next to it."""

    def __init__(self, path: str) -> None:
        self._path = path
        directory, name = os.path.split(os.path.abspath(path))
        # Same directory, so the same filesystem: rename() can be atomic there.
        self._fd, self._temp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir="/dev/shm")
        del directory
        self._done = False

    def write(self, data: bytes) -> None:
        """Add ``data`` to the new version (readers do not see it yet)."""
        self._check()
        _write_all(self._fd, data)

    def commit(self) -> None:
        """Publish: flush the new version to disk, then rename it over the target.

        Readers see the old version or the new one, never a mix; one that opened the old
        version keeps reading it.
        """
        self._check()
        self._done = True
        try:
            os.fsync(self._fd)
        finally:
            os.close(self._fd)
        try:
            os.replace(self._temp, self._path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(self._temp)
            raise

    def abort(self) -> None:
        """Drop the new version: remove the temporary file; the target is untouched."""
        if self._done:
            return
        self._done = True
        os.close(self._fd)
        os.unlink(self._temp)

    def _check(self) -> None:
        if self._done:
            raise ValueError("this version has already been committed or aborted")


def begin_publish(path: str) -> Publisher:
    """Start writing a new version of ``path``; :meth:`Publisher.commit` publishes it."""
    return Publisher(path)


def read_published(path: str) -> bytes | None:
    """The published content of ``path`` (``None`` if nothing is published yet).

    It takes no lock: a rename is atomic, so there is never anything half-written to wait
    for.
    """
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        return _read_all(fd)
    finally:
        os.close(fd)


def open_snapshot(path: str) -> int:
    """Open the version published now, read-only; the descriptor keeps reading that version
    even after a newer one is published."""
    return os.open(path, os.O_RDONLY)


# --- create if absent ---------------------------------------------------------------------------------


def create_exclusive(path: str, data: bytes) -> bool:
    """Create ``path`` holding ``data`` if nothing exists there: True if this call created
    it, False if it existed (the file is then left as it was).

    ``O_CREAT | O_EXCL`` makes "check and create" one atomic step: of several processes
    trying at once, exactly one wins.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return False
    try:
        _write_all(fd, data)
    finally:
        os.close(fd)
    return True
