"""File-based IPC: your implementation of the ``ipc_file`` interface.

Replace every ``raise NotImplementedError`` with working code. Use only the standard
library (``os``, ``fcntl``, ``struct``, ``tempfile``). The grader's own processes share the
files with yours: they hold locks to make you wait, try locks to see whether you hold one,
and read your files back with their own code.

Four facts about sharing files that every part below depends on:

* ``fcntl.flock`` locks are *advisory*: they stop only processes that also call ``flock``.
  Every reader and writer of shared data must ask (shared lock to read, exclusive lock to
  write). Use ``flock``, not ``lockf``/``fcntl(F_SETLK)``: on Linux the two kinds ignore
  each other.
* An ``flock`` lock belongs to an *open file description*: each ``os.open`` makes a new
  one, even in the same process. The lock goes away when the last descriptor of that
  description is closed, and the kernel closes everything when a process dies.
* ``os.replace`` (rename) swaps a name atomically, but only within one filesystem.
* ``os.open(path, O_CREAT | O_EXCL)`` creates a file only if it does not exist yet, as one
  atomic step.
"""

from __future__ import annotations


def path_in(directory: str, name: str) -> str:
    """Return the path of the file ``name`` in ``directory`` (``os.path.join``).

    Raises:
        ValueError: ``name`` is not a plain file name: empty, ``"."``, ``".."`` or
            containing ``"/"``.
    """
    raise NotImplementedError("path_in")


# --- locks ----------------------------------------------------------------------------------------


class FileLock:
    """A lock held through one open file description (returned by :func:`acquire`)."""

    def fileno(self) -> int:
        """Return the descriptor that holds the lock."""
        raise NotImplementedError("FileLock.fileno")

    def release(self) -> None:
        """Unlock (``LOCK_UN``) and close the descriptor."""
        raise NotImplementedError("FileLock.release")


def acquire(path: str, shared: bool = False, wait: bool = True) -> FileLock:
    """Open ``path`` and lock it with ``fcntl.flock``; return a :class:`FileLock`.

    Open with ``os.open(path, os.O_RDWR | os.O_CREAT, 0o644)`` every time (a fresh open
    file description). Lock with ``LOCK_EX``, or ``LOCK_SH`` when ``shared``; add
    ``LOCK_NB`` when ``wait`` is false.

    Raises:
        BlockingIOError: ``wait`` is false and a conflicting lock is held (EWOULDBLOCK).
            Close the descriptor you opened before letting the error out.
    """
    raise NotImplementedError("acquire")


# --- a counter ----------------------------------------------------------------------------------------


def add_to_counter(path: str, amount: int = 1) -> int:
    """Add ``amount`` to the counter in ``path`` and return the new value.

    The file holds a decimal number and a newline (``b"42\\n"``); a missing or empty file
    counts as 0. Open it (creating it), take the exclusive lock, and only then read the
    value, add, write the new value from offset 0 (``os.lseek``) and truncate
    (``os.ftruncate``). Close at the end (that releases the lock).
    """
    raise NotImplementedError("add_to_counter")


def count_up(path: str, times: int) -> int:
    """Call ``add_to_counter(path, 1)`` ``times`` times; return the last value written."""
    raise NotImplementedError("count_up")


def read_counter(path: str) -> int:
    """Return the counter's value, read under the shared lock (0 if there is no file)."""
    raise NotImplementedError("read_counter")


# --- a log of records ------------------------------------------------------------------------------


def append_record(path: str, data: bytes) -> None:
    """Append one record to the file: ``struct.pack(">I", len(data))`` then ``data``.

    Open with ``os.O_WRONLY | os.O_CREAT | os.O_APPEND``, take the exclusive lock, write
    the whole record, close.
    """
    raise NotImplementedError("append_record")


def append_records(path: str, records: list[bytes]) -> int:
    """Append each record with :func:`append_record` (one lock per record); return the count."""
    raise NotImplementedError("append_records")


def read_records(path: str) -> list[bytes]:
    """Return the payloads of every record in the file (``[]`` if it does not exist).

    Read under the shared lock: a writer holding the exclusive lock may be in the middle
    of a record.

    Raises:
        EOFError: the file ends in the middle of a record (header or payload).
    """
    raise NotImplementedError("read_records")


# --- publishing by rename -----------------------------------------------------------------------------


class Publisher:
    """A new version of a file, written to a temporary file in the same directory."""

    def write(self, data: bytes) -> None:
        """Add ``data`` to the new version. Readers of the target must not see it yet."""
        raise NotImplementedError("Publisher.write")

    def commit(self) -> None:
        """Publish: ``os.fsync`` and close the temporary file, then ``os.replace`` it over
        the target path."""
        raise NotImplementedError("Publisher.commit")

    def abort(self) -> None:
        """Close and remove the temporary file; the target stays as it was."""
        raise NotImplementedError("Publisher.abort")


def begin_publish(path: str) -> Publisher:
    """Start a new version of ``path`` and return its :class:`Publisher`.

    Create the temporary file with ``tempfile.mkstemp(dir=<the directory of path>)``:
    the same directory means the same filesystem, where a rename is atomic. Do not touch
    ``path`` itself before :meth:`Publisher.commit`.
    """
    raise NotImplementedError("begin_publish")


def read_published(path: str) -> bytes | None:
    """Return the content of ``path``, or ``None`` if it does not exist. Take no lock."""
    raise NotImplementedError("read_published")


def open_snapshot(path: str) -> int:
    """Open the current version of ``path`` read-only and return the descriptor."""
    raise NotImplementedError("open_snapshot")


# --- create if absent ---------------------------------------------------------------------------------


def create_exclusive(path: str, data: bytes) -> bool:
    """Create ``path`` holding ``data`` and return ``True``; ``False`` if it already exists.

    Use ``os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)``: it raises
    ``FileExistsError`` when the path exists, and then the file must be left as it was.
    """
    raise NotImplementedError("create_exclusive")
