"""System V shared memory and semaphores: your implementation of the ``ipc_shm`` interface.

Replace every ``raise NotImplementedError`` with working code. You may use the ``sysv_ipc``
package (installed), ``ctypes`` (for what ``sysv_ipc`` does not do the way the contract
says), and the standard library. The grader runs your code in real processes and looks at
the kernel itself: which segments and semaphore sets exist at which key, how many processes
are attached, whether a call is asleep in the kernel. A trusted reference process attaches
the same segment and opens the same semaphores by key, so every object must be the kernel's
object at the key you are given: never ``IPC_PRIVATE`` (except ``Semaphore(None, ...)``),
never a key of your own.

Facts that every part below depends on:

* ``shmget(key, size, flags)`` creates or finds a segment, ``shmat`` maps it into the
  process (the kernel counts attachments: ``nattch``), ``shmdt`` unmaps it, and
  ``shmctl(IPC_RMID)`` marks it for removal: it disappears at the last detach. Attachments
  are copied by ``fork`` and dropped by ``exit``.
* ``sysv_ipc.SharedMemory(key, sysv_ipc.IPC_CREX, mode=0o600, size=n, init_character=b"\\0")``
  creates and attaches; without ``init_character`` it fills new memory with spaces, and a
  size of 0 silently becomes a page. ``.read(n, offset)`` / ``.write(data, offset)``.
* ``semget``/``semop``/``semctl``: ``sysv_ipc.Semaphore(key, flags, mode, initial_value)``
  is a set with one semaphore. ``acquire``/``release`` are ``semop`` -1/+1; ``block=False``
  is ``IPC_NOWAIT``; ``undo`` is ``SEM_UNDO`` (``sem.undo = True``);
  ``waiting_for_nonzero`` is ``GETNCNT``. Its timeouts do not work (use ``block``).
* Errors are ``OSError`` with the kernel's errno (``OSError(errno.EEXIST, "...")``), except
  where this file says ``ValueError`` or ``PermissionError``. ``sysv_ipc`` raises its own
  classes (``ExistentialError``, ``BusyError``, ...) without an errno: translate them.
* Waiting is the kernel's job: a blocking call sleeps inside ``semop``. Never poll.
"""

from __future__ import annotations

#: The largest value a System V semaphore can hold (SEMVMX).
SEMVMX = 32767

#: Bounded buffer layout: a 16-byte header, then slots of 64 bytes (length byte + item).
HEADER_SIZE = 16
SLOT_SIZE = 64
MAX_ITEM = SLOT_SIZE - 1


# --- shared memory ----------------------------------------------------------------------------


class Segment:
    """One attachment of a System V shared memory segment in this process."""

    def size(self) -> int:
        """The size asked for when the segment was created (``shm_segsz``), not the page."""
        raise NotImplementedError("Segment.size")

    def read(self, offset: int, n: int) -> bytes:
        """Return the ``n`` bytes starting at ``offset``.

        Raises:
            ValueError: ``offset < 0``, ``n < 0`` or ``offset + n > size()``; or this
                attachment was detached (never touch a detached address).
        """
        raise NotImplementedError("Segment.read")

    def write(self, offset: int, data: bytes) -> None:
        """Copy ``data`` into the segment at ``offset``: every attacher sees it at once.

        Raises:
            PermissionError: this is a read-only attachment (``errno.EACCES``). Check it
                before touching the memory: a write to a read-only mapping is a SIGSEGV.
            ValueError: the range is outside the segment, or this attachment was detached.
        """
        raise NotImplementedError("Segment.write")

    def detach(self) -> None:
        """Unmap the segment from this process (``shmdt``); the kernel's nattch drops by one.

        Detaching neither removes the segment nor changes its bytes.

        Raises:
            ValueError: already detached.
        """
        raise NotImplementedError("Segment.detach")

    def remove(self) -> None:
        """Mark the segment for removal (``shmctl(IPC_RMID)``), attached or not.

        Do nothing else here (in particular, do not detach): the key is free at once, but
        every process still attached keeps using the memory, and the kernel destroys it at
        the last detach. Calling ``remove()`` again meanwhile is harmless (use the
        segment's id, not its key: the key is gone after the first call).
        """
        raise NotImplementedError("Segment.remove")


def create_segment(key: int, size: int) -> Segment:
    """Create a new segment of exactly ``size`` bytes at ``key`` (mode 0o600), attached.

    New memory reads as zeros.

    Raises:
        OSError(EINVAL): ``size < 1`` (a ``ValueError`` is accepted too). Check it before
            creating anything.
        OSError(EEXIST): a segment with this key exists (create with
            ``IPC_CREAT | IPC_EXCL``); leave it alone.
    """
    raise NotImplementedError("create_segment")


def attach_segment(key: int, readonly: bool = False) -> Segment:
    """Attach the existing segment at ``key``; read-only (``SHM_RDONLY``) if asked.

    Every call is a new attachment, even in a process that is attached already.

    Raises:
        OSError(ENOENT): no segment has this key (never create one here).
    """
    raise NotImplementedError("attach_segment")


# --- semaphores -------------------------------------------------------------------------------


class Semaphore:
    """A System V semaphore set with one semaphore."""

    def __init__(self, key: int | None, initial: int = 0, create: bool = False) -> None:
        """Create or open the semaphore at ``key``.

        With ``create``: make a new set (``IPC_CREAT | IPC_EXCL``, mode 0o600) and set its
        value to ``initial``. ``OSError(EEXIST)`` if it exists (leave that one alone).
        ``initial`` must be 0..32767, else ``OSError(ERANGE)`` (or ``ValueError``), and no
        set may be left behind. ``key=None`` makes a private set (``IPC_PRIVATE``), which
        only processes forked afterwards share.

        Without ``create``: open the existing set, ``OSError(ENOENT)`` if there is none,
        and do *not* touch its value (``initial`` is ignored): others may be using it.
        """
        raise NotImplementedError("Semaphore")

    def acquire(self, block: bool = True, undo: bool = False) -> None:
        """P: wait in the kernel until the value is positive, then subtract one.

        With ``block=False`` raise ``BlockingIOError`` (``OSError(errno.EAGAIN)``) instead of
        waiting. With ``undo``, the kernel reverts this operation when the process exits
        (``SEM_UNDO``); without it, never. The undo records belong to the calling process:
        a forked child does not inherit them.

        Raises:
            OSError(EIDRM): the set was removed while this call waited. Let it out.
        """
        raise NotImplementedError("Semaphore.acquire")

    def release(self, undo: bool = False) -> None:
        """V: add one, waking a waiter. ``OSError(ERANGE)`` (or ``ValueError``) past 32767."""
        raise NotImplementedError("Semaphore.release")

    def value(self) -> int:
        """The current value (``semctl(GETVAL)``)."""
        raise NotImplementedError("Semaphore.value")

    def waiting(self) -> int:
        """How many processes are blocked in ``acquire`` right now (``semctl(GETNCNT)``)."""
        raise NotImplementedError("Semaphore.waiting")

    def remove(self) -> None:
        """Remove the set (``semctl(IPC_RMID)``); every blocked ``acquire`` fails with EIDRM."""
        raise NotImplementedError("Semaphore.remove")


# --- a shared counter -------------------------------------------------------------------------


def increment_many(segment: Segment, mutex: Semaphore, m: int, start: Semaphore | None = None) -> None:
    """Add 1, ``m`` times, to the counter in the first 8 bytes of ``segment``.

    The counter is an unsigned 64-bit little-endian integer (``struct`` format ``"<Q"``).
    Several processes run this at the same time, so each read-modify-write must happen
    entirely under ``mutex``: acquire, read the 8 bytes, write the value + 1, release.
    Releasing before the write, or not locking, lets two processes read the same value,
    and an increment is lost.

    With ``start``, first pass through that gate: acquire it, then release it at once (so
    that every worker waiting at a closed gate starts when someone opens it).
    """
    raise NotImplementedError("increment_many")


def read_counter(segment: Segment) -> int:
    """Return the counter of :func:`increment_many` (the first 8 bytes, ``"<Q"``) as an int."""
    raise NotImplementedError("read_counter")


# --- a bounded buffer -------------------------------------------------------------------------


class BoundedBuffer:
    """A ring of slots in a shared segment, guarded by three semaphores.

    The layout is fixed, so that other processes (and other implementations) can use the
    same buffer:

    * the segment at ``key``: a 16-byte header of four little-endian uint32
      (``struct.Struct("<4I")``): ``capacity``, ``head`` (next slot to read), ``tail``
      (next slot to write), ``0``; then ``capacity`` slots of 64 bytes each, at offset
      ``16 + 64 * i``: one length byte, then the item;
    * the semaphore at ``key``: the mutex around the header and slots (initially 1);
    * the semaphore at ``key + 1``: free slots (initially ``capacity``);
    * the semaphore at ``key + 2``: filled slots (initially 0).
    """

    def put(self, item: bytes, block: bool = True) -> None:
        """Append ``item``: acquire a free slot, then under the mutex write it at ``tail``
        and advance ``tail`` (modulo capacity), then release a filled slot.

        Raises:
            ValueError: the item is longer than 63 bytes (check before taking a slot).
            BlockingIOError: the buffer is full and ``block`` is false (EAGAIN).
            OSError(EIDRM): the buffer was removed while this call waited.
        """
        raise NotImplementedError("BoundedBuffer.put")

    def get(self, block: bool = True) -> bytes:
        """Take the oldest item: acquire a filled slot, then under the mutex read the slot
        at ``head`` and advance ``head`` (modulo capacity), then release a free slot.

        Raises:
            BlockingIOError: the buffer is empty and ``block`` is false (EAGAIN).
            OSError(EIDRM): the buffer was removed while this call waited.
        """
        raise NotImplementedError("BoundedBuffer.get")

    def close(self) -> None:
        """Detach this process from the buffer.

        In the process that created it (compare ``os.getpid()`` with the creator's pid,
        saved at creation), also remove the segment and the three semaphores: processes
        waiting in ``put`` or ``get`` then wake with EIDRM. A process forked from the
        creator inherits this object but does not own the buffer: it only detaches.
        """
        raise NotImplementedError("BoundedBuffer.close")


def create_buffer(key: int, capacity: int) -> BoundedBuffer:
    """Create a :class:`BoundedBuffer` of ``capacity`` slots at ``key`` (see its layout).

    Raises:
        ValueError: ``capacity`` is not in 1..32767; nothing is created.
        OSError(EEXIST): one of the four objects exists already.
    """
    raise NotImplementedError("create_buffer")


def open_buffer(key: int) -> BoundedBuffer:
    """Attach to the :class:`BoundedBuffer` another process created at ``key``.

    Read the capacity from the header. ``OSError(ENOENT)`` if there is no buffer.
    """
    raise NotImplementedError("open_buffer")


def produce(buffer: BoundedBuffer, producer: int, count: int) -> None:
    """Put ``count`` items ``b"<producer>:<i>"`` for ``i = 0, 1, ...``, in that order."""
    raise NotImplementedError("produce")


def consume(buffer: BoundedBuffer, count: int) -> dict[str, list[int]]:
    """Get ``count`` items made by :func:`produce` and sort them out by producer.

    Returns:
        ``{"<producer>": [i, ...]}``: for each producer (as a string), the sequence
        numbers received, in the order they were received.
    """
    raise NotImplementedError("consume")
