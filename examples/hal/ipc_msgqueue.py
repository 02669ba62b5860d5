"""System V message queues: your implementation of the ``ipc_msgqueue`` interface.

Replace every ``raise NotImplementedError`` with working code. You may use the ``sysv_ipc``
package (installed), ``ctypes`` (for what ``sysv_ipc`` cannot do), and the standard
library. The grader runs your code in real processes and looks at the kernel itself: which
queues exist at which key, how many messages and bytes each holds, who sent and received
last, whether a call is asleep in the kernel. A trusted reference process opens the same
queue by key and sends you messages or reads yours, so the queue must be the kernel's queue
at the key you are given: never ``IPC_PRIVATE``, never a key of your own, never a queue kept
in your process or in a file.

Facts that every part below depends on:

* A queue is created or found with ``msgget(key, flags)``: ``IPC_CREAT`` creates a missing
  queue, ``IPC_CREAT | IPC_EXCL`` refuses an existing one (EEXIST), no flag refuses a
  missing one (ENOENT). Create with mode ``0o600``.
* Messages have a type (an integer >= 1) and 0 to 8192 bytes of data (MSGMAX).
  ``sysv_ipc.MessageQueue(key, flags, max_message_size=8192)``: its default is 2048.
* Errors are ``OSError`` with the kernel's errno: ``OSError(errno.ENOMSG, "no message")``.
  ``sysv_ipc`` raises its own classes (``ExistentialError``, ``BusyError``, ...) that carry
  no errno: catch them and raise the ``OSError`` the contract names.
* Waiting is the kernel's job: a blocking call sleeps inside ``msgsnd``/``msgrcv``. Never
  poll with ``block=False`` in a loop.

``ctypes`` in a few lines (x86-64 Linux)::

    libc = ctypes.CDLL(None, use_errno=True)
    # msgrcv(int msqid, void *msgp, size_t msgsz, long msgtyp, int msgflg) -> ssize_t
    # the buffer holds a C long (the type) followed by msgsz bytes of text;
    # on -1, ctypes.get_errno() is the errno.
    MSG_NOERROR, MSG_EXCEPT, IPC_NOWAIT = 0o10000, 0o20000, 0o4000
"""

from __future__ import annotations

#: The largest message the kernel accepts (``/proc/sys/kernel/msgmax``).
MSGMAX = 8192

#: The message type of requests to a server; replies carry the client's pid as their type.
REQUEST_TYPE = 1


class Queue:
    """One System V message queue, as returned by :func:`open_queue`."""

    def send(self, data: bytes, type: int, block: bool = True) -> None:  # noqa: A002
        """Append one message of ``type`` holding ``data`` (``msgsnd``).

        ``type`` must be >= 1 and ``data`` 0 to 8192 bytes: otherwise raise
        ``OSError(errno.EINVAL)`` (a ``ValueError`` is accepted too). Never change a bad
        type into a good one, and never cut or split the data.

        A queue holds at most ``max_bytes`` bytes (16384 by default), and at most that many
        messages. When the message does not fit, wait in the kernel until a receiver makes
        room; with ``block=False`` (``IPC_NOWAIT``) raise ``OSError(errno.EAGAIN)`` instead
        (``BlockingIOError`` is that). Let the kernel decide what fits.

        Raises:
            OSError(EIDRM): the queue was removed while this call waited.
            OSError(EINVAL): the queue had been removed before the call.
        """
        raise NotImplementedError("Queue.send")

    def receive(self, type: int = 0, block: bool = True, max_size: int | None = None,  # noqa: A002
                truncate: bool = False, except_type: bool = False) -> tuple[int, bytes]:
        """Remove one message from the queue and return ``(type, data)`` (``msgrcv``).

        Which message:

        * ``type == 0``: the oldest message in the queue, whatever its type;
        * ``type > 0``: the oldest message of exactly that type (the others stay queued);
          with ``except_type=True``, the oldest message whose type is *not* ``type``
          (the Linux flag ``MSG_EXCEPT``: ``sysv_ipc`` cannot pass it, use ``ctypes``);
        * ``type < 0``: the oldest message of the *lowest* type that is <= ``-type``.

        Messages of one type come out in the order they were sent. Pass ``type`` to the
        kernel as it is: it implements these rules.

        When no message matches, wait in the kernel until one arrives (messages of other
        types do not wake you); with ``block=False`` raise ``OSError(errno.ENOMSG)`` (not
        EAGAIN, and do not return ``None``).

        ``max_size`` (``None`` means 8192; larger values are fine) is the longest message
        the caller accepts. A longer message raises ``OSError(errno.E2BIG)`` and stays in
        the queue, unless ``truncate`` is true: then return its first ``max_size`` bytes and
        discard the rest (``MSG_NOERROR``). Never truncate when not asked to.

        Raises:
            OSError(EIDRM): the queue was removed while this call waited.
            OSError(EINVAL): the queue had been removed before the call.
        """
        raise NotImplementedError("Queue.receive")

    def stats(self) -> dict[str, int]:
        """Return ``{"messages": n, "bytes": n, "max_bytes": n}`` as the kernel counts them.

        These are ``msg_qnum``, ``msg_cbytes`` and ``msg_qbytes`` of ``msgctl(IPC_STAT)``.
        ``sysv_ipc`` has ``current_messages`` and ``max_size`` but not the bytes: use
        ``ctypes``, or the ``cbytes`` column of ``/proc/sysvipc/msg`` (the row whose key is
        this queue's key).
        """
        raise NotImplementedError("Queue.stats")

    def set_max_bytes(self, n: int) -> None:
        """Set the queue's byte limit ``msg_qbytes`` (``msgctl(IPC_SET)``).

        The new limit applies at once. Lowering it always works; raising it above 16384
        (MSGMNB) needs a privilege the grader's processes do not have: the kernel says
        ``EPERM`` (``PermissionError``), let it out. (``sysv_ipc``: ``queue.max_size = n``.)
        """
        raise NotImplementedError("Queue.set_max_bytes")

    def remove(self) -> None:
        """Remove the queue now, messages and all (``msgctl(IPC_RMID)``).

        Every process waiting in ``send`` or ``receive`` on it wakes with EIDRM.
        """
        raise NotImplementedError("Queue.remove")


def open_queue(key: int, create: bool = False, exclusive: bool = False) -> Queue:
    """Return a :class:`Queue` for the queue at ``key``.

    Without ``create``, a missing queue raises ``OSError(errno.ENOENT)``
    (``FileNotFoundError``) and nothing is created. With ``create``, a missing queue is
    created with mode ``0o600``; an existing one is opened as it is, messages and all. With
    ``create`` and ``exclusive``, an existing queue raises ``OSError(errno.EEXIST)``
    (``FileExistsError``).
    """
    raise NotImplementedError("open_queue")


# --- request and response ---------------------------------------------------------------------


def serve(key: int, n_requests: int | None = None) -> int:
    """Answer requests on the queue at ``key`` (create it if it does not exist).

    A request is a message of type 1 (:data:`REQUEST_TYPE`) whose data starts with the
    client's pid as 4 bytes, big-endian (``struct.unpack(">I", data[:4])``), followed by
    the request bytes. Receive only type 1: other messages in the queue are replies that
    belong to clients. Answer each request with a message whose *type is the client's pid*
    and whose data is the request bytes upper-cased (``bytes.upper()``).

    With ``n_requests``, return after that many replies and leave the queue in place (the
    last replies may still be waiting for their clients).

    Without it, serve until the process receives SIGTERM. Install a handler with
    ``signal.signal(signal.SIGTERM, ...)`` before waiting (keep the previous one). The
    signal makes a waiting ``msgrcv`` fail with EINTR, and it is never restarted: stop
    serving, remove the queue, restore the previous handler, and return.

    Returns:
        The number of replies sent.
    """
    raise NotImplementedError("serve")


class Client:
    """A client of :func:`serve`."""

    def __init__(self, key: int) -> None:
        """Open the server's queue at ``key``; ``OSError(errno.ENOENT)`` if there is none."""
        raise NotImplementedError("Client")

    def request(self, data: bytes) -> bytes:
        """Send one request and return the data of its reply.

        Send type 1 with ``struct.pack(">I", os.getpid()) + data``, then receive the message
        whose type is ``os.getpid()`` (ask for the pid when the call is made: after a fork,
        the child has its own). Receiving any other type would take messages that belong
        to the server or to other clients.
        """
        raise NotImplementedError("Client.request")
