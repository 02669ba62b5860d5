"""PROXY READY — a grader-controlled stream proxy: the trusted peer that reshapes a byte stream.

A stream socket (TCP, or AF_UNIX ``SOCK_STREAM``) keeps no message boundaries: one ``send``
may need several ``recv`` calls, and several ``send`` calls may come back from one
``recv``. On an idle loopback both rarely happen, so code that assumes "one ``recv`` per
message" passes every direct test. Put this proxy between a client and a server and the
stream is reshaped on purpose, while staying byte-for-byte the same stream:

* ``split``: each chunk is forwarded in random small pieces of 1 to 7 bytes (seeded), each
  piece its own ``send``: the receiver sees short reads of headers and payloads.
* ``merge``: everything a side sends is held and forwarded in **one** write when that side
  half-closes or closes (or once 64 KiB are held): several messages arrive together and
  one ``recv`` returns more than one of them. Use it with a client that sends several
  messages and then shuts down its write side; a client that waits for each answer before
  sending on would wait forever.
* ``slow``: the proxy reads each side in tiny pieces (1 to 7 bytes per ``recv``, seeded)
  with small receive buffers, so a fast sender's buffers fill up: its blocking writes wait
  and its non-blocking writes come back short (or fail with EAGAIN).
* ``plain``: forward what arrives as it arrives (the baseline).

In a spec the proxy runs in a ``reference`` actor as the built-in ``os:proxy``, as a
blocking call (``expect: {blocks: true}`` with a ``label``) that is awaited at the end: it
listens first, so once the runner sees it blocked, clients can connect.

The proxy never sleeps: one ``selectors`` loop waits for whatever can progress. It has no
deadline of its own; the case's deadline (and the box being torn down) bounds it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import random
import selectors
import socket
import stat
from dataclasses import dataclass, field
from typing import Any

#: The modes :func:`proxy` knows.
MODES = ("split", "merge", "slow", "plain")

#: Piece sizes for ``split`` (forwarded) and ``slow`` (read): 1..7 bytes.
_PIECE_MIN, _PIECE_MAX = 1, 7
#: ``merge`` forwards once this much is held, even before the side stops sending.
_MERGE_LIMIT = 65536
#: Bytes asked for per ``recv`` in the modes that do not read slowly.
_CHUNK = 65536
#: At most this many ``send`` calls per readiness event, so one busy pair cannot starve
#: the others (``split`` makes many tiny sends).
_SENDS_PER_EVENT = 256
#: At most this many tiny ``recv`` calls per readiness event in ``slow`` mode.
_SLOW_READS_PER_EVENT = 64
#: Receive buffer asked for in ``slow`` mode (the kernel doubles it and enforces a minimum).
_SLOW_RCVBUF = 4096
#: A direction stops reading while this much is waiting to be written (back-pressure, as a
#: real proxy would apply: a slow receiver eventually slows the sender down).
_PENDING_LIMIT = 1 << 20


@dataclass
class _Direction:
    """One way through one connection: bytes read from ``source`` are written to ``sink``."""

    source: socket.socket
    sink: socket.socket
    name: str  # "up" (client to target) or "down" (target to client)
    pending: bytearray = field(default_factory=bytearray)
    #: The source sent end-of-file (or failed): nothing more will be read.
    source_done: bool = False
    #: The sink cannot take more bytes (it failed): what is pending is dropped.
    sink_dead: bool = False
    #: ``shutdown(SHUT_WR)`` was done on the sink (or it is dead): this direction is over.
    finished: bool = False

    def ready_to_flush(self, mode: str) -> bool:
        if not self.pending or self.sink_dead:
            return False
        if mode == "merge":
            return self.source_done or len(self.pending) >= _MERGE_LIMIT
        return True


@dataclass
class _Pair:
    """One client connection and the connection the proxy opened to the target for it."""

    client: socket.socket
    upstream: socket.socket
    up: _Direction
    down: _Direction
    closed: bool = False

    @property
    def directions(self) -> tuple[_Direction, _Direction]:
        return self.up, self.down


class _Proxy:
    """The state of one :func:`proxy` call.

    Invariants: every socket is non-blocking and registered with ``selector`` while open;
    a socket's registered events are always recomputed from its pair's state by
    :meth:`_update`, never set piecemeal.
    """

    def __init__(self, listen: str | int, target: str | int, mode: str, seed: int, connections: int) -> None:
        self.listen_address = listen
        self.target = target
        self.mode = mode
        self.random = random.Random(f"conformance-proxy:{seed}")
        self.connections = connections
        self.selector = selectors.DefaultSelector()
        self.listener: socket.socket | None = None
        self.pairs: list[_Pair] = []
        self.accepted = 0
        self.counts = {"connections": 0, "refused": 0, "bytes_up": 0, "bytes_down": 0,
                       "pieces_up": 0, "pieces_down": 0}

    # -- the loop -------------------------------------------------------------------------

    def run(self) -> dict[str, int]:
        try:
            self.listener = _listen(self.listen_address, self.mode)
            self.selector.register(self.listener, selectors.EVENT_READ)
            while self.listener is not None or any(not p.closed for p in self.pairs):
                for key, events in self.selector.select():
                    if key.fileobj is self.listener:
                        self._accept()
                    else:
                        self._on_ready(key.data, key.fileobj, events)  # type: ignore[arg-type]
        finally:
            self._close_everything()
        return dict(self.counts)

    def _accept(self) -> None:
        assert self.listener is not None
        try:
            client, _ = self.listener.accept()
        except (BlockingIOError, InterruptedError):
            return
        self.accepted += 1
        if self.accepted >= self.connections:
            self._close_listener()
        try:
            upstream = _connect(self.target, self.mode)
        except OSError:
            self.counts["refused"] += 1
            client.close()  # the client sees end-of-file: nobody is there
            return
        self.counts["connections"] += 1
        for sock in (client, upstream):
            sock.setblocking(False)
            if self.mode == "slow":
                _small_receive_buffer(sock)
        pair = _Pair(client=client, upstream=upstream,
                     up=_Direction(source=client, sink=upstream, name="up"),
                     down=_Direction(source=upstream, sink=client, name="down"))
        self.pairs.append(pair)
        self.selector.register(client, selectors.EVENT_READ, pair)
        self.selector.register(upstream, selectors.EVENT_READ, pair)

    def _on_ready(self, pair: _Pair, sock: socket.socket, events: int) -> None:
        if pair.closed:
            return
        for direction in pair.directions:
            if direction.source is sock and events & selectors.EVENT_READ:
                self._read(direction)
            if direction.sink is sock and events & selectors.EVENT_WRITE:
                self._write(direction)
        for direction in pair.directions:
            if direction.ready_to_flush(self.mode):
                self._write(direction)
            self._maybe_finish(direction)
        if all(d.finished for d in pair.directions):
            self._close_pair(pair)
        else:
            self._update(pair)

    # -- moving bytes ---------------------------------------------------------------------

    def _read(self, direction: _Direction) -> None:
        if direction.source_done:
            return
        reads = _SLOW_READS_PER_EVENT if self.mode == "slow" else 1
        for _ in range(reads):
            if len(direction.pending) >= _PENDING_LIMIT:
                return
            size = self.random.randint(_PIECE_MIN, _PIECE_MAX) if self.mode == "slow" else _CHUNK
            try:
                data = direction.source.recv(size)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:  # reset by the peer: treat as the end of this direction
                data = b""
            if not data:
                direction.source_done = True
                return
            if direction.sink_dead:
                continue  # nobody can receive it: drop, but keep draining the source
            direction.pending += data
            self.counts[f"bytes_{direction.name}"] += len(data)

    def _write(self, direction: _Direction) -> None:
        for _ in range(_SENDS_PER_EVENT):
            if not direction.ready_to_flush(self.mode):
                return
            if self.mode == "split":
                piece = min(self.random.randint(_PIECE_MIN, _PIECE_MAX), len(direction.pending))
            else:
                piece = len(direction.pending)
            try:
                sent = direction.sink.send(direction.pending[:piece])
            except (BlockingIOError, InterruptedError):
                return
            except OSError:  # EPIPE / ECONNRESET: the receiver is gone
                direction.sink_dead = True
                direction.pending.clear()
                return
            del direction.pending[:sent]
            self.counts[f"pieces_{direction.name}"] += 1

    def _maybe_finish(self, direction: _Direction) -> None:
        """Pass the end-of-file on once everything before it has been written."""
        if direction.finished or not direction.source_done:
            return
        if direction.pending and not direction.sink_dead:
            return
        direction.finished = True
        if not direction.sink_dead:
            with contextlib.suppress(OSError):
                direction.sink.shutdown(socket.SHUT_WR)

    def _update(self, pair: _Pair) -> None:
        """Register each socket of ``pair`` for exactly the events that can make progress."""
        for sock in (pair.client, pair.upstream):
            events = 0
            for direction in pair.directions:
                if direction.source is sock and not direction.source_done and len(direction.pending) < _PENDING_LIMIT:
                    events |= selectors.EVENT_READ
                if direction.sink is sock and direction.ready_to_flush(self.mode):
                    events |= selectors.EVENT_WRITE
            key = self.selector.get_map().get(sock)
            if events and key is None:
                self.selector.register(sock, events, pair)
            elif events and key is not None and key.events != events:
                self.selector.modify(sock, events, pair)
            elif not events and key is not None:
                self.selector.unregister(sock)

    # -- closing --------------------------------------------------------------------------

    def _close_pair(self, pair: _Pair) -> None:
        pair.closed = True
        for sock in (pair.client, pair.upstream):
            if self.selector.get_map().get(sock) is not None:
                self.selector.unregister(sock)
            sock.close()

    def _close_listener(self) -> None:
        if self.listener is None:
            return
        self.selector.unregister(self.listener)
        self.listener.close()
        self.listener = None
        if isinstance(self.listen_address, str):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.listen_address)

    def _close_everything(self) -> None:
        with contextlib.suppress(Exception):
            self._close_listener()
        for pair in self.pairs:
            if not pair.closed:
                with contextlib.suppress(Exception):
                    self._close_pair(pair)
        self.selector.close()


def _family_and_address(address: str | int) -> tuple[socket.AddressFamily, Any]:
    if isinstance(address, bool) or not isinstance(address, (str, int)):
        raise TypeError(f"an address is a TCP port (int) or a UNIX socket path (str), not {address!r}")
    if isinstance(address, int):
        if not 0 < address < 65536:
            raise ValueError(f"{address} is not a TCP port")
        return socket.AF_INET, ("127.0.0.1", address)
    if not address:
        raise ValueError("an empty UNIX socket path")
    return socket.AF_UNIX, address


def _listen(address: str | int, mode: str) -> socket.socket:
    family, where = _family_and_address(address)
    listener = socket.socket(family, socket.SOCK_STREAM)
    try:
        if family == socket.AF_INET:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if mode == "slow":
            _small_receive_buffer(listener)  # accepted sockets inherit it (and the TCP window)
        listener.bind(where)
        listener.listen(64)
        listener.setblocking(False)
    except BaseException:
        listener.close()
        raise
    return listener


def _connect(address: str | int, mode: str) -> socket.socket:
    family, where = _family_and_address(address)
    upstream = socket.socket(family, socket.SOCK_STREAM)
    try:
        if mode == "slow":
            _small_receive_buffer(upstream)  # before connect, so the TCP window starts small
        upstream.connect(where)
    except BaseException:
        upstream.close()
        raise
    return upstream


def _small_receive_buffer(sock: socket.socket) -> None:
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _SLOW_RCVBUF)


def proxy(listen: str | int, target: str | int, mode: str, seed: int, connections: int = 1) -> dict[str, int]:
    """Relay ``connections`` clients to ``target``, reshaping the stream as ``mode`` says.

    Args:
        listen: where clients connect: a TCP port on 127.0.0.1 (int), or a UNIX socket path
            (str; it must not exist yet, and it is removed once every client has come).
        target: where each client is relayed to: a TCP port on 127.0.0.1 or a UNIX path.
        mode: ``split``, ``merge``, ``slow`` or ``plain`` (see the module docstring).
        seed: seeds the piece sizes of ``split`` and ``slow``: the same seed, the same cuts.
        connections: how many clients to accept; the listener closes after the last one.

    Each client gets its own connection to the target, opened when it is accepted (a
    target that refuses it makes the proxy close that client: it reads end-of-file). Both
    directions are relayed until each side has sent end-of-file; a side's end-of-file is
    passed on (``shutdown(SHUT_WR)``) only after every byte before it, so half-closes work.
    A side that resets or stops receiving ends its direction; bytes it can no longer take
    are dropped.

    Returns:
        ``{"connections", "refused", "bytes_up", "bytes_down", "pieces_up", "pieces_down"}``:
        clients relayed; clients whose target connection failed; bytes relayed client to
        target ("up") and target to client ("down"); and the number of ``send`` calls that
        carried them, each way.

    Raises:
        ValueError: an unknown mode, a bad port or ``connections`` < 1.
        OSError: the listening address cannot be bound (e.g. EADDRINUSE).
    """
    if mode not in MODES:
        raise ValueError(f"unknown proxy mode {mode!r}; one of {', '.join(MODES)}")
    if isinstance(connections, bool) or not isinstance(connections, int) or connections < 1:
        raise ValueError(f"connections must be a positive integer, not {connections!r}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an integer, not {seed!r}")
    if isinstance(listen, str):
        _refuse_existing(listen)
    return _Proxy(listen, target, mode, seed, connections).run()


def _refuse_existing(path: str) -> None:
    """A listening path that exists is an error (never unlink something that is not ours)."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    kind = "a socket" if stat.S_ISSOCK(info.st_mode) else "a file"
    raise OSError(errno.EADDRINUSE, f"{path} already exists ({kind})", path)
