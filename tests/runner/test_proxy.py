"""The stream proxy (``conformance.runner.proxy``): relaying, reshaping, half-close, errors.

Each test runs the proxy in a thread of the test process, with peers made of plain sockets
(the target is a thread too), and waits for everything it started with bounded joins; there
are no sleeps: every wait is for an event (a connection, a byte, end-of-file).
"""

from __future__ import annotations

import errno
import select
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance.runner import proxy as proxy_module
from conformance.runner.proxy import proxy

#: Seconds any single join or blocking socket call may take before the test fails.
LIMIT = 20.0


class Background:
    """Run ``fn`` in a thread and keep its result or exception for :meth:`result`."""

    def __init__(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        self.value: Any = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(fn, args, kwargs), daemon=True)
        self.thread.start()

    def _run(self, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        try:
            self.value = fn(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - handed to the test by result()
            self.error = exc

    def result(self) -> Any:
        self.thread.join(LIMIT)
        assert not self.thread.is_alive(), "the background call did not finish"
        if self.error is not None:
            raise self.error
        return self.value


def _listener(path: Path) -> socket.socket:
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(8)
    server.settimeout(LIMIT)
    return server


def _receive_all(sock: socket.socket) -> tuple[bytes, list[int]]:
    """Read until end-of-file; return the bytes and the size of each recv."""
    data, sizes = bytearray(), []
    while chunk := sock.recv(1 << 20):
        data += chunk
        sizes.append(len(chunk))
    return bytes(data), sizes


def _target(listener: socket.socket, reply: Callable[[bytes], bytes] = lambda b: b) -> dict[str, Any]:
    """Accept one connection, read to end-of-file, answer ``reply(data)``, close."""
    conn, _ = listener.accept()
    with conn:
        conn.settimeout(LIMIT)
        data, sizes = _receive_all(conn)
        conn.sendall(reply(data))
    return {"data": data, "sizes": sizes}


def _client(path: Path) -> socket.socket:
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.settimeout(LIMIT)
    client.connect(str(path))
    return client


@pytest.fixture
def paths(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """A path for the proxy to listen on and one for the target."""
    yield tmp_path / "proxy.sock", tmp_path / "target.sock"


def _start_listening(listen: str | int, target: str | int, mode: str, seed: int = 1, connections: int = 1) -> Background:
    """Start the proxy in a thread and return once it listens (an event set by its listener)."""
    listening = threading.Event()
    original = proxy_module._listen

    def listen_then_tell(address: str | int, mode: str) -> socket.socket:
        listener = original(address, mode)
        listening.set()
        return listener

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(proxy_module, "_listen", listen_then_tell)
        call = Background(proxy, listen, target, mode, seed, connections)
        while not listening.wait(0.05):
            assert call.thread.is_alive(), f"the proxy ended before listening: {call.error!r}"
    return call


def _start(front: Path, back: Path, mode: str, seed: int = 1, connections: int = 1) -> Background:
    return _start_listening(str(front), str(back), mode, seed, connections)


def test_plain_relays_both_ways_and_counts(paths: tuple[Path, Path]) -> None:
    """plain mode relays the request and the answer unchanged and counts the bytes each way."""
    front, back = paths
    with _listener(back) as listener:
        target = Background(_target, listener, lambda b: b.upper())
        relay = _start(front, back, "plain")
        with _client(front) as client:
            client.sendall(b"hello proxy")
            client.shutdown(socket.SHUT_WR)
            answer, _ = _receive_all(client)
        assert answer == b"HELLO PROXY"
        assert target.result()["data"] == b"hello proxy"
        counts = relay.result()
    assert counts["connections"] == 1 and counts["refused"] == 0
    assert counts["bytes_up"] == 11 and counts["bytes_down"] == 11
    assert counts["pieces_up"] >= 1 and counts["pieces_down"] >= 1
    assert not front.exists(), "the listening path should be removed after the last client"


def test_split_cuts_the_stream_into_pieces_of_at_most_seven_bytes(paths: tuple[Path, Path]) -> None:
    """split mode forwards every byte in order, in pieces of 1 to 7 bytes."""
    front, back = paths
    payload = bytes(range(256)) * 40
    with _listener(back) as listener:
        target = Background(_target, listener)
        relay = _start(front, back, "split", seed=3)
        with _client(front) as client:
            client.sendall(payload)
            client.shutdown(socket.SHUT_WR)
            answer, _ = _receive_all(client)
        assert target.result()["data"] == payload
        counts = relay.result()
    assert answer == payload
    assert counts["pieces_up"] >= len(payload) // 7
    assert counts["pieces_down"] >= len(payload) // 7
    assert counts["bytes_up"] == counts["bytes_down"] == len(payload)


def test_split_is_reproducible_from_the_seed(paths: tuple[Path, Path]) -> None:
    """The same seed cuts the same short stream into the same number of pieces."""
    front, back = paths
    pieces = []
    for _ in range(2):
        with _listener(back) as listener:
            target = Background(_target, listener)
            relay = _start(front, back, "split", seed=42)
            with _client(front) as client:
                client.sendall(b"x" * 200)
                client.shutdown(socket.SHUT_WR)
                _receive_all(client)
            target.result()
            pieces.append(relay.result()["pieces_up"])
        back.unlink()
    assert pieces[0] == pieces[1]
    assert 200 // 7 <= pieces[0] <= 200


def test_merge_delivers_several_writes_in_one_read(paths: tuple[Path, Path]) -> None:
    """merge mode holds a side's writes until it half-closes, then forwards them as one."""
    front, back = paths
    with _listener(back) as listener:
        target = Background(_target, listener)
        relay = _start(front, back, "merge")
        with _client(front) as client:
            for part in (b"one,", b"two,", b"three"):
                client.sendall(part)
            client.shutdown(socket.SHUT_WR)
            answer, sizes = _receive_all(client)
        seen = target.result()
        counts = relay.result()
    assert seen["data"] == answer == b"one,two,three"
    assert seen["sizes"] == [13], "the target should read all three writes at once"
    assert counts["pieces_up"] == 1 and counts["pieces_down"] == 1


def test_merge_forwards_once_the_limit_is_held(paths: tuple[Path, Path]) -> None:
    """merge mode does not hold more than 64 KiB before forwarding (large transfers flow)."""
    front, back = paths
    payload = b"m" * (3 * 65536 + 17)
    with _listener(back) as listener:
        target = Background(_target, listener)
        relay = _start(front, back, "merge")
        with _client(front) as client:
            client.sendall(payload)
            client.shutdown(socket.SHUT_WR)
            answer, _ = _receive_all(client)
        assert target.result()["data"] == payload
        counts = relay.result()
    assert answer == payload
    assert counts["pieces_up"] >= 2


def test_slow_makes_a_non_blocking_sender_see_a_full_buffer(paths: tuple[Path, Path]) -> None:
    """slow mode reads in tiny pieces: a non-blocking sender's writes come back short or EAGAIN."""
    front, back = paths
    payload = bytes(range(256)) * 4096  # 1 MiB
    with _listener(back) as listener:
        target = Background(_target, listener, lambda b: b"ok")
        relay = _start(front, back, "slow", seed=9)
        with _client(front) as client:
            client.setblocking(False)
            view, short = memoryview(payload), 0
            while view:
                try:
                    sent = client.send(view)
                except BlockingIOError:
                    short += 1
                    sent = 0
                    select.select([], [client], [], LIMIT)
                if 0 < sent < len(view):
                    short += 1
                view = view[sent:]
            client.settimeout(LIMIT)
            client.shutdown(socket.SHUT_WR)
            answer, _ = _receive_all(client)
        assert target.result()["data"] == payload
        counts = relay.result()
    assert answer == b"ok"
    assert short > 0, "the sender never saw its buffer fill"
    assert counts["bytes_up"] == len(payload)


def test_half_close_is_passed_on_after_the_data(paths: tuple[Path, Path]) -> None:
    """A client's shutdown(SHUT_WR) reaches the target as end-of-file; answers still flow back."""
    front, back = paths
    with _listener(back) as listener:
        target = Background(_target, listener, lambda b: b[::-1])
        relay = _start(front, back, "split", seed=5)
        with _client(front) as client:
            client.sendall(b"abcdef")
            client.shutdown(socket.SHUT_WR)
            answer, _ = _receive_all(client)
        assert answer == b"fedcba"
        target.result()
        relay.result()


def test_a_refused_target_closes_the_client(paths: tuple[Path, Path]) -> None:
    """With nothing listening at the target, the client reads end-of-file and it is counted."""
    front, back = paths
    relay = _start(front, back, "plain")
    with _client(front) as client:
        assert client.recv(16) == b""
    counts = relay.result()
    assert counts["refused"] == 1 and counts["connections"] == 0


def test_several_connections_are_relayed_at_once(paths: tuple[Path, Path]) -> None:
    """With connections=2 both clients are relayed, each to its own target connection."""
    front, back = paths
    with _listener(back) as listener:
        relay = _start(front, back, "split", seed=7, connections=2)
        first, second = _client(front), _client(front)
        targets = [Background(_target, listener), Background(_target, listener)]
        with first, second:
            second.sendall(b"second")
            second.shutdown(socket.SHUT_WR)
            first.sendall(b"first")
            first.shutdown(socket.SHUT_WR)
            assert _receive_all(second)[0] == b"second"
            assert _receive_all(first)[0] == b"first"
        assert sorted(t.result()["data"] for t in targets) == [b"first", b"second"]
        counts = relay.result()
    assert counts["connections"] == 2
    assert counts["bytes_up"] == counts["bytes_down"] == 11


def test_a_client_that_vanishes_ends_its_connection(paths: tuple[Path, Path]) -> None:
    """A client that closes without reading the answer does not keep the proxy running."""
    front, back = paths
    with _listener(back) as listener:
        target = Background(_target, listener, lambda b: b * 1000)
        relay = _start(front, back, "plain")
        client = _client(front)
        client.sendall(b"bye")
        client.close()
        target.result()
        counts = relay.result()
    assert counts["bytes_up"] == 3


def test_tcp_listen_and_target(tmp_path: Path) -> None:
    """A TCP port on 127.0.0.1 works as the listening side (here with a UNIX path as the target)."""
    back = tmp_path / "target.sock"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with _listener(back) as listener:
        target = Background(_target, listener)
        relay = _start_listening(port, str(back), "plain")
        with socket.create_connection(("127.0.0.1", port), timeout=LIMIT) as client:
            client.sendall(b"over tcp")
            client.shutdown(socket.SHUT_WR)
            assert _receive_all(client)[0] == b"over tcp"
        target.result()
        assert relay.result()["bytes_up"] == 8


def test_tcp_target(tmp_path: Path) -> None:
    """A TCP port on 127.0.0.1 works as the target (here behind a UNIX listening path)."""
    front = tmp_path / "proxy.sock"
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.settimeout(LIMIT)
        target = Background(_target, listener)
        relay = _start_listening(str(front), listener.getsockname()[1], "split", 2)
        with _client(front) as client:
            client.sendall(b"to a tcp target")
            client.shutdown(socket.SHUT_WR)
            assert _receive_all(client)[0] == b"to a tcp target"
        target.result()
        assert relay.result()["bytes_down"] == 15


@pytest.mark.parametrize(("mode", "seed", "connections", "error"), [
    ("shuffle", 1, 1, ValueError),
    ("plain", 1, 0, ValueError),
    ("plain", "1", 1, TypeError),
])
def test_bad_arguments_are_refused(tmp_path: Path, mode: str, seed: Any, connections: int, error: type) -> None:
    """Unknown modes, a non-positive connection count and a non-integer seed are errors."""
    with pytest.raises(error):
        proxy(str(tmp_path / "p.sock"), str(tmp_path / "t.sock"), mode, seed, connections)


def test_an_existing_listening_path_is_refused(tmp_path: Path) -> None:
    """The proxy never replaces an existing path: EADDRINUSE, and the path is left alone."""
    path = tmp_path / "taken"
    path.write_text("not ours")
    with pytest.raises(OSError) as caught:
        proxy(str(path), str(tmp_path / "t.sock"), "plain", 1)
    assert caught.value.errno == errno.EADDRINUSE
    assert path.read_text() == "not ours"
