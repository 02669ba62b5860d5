"""Seeded bug: create_segment() fills new memory with spaces (sysv_ipc's default init_character)."""

from __future__ import annotations

import ctypes
import errno
import os
import struct

IPC_PRIVATE = 0
IPC_CREAT = 0o1000
IPC_EXCL = 0o2000
IPC_NOWAIT = 0o4000
IPC_RMID = 0
IPC_STAT = 2
SHM_RDONLY = 0o10000
SEM_UNDO = 0x1000
GETVAL = 12
GETNCNT = 14
SETVAL = 16

#: Permission bits of every object this module creates.
MODE = 0o600

#: The largest value a System V semaphore can hold.
SEMVMX = 32767


class _IpcPerm(ctypes.Structure):
    _fields_ = [("key", ctypes.c_int), ("uid", ctypes.c_uint), ("gid", ctypes.c_uint),
                ("cuid", ctypes.c_uint), ("cgid", ctypes.c_uint), ("mode", ctypes.c_uint),
                ("seq", ctypes.c_ushort), ("pad", ctypes.c_ushort),
                ("reserved1", ctypes.c_ulong), ("reserved2", ctypes.c_ulong)]


class _ShmidDs(ctypes.Structure):
    _fields_ = [("perm", _IpcPerm), ("segsz", ctypes.c_size_t), ("atime", ctypes.c_long),
                ("dtime", ctypes.c_long), ("ctime", ctypes.c_long), ("cpid", ctypes.c_int),
                ("lpid", ctypes.c_int), ("nattch", ctypes.c_ulong),
                ("reserved4", ctypes.c_ulong), ("reserved5", ctypes.c_ulong)]


class _Sembuf(ctypes.Structure):
    _fields_ = [("sem_num", ctypes.c_ushort), ("sem_op", ctypes.c_short), ("sem_flg", ctypes.c_short)]


_libc = ctypes.CDLL(None, use_errno=True)
_libc.shmget.argtypes = [ctypes.c_int, ctypes.c_size_t, ctypes.c_int]
_libc.shmget.restype = ctypes.c_int
_libc.shmat.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int]
_libc.shmat.restype = ctypes.c_void_p
_libc.shmdt.argtypes = [ctypes.c_void_p]
_libc.shmdt.restype = ctypes.c_int
_libc.shmctl.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.POINTER(_ShmidDs)]
_libc.shmctl.restype = ctypes.c_int
_libc.semget.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
_libc.semget.restype = ctypes.c_int
_libc.semop.argtypes = [ctypes.c_int, ctypes.POINTER(_Sembuf), ctypes.c_size_t]
_libc.semop.restype = ctypes.c_int
_libc.semctl.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int]  # semun: int val
_libc.semctl.restype = ctypes.c_int

#: What shmat returns on failure: (void *) -1.
_SHMAT_FAILED = ctypes.c_void_p(-1).value


def _check(result: int, what: str) -> int:
    if result == -1:
        code = ctypes.get_errno()
        raise OSError(code, f"{what}: {os.strerror(code)}")
    return result


def _fail(code: int, what: str) -> OSError:
    return OSError(code, f"{what}: {os.strerror(code)}")


# --- shared memory ----------------------------------------------------------------------------


class Segment:
    """One attachment of a System V shared memory segment in this process.

    Invariant: ``_address`` is ``None`` once detached, and is never touched again.
    """

    def __init__(self, key: int, ident: int, readonly: bool) -> None:
        self.key = key
        self._id = ident
        self.readonly = readonly
        address = _libc.shmat(ident, None, SHM_RDONLY if readonly else 0)
        if address is None or address == _SHMAT_FAILED:
            code = ctypes.get_errno()
            raise _fail(code, "shmat")
        self._address: int | None = address
        self._size = int(self._stat().segsz)

    def size(self) -> int:
        """The segment's size as requested at creation (``shm_segsz``)."""
        return self._size

    def read(self, offset: int, n: int) -> bytes:
        """Return ``n`` bytes starting at ``offset``.

        Raises:
            ValueError: the range is outside the segment, or this attachment was detached.
        """
        address = self._range(offset, n)
        return ctypes.string_at(address, n)

    def write(self, offset: int, data: bytes) -> None:
        """Copy ``data`` into the segment at ``offset``; other attachers see it at once.

        Raises:
            PermissionError (EACCES): this is a read-only attachment.
            ValueError: the range is outside the segment, or this attachment was detached.
        """
        data = bytes(data)
        address = self._range(offset, len(data))
        if self.readonly:
            raise PermissionError(errno.EACCES, "write through a read-only attachment")
        ctypes.memmove(address, data, len(data))

    def detach(self) -> None:
        """Unmap the segment from this process (``shmdt``): nattch drops by one.

        Raises:
            ValueError: already detached.
        """
        if self._address is None:
            raise ValueError("this segment is not attached")
        address, self._address = self._address, None
        _check(_libc.shmdt(address), "shmdt")

    def remove(self) -> None:
        """Mark the segment for removal (``IPC_RMID``); it is destroyed at the last detach.

        The key is free again at once. Calling it again while the segment still exists
        does nothing more.
        """
        _check(_libc.shmctl(self._id, IPC_RMID, None), "shmctl(IPC_RMID)")

    def _range(self, offset: int, n: int) -> int:
        if self._address is None:
            raise ValueError("this segment is not attached")
        if offset < 0 or n < 0 or offset + n > self._size:
            raise ValueError(f"bytes {offset}..{offset + n} are outside the segment (size {self._size})")
        return self._address + offset

    def _stat(self) -> _ShmidDs:
        ds = _ShmidDs()
        _check(_libc.shmctl(self._id, IPC_STAT, ctypes.byref(ds)), "shmctl(IPC_STAT)")
        return ds

    def __repr__(self) -> str:
        state = "detached" if self._address is None else ("read-only" if self.readonly else "read-write")
        return f"Segment(key={self.key:#x}, size={self._size}, {state})"


def create_segment(key: int, size: int) -> Segment:
    """Create a new segment of ``size`` bytes at ``key`` (mode 0600) and attach it.

    Raises:
        OSError(EINVAL): ``size`` < 1.
        OSError(EEXIST): a segment with this key exists.
    """
    if size < 1:
        raise _fail(errno.EINVAL, f"segment size {size}")
    ident = _check(_libc.shmget(key, size, IPC_CREAT | IPC_EXCL | MODE), f"shmget(key={key:#x})")
    try:
        segment = Segment(key, ident, readonly=False)
        ctypes.memset(segment._address, 0x20, size)
        return segment
    except OSError:
        _libc.shmctl(ident, IPC_RMID, None)
        raise


def attach_segment(key: int, readonly: bool = False) -> Segment:
    """Attach the existing segment at ``key`` (read-only with ``readonly``).

    Raises:
        OSError(ENOENT): no segment has this key (or it was removed).
    """
    ident = _check(_libc.shmget(key, 0, 0), f"shmget(key={key:#x})")
    return Segment(key, ident, readonly=readonly)


# --- semaphores -------------------------------------------------------------------------------


class Semaphore:
    """A System V semaphore set holding one semaphore.

    ``Semaphore(key, initial, create=True)`` creates a new set (``IPC_CREAT|IPC_EXCL``) and
    sets its value to ``initial``; ``Semaphore(key)`` opens an existing one and leaves its
    value alone. ``key=None`` creates a private set (``IPC_PRIVATE``), shared only with
    processes forked afterwards.
    """

    def __init__(self, key: int | None, initial: int = 0, create: bool = False) -> None:
        if key is None and not create:
            raise ValueError("a private semaphore (key None) can only be created")
        if create and not 0 <= initial <= SEMVMX:
            raise _fail(errno.ERANGE, f"initial value {initial} (0..{SEMVMX})")
        self.key = IPC_PRIVATE if key is None else key
        flags = IPC_CREAT | IPC_EXCL | MODE if create else 0
        self._id = _check(_libc.semget(self.key, 1, flags), f"semget(key={self.key:#x})")
        if create:
            try:
                _check(_libc.semctl(self._id, 0, SETVAL, initial), "semctl(SETVAL)")
            except OSError:
                _libc.semctl(self._id, 0, IPC_RMID, 0)
                raise

    def acquire(self, block: bool = True, undo: bool = False) -> None:
        """P: wait until the value is positive, then subtract one (``semop`` -1).

        Raises:
            BlockingIOError (EAGAIN): the value is 0 and ``block`` is false.
            OSError(EIDRM): the set was removed while this call waited.
        """
        self._op(-1, block, undo)

    def release(self, undo: bool = False) -> None:
        """V: add one (``semop`` +1), waking a waiter. OSError(ERANGE) past 32767."""
        self._op(1, True, undo)

    def value(self) -> int:
        """The current value (``GETVAL``)."""
        return _check(_libc.semctl(self._id, 0, GETVAL, 0), "semctl(GETVAL)")

    def waiting(self) -> int:
        """How many processes are blocked in ``acquire`` right now (``GETNCNT``)."""
        return _check(_libc.semctl(self._id, 0, GETNCNT, 0), "semctl(GETNCNT)")

    def remove(self) -> None:
        """Remove the set (``IPC_RMID``); every blocked ``acquire`` fails with EIDRM."""
        _check(_libc.semctl(self._id, 0, IPC_RMID, 0), "semctl(IPC_RMID)")

    def _op(self, delta: int, block: bool, undo: bool) -> None:
        flags = (0 if block else IPC_NOWAIT) | (SEM_UNDO if undo else 0)
        operation = _Sembuf(0, delta, flags)
        _check(_libc.semop(self._id, ctypes.byref(operation), 1), "semop")

    def __repr__(self) -> str:
        return f"Semaphore(key={self.key:#x}, id={self._id})"


# --- a shared counter -------------------------------------------------------------------------

#: The counter of increment_many: the first 8 bytes of the segment, unsigned, little-endian.
_COUNTER = struct.Struct("<Q")


def increment_many(segment: Segment, mutex: Semaphore, m: int, start: Semaphore | None = None) -> None:
    """Add 1 to the shared counter ``m`` times, each read-modify-write under ``mutex``.

    With ``start``, first wait at that gate (acquire it), then pass it on (release it), so
    that workers blocked at a closed gate all start once someone opens it.
    """
    if start is not None:
        start.acquire()
        start.release()
    for _ in range(m):
        mutex.acquire()
        try:
            (value,) = _COUNTER.unpack(segment.read(0, _COUNTER.size))
            segment.write(0, _COUNTER.pack(value + 1))
        finally:
            mutex.release()


def read_counter(segment: Segment) -> int:
    """The counter of :func:`increment_many`: the segment's first 8 bytes, ``"<Q"``."""
    (value,) = _COUNTER.unpack(segment.read(0, _COUNTER.size))
    return int(value)


# --- a bounded buffer -------------------------------------------------------------------------

#: Header: capacity, head (next slot to read), tail (next slot to write), reserved.
_HEADER = struct.Struct("<4I")
#: Each slot: a length byte, then up to 63 bytes of item.
SLOT_SIZE = 64
MAX_ITEM = SLOT_SIZE - 1


class BoundedBuffer:
    """A ring of ``capacity`` slots in a shared segment, with three semaphores.

    Layout (little-endian): the segment at ``key`` holds a 16-byte header ``capacity, head,
    tail, 0`` (four uint32) and ``capacity`` slots of 64 bytes (a length byte, then the
    item). Semaphores: ``key`` is the mutex (1), ``key + 1`` counts free slots
    (``capacity``), ``key + 2`` counts filled slots (0).
    """

    def __init__(self, key: int, segment: Segment, mutex: Semaphore, free: Semaphore, filled: Semaphore,
                 owner: int | None) -> None:
        self.key = key
        self._segment: Segment | None = segment
        self._mutex, self._free, self._filled = mutex, free, filled
        self._owner = owner
        self.capacity = _HEADER.unpack(segment.read(0, _HEADER.size))[0]

    @classmethod
    def create(cls, key: int, capacity: int) -> BoundedBuffer:
        """Create the segment and the three semaphores at ``key``, ``key+1``, ``key+2``.

        The creating process owns the buffer: its :meth:`close` removes everything.

        Raises:
            ValueError: ``capacity`` is not in 1..32767.
            OSError(EEXIST): one of the objects exists already.
        """
        if not 1 <= capacity <= SEMVMX:
            raise ValueError(f"capacity {capacity} (1..{SEMVMX})")
        made: list[Semaphore] = []
        segment = create_segment(key, _HEADER.size + capacity * SLOT_SIZE)
        try:
            segment.write(0, _HEADER.pack(capacity, 0, 0, 0))
            for offset, initial in ((0, 1), (1, capacity), (2, 0)):
                made.append(Semaphore(key + offset, initial, create=True))
        except BaseException:
            for semaphore in made:
                semaphore.remove()
            segment.remove()
            segment.detach()
            raise
        return cls(key, segment, *made, owner=os.getpid())

    @classmethod
    def open(cls, key: int) -> BoundedBuffer:
        """Attach to the buffer another process created at ``key``. OSError(ENOENT) if none."""
        segment = attach_segment(key)
        try:
            return cls(key, segment, Semaphore(key), Semaphore(key + 1), Semaphore(key + 2), owner=None)
        except BaseException:
            segment.detach()
            raise

    def put(self, item: bytes, block: bool = True) -> None:
        """Append ``item`` (at most 63 bytes), waiting for a free slot.

        Raises:
            ValueError: the item is longer than 63 bytes.
            BlockingIOError (EAGAIN): the buffer is full and ``block`` is false.
            OSError(EIDRM): the buffer was removed while this call waited.
        """
        item = bytes(item)
        if len(item) > MAX_ITEM:
            raise ValueError(f"an item holds at most {MAX_ITEM} bytes, not {len(item)}")
        segment = self._attached()
        self._free.acquire(block)
        self._mutex.acquire()
        try:
            _, head, tail, _ = _HEADER.unpack(segment.read(0, _HEADER.size))
            segment.write(_HEADER.size + tail * SLOT_SIZE, bytes([len(item)]) + item)
            segment.write(0, _HEADER.pack(self.capacity, head, (tail + 1) % self.capacity, 0))
        finally:
            self._mutex.release()
        self._filled.release()

    def get(self, block: bool = True) -> bytes:
        """Take the oldest item, waiting for one.

        Raises:
            BlockingIOError (EAGAIN): the buffer is empty and ``block`` is false.
            OSError(EIDRM): the buffer was removed while this call waited.
        """
        segment = self._attached()
        self._filled.acquire(block)
        self._mutex.acquire()
        try:
            _, head, tail, _ = _HEADER.unpack(segment.read(0, _HEADER.size))
            slot = segment.read(_HEADER.size + head * SLOT_SIZE, SLOT_SIZE)
            segment.write(0, _HEADER.pack(self.capacity, (head + 1) % self.capacity, tail, 0))
        finally:
            self._mutex.release()
        self._free.release()
        return slot[1:1 + slot[0]]

    def close(self) -> None:
        """Detach; in the process that created the buffer, also remove all four objects.

        A process forked from the creator inherits the object but does not own the buffer:
        its ``close`` only detaches. Closing twice does nothing.
        """
        if self._segment is None:
            return
        segment, self._segment = self._segment, None
        if self._owner == os.getpid():
            segment.remove()
            for semaphore in (self._mutex, self._free, self._filled):
                semaphore.remove()
        segment.detach()

    def _attached(self) -> Segment:
        if self._segment is None:
            raise ValueError("this buffer is closed")
        return self._segment


def create_buffer(key: int, capacity: int) -> BoundedBuffer:
    """Create a :class:`BoundedBuffer` of ``capacity`` slots at ``key`` (see its layout)."""
    return BoundedBuffer.create(key, capacity)


def open_buffer(key: int) -> BoundedBuffer:
    """Attach to the :class:`BoundedBuffer` another process created at ``key``."""
    return BoundedBuffer.open(key)


def produce(buffer: BoundedBuffer, producer: int, count: int) -> None:
    """Put ``count`` items ``b"<producer>:<i>"`` (i = 0, 1, ...) into ``buffer``, in order."""
    for i in range(count):
        buffer.put(b"%d:%d" % (producer, i))


def consume(buffer: BoundedBuffer, count: int) -> dict[str, list[int]]:
    """Get ``count`` items made by :func:`produce` and sort them out by producer.

    Returns ``{"<producer>": [i, ...]}``: for each producer, the sequence numbers received,
    in the order they were received.
    """
    received: dict[str, list[int]] = {}
    for _ in range(count):
        producer, _, number = buffer.get().partition(b":")
        received.setdefault(producer.decode(), []).append(int(number))
    return received
