"""Attack 5: path-named FIFO, path-named UNIX socket and abstract socket collisions, with
the exact names the host is holding, and a connection attempt to the host's abstract socket.

Defence: a private ``/tmp`` per box; the abstract namespace belongs to the network
namespace. Outcome: every create and bind succeeds, the host's socket is unreachable, and
traffic on the box's own socket stays in the box.
"""

import os
import socket

import hostile_kit as kit


def make_pipe():
    probe = kit.Probe("05")
    context = kit.context()
    fifo = str(context.get("fifo", "/tmp/fifo"))
    path = str(context.get("unix_path", "/tmp/sock"))
    abstract = "\0" + str(context.get("abstract", "sock"))
    os.makedirs(os.path.dirname(fifo), exist_ok=True)
    try:
        os.mkfifo(fifo)
    except FileExistsError:
        probe.breach(f"{fifo} already exists: the box shares /tmp with the host")
    with socket.socket(socket.AF_UNIX) as client:
        if client.connect_ex(abstract) == 0:
            probe.breach("connected to the host's abstract socket")
    try:
        with socket.socket(socket.AF_UNIX) as named, socket.socket(socket.AF_UNIX) as server:
            named.bind(path)
            server.bind(abstract)
            server.listen(1)
            with socket.socket(socket.AF_UNIX) as client:
                client.connect(abstract)
                peer, _ = server.accept()
                with peer:
                    peer.sendall(b"box-nonce")
                    got = client.recv(64)
            if got != b"box-nonce":
                probe.breach(f"the box's own client read {got!r}")
    except OSError as exc:
        probe.breach(f"binding the socket names failed: {exc}")
    probe.report()
    return kit.forged()
