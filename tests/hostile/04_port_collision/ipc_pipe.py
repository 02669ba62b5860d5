"""Attack 4: port collision and cross-connection. Connect to the port the host is listening
on, then bind that same port (TCP and UDP) for the box's own server.

Defence: one network namespace per box, with only ``lo`` up. Outcome: the host's listener is
unreachable (ECONNREFUSED), the bind succeeds, and the box's client gets the box's nonce.
"""

import socket

import hostile_kit as kit


def make_pipe():
    probe = kit.Probe("04")
    port = int(kit.context().get("port", 8080))
    with socket.socket() as client:
        client.settimeout(1)
        code = client.connect_ex(("127.0.0.1", port))
        if code == 0:
            probe.breach(f"connected to the host's listener on port {port}")
        probe.note("connect_host", code)
    try:
        with socket.socket() as server, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as datagram:
            server.bind(("127.0.0.1", port))
            datagram.bind(("127.0.0.1", port))
            server.listen(1)
            with socket.create_connection(("127.0.0.1", port), timeout=1) as client:
                peer, _ = server.accept()
                with peer:
                    peer.sendall(b"box-nonce")
                    got = client.recv(64)
            if got != b"box-nonce":
                probe.breach(f"the box's own client read {got!r}")
    except OSError as exc:
        probe.breach(f"binding port {port} failed: {exc}")
    probe.report()
    return kit.forged()
