"""Sockets: the reference implementation of the ``ipc_socket`` interface.

What the interface teaches, one layer at a time:

* **The life of a server.** ``socket`` → ``bind`` → ``listen`` → ``accept`` → read and
  write → ``close``, for path and abstract UNIX sockets, TCP over IPv4 and IPv6 loopback,
  and UDP (no ``listen``/``accept``: each datagram names its sender).
* **Messages over a byte stream.** A stream socket keeps no boundaries: one ``send`` may
  need several ``recv`` calls and one ``recv`` may return several messages. :func:`send_msg`
  puts a 4-byte big-endian length in front of each payload and :func:`recv_msg` reads
  exactly that many bytes back, and no more, however the bytes arrive. Datagrams (UDP)
  keep their boundaries and need no framing.
* **Many clients, none trusted.** :class:`Server` serves every client at once with one
  ``selectors`` loop over non-blocking sockets, with a buffer per connection in each
  direction: a client that stalls mid-message, stops reading or vanishes mid-message costs
  the others nothing.
* **Errors are information.** Nothing listening: ``ECONNREFUSED`` (or ``ENOENT`` for a
  missing path). An address in use: ``EADDRINUSE``, except that a TCP server restarts on
  its port at once thanks to ``SO_REUSEADDR``, and a *stale* UNIX socket file (nobody
  listening behind it) is replaced. A peer that closed: end-of-file on reading,
  ``EPIPE``/``ECONNRESET`` on writing, passed on to the caller.
* **Cleaning up.** A server closes every descriptor it opened and unlinks its socket
  file; a forked worker is reaped; on ``SIGTERM`` a server stops accepting at once,
  finishes the requests already under way, and returns.
"""

from __future__ import annotations

import contextlib
import errno
import os
import selectors
import signal
import socket
import stat
import struct
from typing import Any

#: The families :func:`start_server` and :func:`connect` know.
FAMILIES = ("unix", "unix-abstract", "tcp4", "tcp6", "udp4")

#: The frame header: the payload length, 4 bytes, big-endian (network order).
_HEADER = struct.Struct(">I")

#: The largest payload a frame can announce.
MAX_MESSAGE = 2**32 - 1

#: The largest UDP payload over IPv4 (65535 - 20 bytes of IP header - 8 of UDP header).
MAX_DATAGRAM = 65507

#: How much to ask for per ``recv`` on a stream.
_CHUNK = 65536

#: Pending connections the kernel may queue before ``accept``.
_BACKLOG = 16


# --- addresses ----------------------------------------------------------------------------------


def server_address(family: str, directory: str, port: int, name: str = "ipc") -> str | int:
    """The address a server of ``family`` uses, from the configuration it is given.

    ``unix``: the socket file ``<directory>/<name>.sock``; ``unix-abstract``: the abstract
    name ``<name>-<port>`` (no file; the port keeps names of parallel runs apart); ``tcp4``,
    ``tcp6``, ``udp4``: the port itself, on the loopback address.
    """
    _check_family(family)
    if family == "unix":
        return os.path.join(directory, f"{name}.sock")
    if family == "unix-abstract":
        return f"{name}-{port}"
    return port


def _check_family(family: str) -> None:
    if family not in FAMILIES:
        raise ValueError(f"unknown family {family!r}; one of {', '.join(FAMILIES)}")


def _endpoint(family: str, address: str | int) -> tuple[socket.AddressFamily, socket.SocketKind, Any]:
    """The socket domain, type and ``sockaddr`` for ``family`` and ``address``."""
    _check_family(family)
    if family in ("unix", "unix-abstract"):
        if not isinstance(address, str) or not address:
            raise ValueError(f"a {family} address is a non-empty string, not {address!r}")
        # An abstract name starts with a NUL byte: the kernel keeps it, no file is made.
        return socket.AF_UNIX, socket.SOCK_STREAM, address if family == "unix" else "\0" + address
    if isinstance(address, bool) or not isinstance(address, int) or not 0 < address < 65536:
        raise ValueError(f"a {family} address is a port number, not {address!r}")
    if family == "tcp4":
        return socket.AF_INET, socket.SOCK_STREAM, ("127.0.0.1", address)
    if family == "tcp6":
        return socket.AF_INET6, socket.SOCK_STREAM, ("::1", address)
    return socket.AF_INET, socket.SOCK_DGRAM, ("127.0.0.1", address)


# --- messages over a stream ---------------------------------------------------------------------


def make_socketpair() -> tuple[socket.socket, socket.socket]:
    """Two connected AF_UNIX stream sockets: a full-duplex byte stream with no boundaries."""
    return socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)


def send_msg(sock: socket.socket, data: bytes) -> None:
    """Send one frame: ``len(data)`` as 4 bytes big-endian, then ``data``, with ``sendall``.

    ``send`` may take only part of a buffer; ``sendall`` loops until all of it is sent. A
    peer that has gone raises ``BrokenPipeError`` (EPIPE) or ``ConnectionResetError``: both
    are passed on.
    """
    if len(data) > MAX_MESSAGE:
        raise ValueError(f"a message holds at most {MAX_MESSAGE} bytes, not {len(data)}")
    sock.sendall(_HEADER.pack(len(data)) + bytes(data))


def recv_msg(sock: socket.socket) -> bytes | None:
    """Receive one frame sent by :func:`send_msg` and return its payload.

    Reads exactly the 4 header bytes and then exactly the announced payload, looping over
    short reads and never reading past the frame (the next frame stays in the socket).
    Returns ``None`` on end-of-file before the first header byte; ``b""`` is a zero-length
    message.

    Raises:
        EOFError: end-of-file inside a frame (the peer went away mid-message).
    """
    header = _recv_exact(sock, _HEADER.size, allow_clean_eof=True)
    if header is None:
        return None
    (length,) = _HEADER.unpack(header)
    payload = _recv_exact(sock, length, allow_clean_eof=False)
    assert payload is not None
    return payload


def _recv_exact(sock: socket.socket, n: int, *, allow_clean_eof: bool) -> bytes | None:
    buffer = bytearray()
    while len(buffer) < n:
        chunk = sock.recv(min(n - len(buffer), _CHUNK))
        if not chunk:
            if allow_clean_eof and not buffer:
                return None
            raise EOFError(f"end-of-file after {len(buffer)} of {n} bytes of a frame")
        buffer += chunk
    return bytes(buffer)


# --- clients ------------------------------------------------------------------------------------


class Client:
    """One connected socket seen from the client side (stream or datagram)."""

    def __init__(self, sock: socket.socket, *, datagram: bool = False, worker: int | None = None) -> None:
        self._sock: socket.socket | None = sock
        self._datagram = datagram
        self._worker = worker

    def send(self, data: bytes) -> None:
        """Send one message: a frame on a stream, one datagram on UDP."""
        sock = self._open()
        if self._datagram:
            sock.send(data)
        else:
            send_msg(sock, data)

    def recv(self) -> bytes | None:
        """Receive one message: a frame (``None`` at end-of-file) or one whole datagram."""
        sock = self._open()
        if self._datagram:
            return sock.recv(MAX_DATAGRAM)
        return recv_msg(sock)

    def request(self, data: bytes) -> bytes:
        """Send one message and return the answer.

        Raises:
            EOFError: the server closed the connection instead of answering.
        """
        self.send(data)
        answer = self.recv()
        if answer is None:
            raise EOFError("the server closed the connection without answering")
        return answer

    def finish(self) -> None:
        """Half-close: ``shutdown(SHUT_WR)``. The server reads end-of-file after the
        messages already sent, and answers can still be received."""
        if self._datagram:
            raise ValueError("a datagram socket has no stream to finish")
        self._open().shutdown(socket.SHUT_WR)

    def fileno(self) -> int:
        """The socket's descriptor."""
        return self._open().fileno()

    def close(self) -> None:
        """Close the socket; for a :func:`socketpair_echo` client, also reap its worker
        (which exits once it reads end-of-file). Closing twice does nothing."""
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        if self._worker is not None:
            os.waitpid(self._worker, 0)
            self._worker = None

    def _open(self) -> socket.socket:
        if self._sock is None:
            raise ValueError("this client is closed")
        return self._sock


def connect(family: str, address: str | int) -> Client:
    """Connect to the server at ``address`` and return a :class:`Client`.

    A stream connect fails with ``ConnectionRefusedError`` when nothing listens there
    (``FileNotFoundError`` for a ``unix`` path that does not exist); it is not retried.
    For ``udp4`` the socket is connected to the server's address: ``send`` needs no address
    and only the server's datagrams are received.
    """
    domain, kind, where = _endpoint(family, address)
    sock = socket.socket(domain, kind)
    try:
        sock.connect(where)
    except BaseException:
        sock.close()
        raise
    return Client(sock, datagram=kind == socket.SOCK_DGRAM)


def socketpair_echo() -> Client:
    """Fork a worker that echoes messages over a socketpair; return the parent's Client.

    Each process closes the end it does not use. The worker answers every message with
    the same bytes, and exits with status 0 at end-of-file (once the parent's end is
    closed); :meth:`Client.close` reaps it.
    """
    parent_end, child_end = make_socketpair()
    try:
        pid = os.fork()
    except OSError:
        parent_end.close()
        child_end.close()
        raise
    if pid == 0:  # the worker: it must never return into the caller's code
        status = 1
        try:
            parent_end.close()
            while (message := recv_msg(child_end)) is not None:
                send_msg(child_end, message)
            status = 0
        finally:
            os._exit(status)
    child_end.close()
    return Client(parent_end, worker=pid)


# --- servers ------------------------------------------------------------------------------------


class _Connection:
    """One accepted client: its socket, the bytes read but not yet framed, the answers not
    yet written."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.inbox = bytearray()
        self.outbox = bytearray()
        self.eof = False

    def take_requests(self) -> list[bytes]:
        """Cut every complete frame off the front of ``inbox``."""
        found = []
        while len(self.inbox) >= _HEADER.size:
            (length,) = _HEADER.unpack_from(self.inbox)
            if len(self.inbox) < _HEADER.size + length:
                break
            found.append(bytes(self.inbox[_HEADER.size:_HEADER.size + length]))
            del self.inbox[:_HEADER.size + length]
        return found

    @property
    def busy(self) -> bool:
        """A request has begun arriving, or an answer is not written yet."""
        return bool(self.inbox or self.outbox)


class Server:
    """A listening (or, for UDP, bound) socket and the clients it serves.

    Invariants: every accepted socket is non-blocking, registered with the selector while
    it is open, and closed exactly once; a ``unix`` server's socket file exists from
    :func:`start_server` until :meth:`close` (or a SIGTERM) and is then unlinked.
    """

    def __init__(self, family: str, address: str | int, sock: socket.socket, path_identity: tuple[int, int] | None) -> None:
        self._family = family
        self._address = address
        self._listener: socket.socket | None = sock
        self._path_identity = path_identity
        self._datagram = sock.type == socket.SOCK_DGRAM
        self._connections: dict[int, _Connection] = {}
        self._answered = 0

    def address(self) -> str | int:
        """The address clients connect to: the path, the abstract name, or the port."""
        return self._address

    # -- serving ---------------------------------------------------------------------------

    def serve(self, n_clients: int) -> int:
        """Serve ``n_clients`` clients, all at once, and return the requests answered.

        Stream: accept ``n_clients`` connections and answer each message with the same bytes
        until every one of them has closed; a client that stalls, stops reading or leaves
        mid-message does not hold up the others. UDP: answer ``n_clients`` datagrams, each
        to its sender. The listening socket stays open (see :meth:`close`).
        """
        self._answered = 0
        if self._datagram:
            return self._serve_datagrams(n_clients, None)
        return self._serve_streams(n_clients, None)

    def serve_forever_until_signalled(self) -> int:
        """Serve clients until SIGTERM; then shut down gracefully and return the requests
        answered.

        On SIGTERM: stop accepting at once (the listening socket is closed and a socket
        file unlinked, so new clients are refused); close the connections that are idle;
        finish every request already under way (part of it has arrived) and write its
        answer; close those connections too; return. The previous SIGTERM disposition is
        restored.
        """
        self._answered = 0
        wake_read, wake_write = socket.socketpair()
        wake_read.setblocking(False)
        wake_write.setblocking(False)
        stop = {"requested": False}

        def on_term(signum: int, frame: object) -> None:
            stop["requested"] = True  # the wakeup fd makes select() return

        previous_handler = signal.signal(signal.SIGTERM, on_term)
        previous_wakeup = signal.set_wakeup_fd(wake_write.fileno(), warn_on_full_buffer=False)
        try:
            wake = (wake_read, stop)
            if self._datagram:
                return self._serve_datagrams(None, wake)
            return self._serve_streams(None, wake)
        finally:
            signal.set_wakeup_fd(previous_wakeup)
            signal.signal(signal.SIGTERM, previous_handler)
            wake_read.close()
            wake_write.close()

    def close(self) -> None:
        """Close the listening socket and every connection, and unlink a socket file."""
        for connection in list(self._connections.values()):
            self._drop(connection, None)
        self._stop_listening()

    # -- the loops -------------------------------------------------------------------------

    def _serve_streams(self, limit: int | None, wake: tuple[socket.socket, dict[str, bool]] | None) -> int:
        listener = self._require_listener()
        accepted = 0
        selector = selectors.DefaultSelector()
        try:
            selector.register(listener, selectors.EVENT_READ, "accept")
            if wake is not None:
                selector.register(wake[0], selectors.EVENT_READ, "wake")
            for connection in self._connections.values():
                selector.register(connection.sock, selectors.EVENT_READ, connection)
            draining = False
            while True:
                if wake is not None and wake[1]["requested"] and not draining:
                    draining = True
                    selector.unregister(listener)
                    self._stop_listening()
                    for connection in list(self._connections.values()):
                        self._read(connection, selector)  # what has arrived is under way
                        if not connection.busy:
                            self._drop(connection, selector)
                if draining and not self._connections:
                    return self._answered
                if limit is not None and accepted >= limit and not self._connections:
                    return self._answered
                for key, events in selector.select():
                    if key.data == "accept":
                        accepted += self._accept(selector)
                        if limit is not None and accepted >= limit:
                            selector.unregister(listener)
                    elif key.data == "wake":
                        with contextlib.suppress(BlockingIOError):
                            wake[0].recv(64)  # type: ignore[index]
                    else:
                        connection = key.data
                        if events & selectors.EVENT_READ:
                            self._read(connection, selector)
                        if connection.sock.fileno() >= 0 and events & selectors.EVENT_WRITE:
                            self._write(connection, selector)
                        if draining and connection.sock.fileno() >= 0 and not connection.busy:
                            self._drop(connection, selector)
        finally:
            selector.close()

    def _accept(self, selector: selectors.BaseSelector) -> int:
        assert self._listener is not None
        try:
            sock, _ = self._listener.accept()
        except (BlockingIOError, InterruptedError, ConnectionAbortedError):
            return 0
        sock.setblocking(False)
        connection = _Connection(sock)
        self._connections[sock.fileno()] = connection
        selector.register(sock, selectors.EVENT_READ, connection)
        return 1

    def _read(self, connection: _Connection, selector: selectors.BaseSelector | None) -> None:
        while True:
            try:
                chunk = connection.sock.recv(_CHUNK)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:  # reset by the client: it is gone
                self._drop(connection, selector)
                return
            if not chunk:
                connection.eof = True
                break
            connection.inbox += chunk
        for request in connection.take_requests():
            connection.outbox += _HEADER.pack(len(request)) + request
            self._answered += 1
        if connection.eof and connection.inbox:
            # The client left in the middle of a message: nothing to answer, nobody to
            # answer to. Drop it; the server carries on.
            self._drop(connection, selector)
            return
        self._write(connection, selector)

    def _write(self, connection: _Connection, selector: selectors.BaseSelector | None) -> None:
        while connection.outbox:
            try:
                sent = connection.sock.send(connection.outbox)
            except (BlockingIOError, InterruptedError):
                break  # the client is not reading: wait until it does, serve the others
            except OSError:  # EPIPE / ECONNRESET: the client is gone
                self._drop(connection, selector)
                return
            del connection.outbox[:sent]  # send() may take only part of it
        if connection.eof and not connection.outbox:
            self._drop(connection, selector)
            return
        if selector is not None:
            events = selectors.EVENT_READ | (selectors.EVENT_WRITE if connection.outbox else 0)
            if connection.eof:
                events &= ~selectors.EVENT_READ
            selector.modify(connection.sock, events, connection)

    def _drop(self, connection: _Connection, selector: selectors.BaseSelector | None) -> None:
        if connection.sock.fileno() < 0:
            return
        if selector is not None and connection.sock in selector.get_map():
            selector.unregister(connection.sock)
        self._connections.pop(connection.sock.fileno(), None)
        connection.sock.close()

    def _serve_datagrams(self, limit: int | None, wake: tuple[socket.socket, dict[str, bool]] | None) -> int:
        sock = self._require_listener()
        selector = selectors.DefaultSelector()
        try:
            selector.register(sock, selectors.EVENT_READ, "datagram")
            if wake is not None:
                selector.register(wake[0], selectors.EVENT_READ, "wake")
            while limit is None or self._answered < limit:
                if wake is not None and wake[1]["requested"]:
                    self._stop_listening()
                    break
                for key, _ in selector.select():
                    if key.data == "wake":
                        with contextlib.suppress(BlockingIOError):
                            wake[0].recv(64)  # type: ignore[index]
                        continue
                    try:
                        data, sender = sock.recvfrom(MAX_DATAGRAM)  # one whole datagram
                    except (BlockingIOError, InterruptedError):
                        continue
                    sock.sendto(data, sender)
                    self._answered += 1
            return self._answered
        finally:
            selector.close()

    # -- the listening socket --------------------------------------------------------------

    def _require_listener(self) -> socket.socket:
        if self._listener is None:
            raise ValueError("this server is closed")
        return self._listener

    def _stop_listening(self) -> None:
        if self._listener is None:
            return
        self._listener.close()
        self._listener = None
        if self._family == "unix":
            _unlink_if_ours(str(self._address), self._path_identity)


def _unlink_if_ours(path: str, identity: tuple[int, int] | None) -> None:
    """Remove the socket file, unless someone else's file has taken the path since."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    if identity is None or (info.st_dev, info.st_ino) == identity:
        os.unlink(path)


def start_server(family: str, address: str | int) -> Server:
    """Create a server socket: ``socket``, ``bind``, ``listen`` (streams); ``bind`` (UDP).

    TCP sets ``SO_REUSEADDR`` before ``bind``, so a restarted server gets its port back at
    once even while old connections sit in TIME_WAIT (it never allows two listeners).

    A ``unix`` path that exists fails ``bind`` with EADDRINUSE. If it is a stale socket
    file (connecting to it is refused: its server is gone), it is removed and ``bind``
    is tried again; if a server is listening there, or the path is not a socket, the
    EADDRINUSE is passed on and the path left alone.

    Raises:
        OSError: EADDRINUSE (address taken), and the like.
    """
    domain, kind, where = _endpoint(family, address)
    sock = socket.socket(domain, kind)
    try:
        if family in ("tcp4", "tcp6"):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(where)
        except OSError as exc:
            if family != "unix" or exc.errno != errno.EADDRINUSE or not _remove_stale(str(address)):
                raise
            sock.bind(where)
        identity = None
        if family == "unix":
            info = os.lstat(str(address))
            identity = (info.st_dev, info.st_ino)
        if kind == socket.SOCK_STREAM:
            sock.listen(_BACKLOG)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return Server(family, address, sock, identity)


def _remove_stale(path: str) -> bool:
    """Remove ``path`` if it is a socket file nobody listens on; True if removed."""
    try:
        if not stat.S_ISSOCK(os.lstat(path).st_mode):
            return False
    except FileNotFoundError:
        return True  # gone meanwhile: bind again
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        try:
            probe.connect(path)
        except ConnectionRefusedError:
            os.unlink(path)
            return True
        except OSError:
            return False
    return False  # a server answered: the address is really in use
