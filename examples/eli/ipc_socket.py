"""Sockets: your implementation of the ``ipc_socket`` interface.

Replace every ``raise NotImplementedError`` with working code. Use only the standard
library (``socket``, ``selectors`` or ``select``, ``struct``, ``os``, ``signal``, and
``threading`` if you like). The grader runs your functions in real processes, talks to
them with its own trusted client, server and stream proxy, and looks at the kernel itself:
which descriptors each process holds, which processes exist, whether a call is blocked.

Four facts about sockets that every part below depends on:

* A server is ``socket()`` → ``bind(address)`` → ``listen()`` → ``accept()``, and
  ``accept`` returns a *new* socket per client while the listening socket keeps listening.
  UDP has no ``listen``/``accept``: ``recvfrom`` tells you who sent each datagram.
* A stream socket (TCP, AF_UNIX ``SOCK_STREAM``) is a byte stream: one ``send`` may need
  several ``recv`` calls, and one ``recv`` may return several messages. The grader puts a
  proxy in the middle that cuts, merges and slows the stream on purpose.
* ``recv`` returning ``b""`` means end-of-file: the peer closed. Writing to a peer that
  closed raises ``BrokenPipeError`` or ``ConnectionResetError``.
* Closing a socket does not remove its file: a ``"unix"`` server must ``os.unlink`` it.
"""

from __future__ import annotations

import socket

#: The families :func:`start_server` and :func:`connect` know.
FAMILIES = ("unix", "unix-abstract", "tcp4", "tcp6", "udp4")

#: The largest UDP payload over IPv4: receive datagrams with a buffer this big.
MAX_DATAGRAM = 65507


# --- addresses ---------------------------------------------------------------------------------


def server_address(family: str, directory: str, port: int, name: str = "ipc") -> str | int:
    """Return the address a server of ``family`` uses.

    * ``"unix"``: the path ``<directory>/<name>.sock`` (``os.path.join``);
    * ``"unix-abstract"``: the name ``"<name>-<port>"`` (your code binds ``"\\0" + name``);
    * ``"tcp4"``, ``"tcp6"``, ``"udp4"``: ``port`` itself (on 127.0.0.1, or ::1 for tcp6).

    Raises:
        ValueError: an unknown family.
    """
    raise NotImplementedError("server_address")


# --- messages over a stream ----------------------------------------------------------------------


def make_socketpair() -> tuple[socket.socket, socket.socket]:
    """Return two connected AF_UNIX **stream** sockets (``socket.socketpair``)."""
    raise NotImplementedError("make_socketpair")


def send_msg(sock: socket.socket, data: bytes) -> None:
    """Send one frame: ``len(data)`` as 4 bytes big-endian, then ``data``.

    The header is ``struct.pack(">I", len(data))``. Send header and payload with
    ``sock.sendall`` (``send`` may take only part of the buffer). A zero-length message is
    just the header.

    Raises:
        BrokenPipeError, ConnectionResetError: the peer is gone. Let them propagate.
    """
    raise NotImplementedError("send_msg")


def recv_msg(sock: socket.socket) -> bytes | None:
    """Receive one frame sent by :func:`send_msg` and return its payload.

    Loop on ``recv`` until you have the 4 header bytes, then until you have exactly the
    announced number of payload bytes. Each ``recv`` may return fewer bytes than you asked
    for; never ask for more than the rest of the current frame, because the bytes after it
    are the next message and must stay in the socket.

    Returns:
        The payload; ``b""`` for a zero-length message; ``None`` when end-of-file comes
        before the first header byte (a clean end between frames).

    Raises:
        EOFError: end-of-file after part of a header or part of a payload.
    """
    raise NotImplementedError("recv_msg")


# --- clients -------------------------------------------------------------------------------------


class Client:
    """One connected socket, client side: a stream (framed messages) or UDP (datagrams)."""

    def send(self, data: bytes) -> None:
        """Send one message: a frame on a stream, exactly one datagram on UDP.

        Raises:
            BrokenPipeError, ConnectionResetError: the server is gone (let them propagate).
        """
        raise NotImplementedError("Client.send")

    def recv(self) -> bytes | None:
        """Receive one message: a frame (``None`` at end-of-file), or one whole datagram
        (``b""`` for an empty datagram: on UDP that is a message, not end-of-file)."""
        raise NotImplementedError("Client.recv")

    def request(self, data: bytes) -> bytes:
        """Send one message and return the answer.

        Raises:
            EOFError: the server closed the connection instead of answering.
        """
        raise NotImplementedError("Client.request")

    def finish(self) -> None:
        """Half-close the connection: ``shutdown(SHUT_WR)``, not ``close()``.

        The server reads end-of-file after the messages already sent; their answers can
        still be received with :meth:`recv`.
        """
        raise NotImplementedError("Client.finish")

    def fileno(self) -> int:
        """Return the socket's descriptor number."""
        raise NotImplementedError("Client.fileno")

    def close(self) -> None:
        """Close the socket. For the client of :func:`socketpair_echo`, then wait for the
        worker (``os.waitpid``): it exits once it reads end-of-file."""
        raise NotImplementedError("Client.close")


def connect(family: str, address: str | int) -> Client:
    """Connect to the server at ``address`` and return a :class:`Client`.

    ``"unix"``: AF_UNIX stream to the path; ``"unix-abstract"``: AF_UNIX stream to
    ``"\\0" + address``; ``"tcp4"``: AF_INET to ``("127.0.0.1", port)``; ``"tcp6"``:
    AF_INET6 to ``("::1", port)``; ``"udp4"``: an AF_INET datagram socket, connected to
    ``("127.0.0.1", port)`` so that ``send``/``recv`` need no address.

    Raises:
        ConnectionRefusedError: nothing listens there. Do not retry; close the socket.
        FileNotFoundError: a ``"unix"`` path that does not exist.
    """
    raise NotImplementedError("connect")


def socketpair_echo() -> Client:
    """Fork a worker that echoes messages over a socketpair; return the parent's Client.

    Make the pair, ``fork()``. In the worker: close the parent's end (or it never reads
    end-of-file), answer every message with the same bytes (:func:`recv_msg` /
    :func:`send_msg`) until end-of-file, then ``os._exit(0)``; never return into the
    caller's code. In the parent: close the worker's end and return a :class:`Client`
    whose :meth:`Client.close` also reaps the worker.
    """
    raise NotImplementedError("socketpair_echo")


# --- servers -------------------------------------------------------------------------------------


class Server:
    """A listening (stream) or bound (UDP) socket and the clients it serves.

    The service is an echo: every message is answered with the same bytes (framed on a
    stream; one datagram back to its sender on UDP).
    """

    def address(self) -> str | int:
        """Return the address clients connect to: the path, the abstract name or the port."""
        raise NotImplementedError("Server.address")

    def serve(self, n_clients: int) -> int:
        """Serve ``n_clients`` clients **at the same time** and return the messages answered.

        Stream: accept ``n_clients`` connections and answer every message until each of
        those clients has closed its connection, then return (the listening socket stays
        open). Serving them one after the other is not enough: a client that is connected
        but silent would stop everyone. A client that stalls in the middle of a message,
        does not read its answers, or disconnects in the middle of a message must not hold
        up or crash the service. Two designs work:

        * one ``selectors`` loop over non-blocking sockets, with an input and an output
          buffer per connection (``send`` then takes only part of a buffer when the client
          is slow: keep the rest and wait for ``EVENT_WRITE``);
        * a thread or a forked worker per client (reap every worker before returning, and
          close the parent's copy of each accepted socket).

        Close each connection once its client has closed. UDP: answer ``n_clients``
        datagrams, each to the address ``recvfrom`` returned with it.
        """
        raise NotImplementedError("Server.serve")

    def serve_forever_until_signalled(self) -> int:
        """Serve any number of clients until SIGTERM, then shut down gracefully.

        Install a SIGTERM handler when the call starts; it only sets a flag and wakes the
        loop (``signal.set_wakeup_fd``, or a self-pipe). On SIGTERM: close the listening
        socket (and unlink a socket file) at once, so new clients are refused; close the
        connections that are idle; for a connection whose request has begun to arrive,
        read the rest, answer it, then close it. Put the previous SIGTERM handler back and
        return the number of messages answered.
        """
        raise NotImplementedError("Server.serve_forever_until_signalled")

    def close(self) -> None:
        """Close the listening socket and every connection; ``os.unlink`` a socket file."""
        raise NotImplementedError("Server.close")


def start_server(family: str, address: str | int) -> Server:
    """Create the server socket and return a :class:`Server`.

    Stream families: ``socket``, ``bind``, ``listen``. ``"udp4"``: ``socket``, ``bind``.

    * TCP: ``setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)`` *before* ``bind``, so that a
      restarted server gets its port back while old connections sit in TIME_WAIT.
    * ``"unix"``: ``bind`` fails with EADDRINUSE if the path exists. If it is a stale
      socket file (connecting to it raises ConnectionRefusedError: its server is gone),
      unlink it and bind again. If a server answers there, or the path is not a socket,
      raise the EADDRINUSE and leave the path alone.

    Raises:
        OSError: EADDRINUSE when the address is taken (close your socket first; do not try
            another address).
    """
    raise NotImplementedError("start_server")
