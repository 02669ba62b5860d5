"""Named pipes (FIFOs): your implementation of the ``ipc_fifo`` interface.

Replace every ``raise NotImplementedError`` with working code. Use only the standard
library (``os``, ``fcntl``, ``select``, ``struct``). The grader opens the other end of your
FIFOs from its own processes, reads and writes raw bytes there, and looks at the kernel
itself: which descriptors you hold, in which mode, whether a call is blocked.

Three facts about FIFOs that every part below depends on:

* A FIFO is a pipe with a name in the filesystem (``os.mkfifo``). Unrelated processes
  open it by path; the data itself never touches the disk.
* Opening is a rendezvous: ``os.open(path, os.O_RDONLY)`` waits until a writer opens the
  FIFO, and ``os.open(path, os.O_WRONLY)`` waits for a reader. ``O_NONBLOCK`` changes
  that: a reader gets in at once, a writer gets ENXIO when nobody reads.
* Once open, it is a pipe: 64 KiB of room, writes of at most ``PIPE_BUF`` (4096) bytes are
  atomic, the reader sees end-of-file (``os.read`` returns ``b""``) only when *every*
  writer has closed, and a writer with no reader left gets ``BrokenPipeError``.
"""

from __future__ import annotations

import select

#: Writes of at most this many bytes to a pipe or FIFO are atomic (4096 on Linux).
PIPE_BUF = select.PIPE_BUF

#: The largest payload of one record: a 4-byte header and the payload fit in PIPE_BUF.
MAX_RECORD = PIPE_BUF - 4


def make_fifo(directory: str, name: str) -> str:
    """Create the FIFO ``<directory>/<name>`` with mode 0o600 and return its path.

    Use ``os.mkfifo``; a regular file is not a FIFO.

    Raises:
        FileExistsError: something already exists at that path. Let it propagate and
            leave the path alone: never remove it first (it may be someone's live FIFO).
    """
    raise NotImplementedError("make_fifo")


# --- opening: the rendezvous ---------------------------------------------------------------------


def open_reader(path: str) -> int:
    """Open the FIFO for reading and return the descriptor.

    ``os.open(path, os.O_RDONLY)`` waits until some process opens the FIFO for writing:
    keep that wait. Never use ``O_RDWR`` to skip it: a reader that also holds a write end
    never sees end-of-file.
    """
    raise NotImplementedError("open_reader")


def open_writer(path: str) -> int:
    """Open the FIFO for writing and return the descriptor (``os.O_WRONLY``).

    This waits until some process opens the FIFO for reading.
    """
    raise NotImplementedError("open_writer")


def open_reader_nowait(path: str) -> int:
    """Open the FIFO for reading without waiting (``os.O_RDONLY | os.O_NONBLOCK``).

    Leave the descriptor non-blocking: reading it then returns ``b""`` while no writer has
    the FIFO open, and raises ``BlockingIOError`` (EAGAIN) when a writer is there but has
    written nothing yet.
    """
    raise NotImplementedError("open_reader_nowait")


def open_writer_nowait(path: str) -> int:
    """Open the FIFO for writing without waiting (``os.O_WRONLY | os.O_NONBLOCK``).

    With no reader the open fails with ENXIO: let that ``OSError`` propagate. On success,
    clear ``O_NONBLOCK`` again (``fcntl(fd, F_GETFL)``, then ``F_SETFL`` without it) so that
    later writes wait for room, and return the descriptor.

    Raises:
        OSError: ENXIO when no process has the FIFO open for reading.
    """
    raise NotImplementedError("open_writer_nowait")


# --- records ---------------------------------------------------------------------------------------


def write_record(fd: int, data: bytes) -> int:
    """Write one record: ``struct.pack(">I", len(data))`` followed by ``data``.

    Build the whole record and write it with ONE ``os.write``: a write of at most
    ``PIPE_BUF`` bytes is atomic, so records of several writers never interleave. Return
    the number of bytes written (``4 + len(data)``).

    Raises:
        ValueError: ``4 + len(data) > PIPE_BUF``: such a record could be interleaved, so
            refuse it before writing anything.
        BrokenPipeError: no reader has the FIFO open (let it propagate).
    """
    raise NotImplementedError("write_record")


def read_records(fd: int) -> list[bytes]:
    """Read until end-of-file and return the payloads of the records, in order.

    Keep reading until ``os.read`` returns ``b""``: end-of-file comes only when every
    writer has closed. A record may be split across reads.

    Raises:
        EOFError: the data ends in the middle of a record (header or payload).
    """
    raise NotImplementedError("read_records")


# --- a client and a server ------------------------------------------------------------------------


def send_records(path: str, records: list[bytes]) -> int:
    """Open the FIFO for writing (waiting for a reader), write each record with
    :func:`write_record`, close the descriptor, and return the number of records.

    Closing matters: the reader's end-of-file waits for every writer's close.
    """
    raise NotImplementedError("send_records")


def collect(path: str) -> list[bytes]:
    """Serve the FIFO at ``path`` and return every record its writers sent.

    Open it for reading (this waits for the first writer), read records until
    end-of-file (the *last* writer has closed), close the descriptor, and remove the FIFO
    with ``os.unlink``. Remove it however this ends, also when reading raises (use
    ``try``/``finally``).
    """
    raise NotImplementedError("collect")
