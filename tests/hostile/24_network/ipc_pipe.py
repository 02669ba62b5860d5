"""Attack 24: network exfiltration or fetching solutions: TCP to 1.1.1.1:53, UDP to
8.8.8.8:53, IPv6, a DNS lookup, the host's own listener on 127.0.0.1.

Defence: a network namespace per box with only ``lo``. Outcome: no interface but ``lo``,
and every attempt fails (ENETUNREACH, a resolver error, ECONNREFUSED).
"""

import socket

import hostile_kit as kit


def make_pipe():
    probe = kit.Probe("24")
    names = sorted(name for _, name in socket.if_nameindex())
    probe.note("interfaces", names)
    if names != ["lo"]:
        probe.breach(f"network interfaces in the box: {names}")
    port = int(kit.context().get("port", 8080))
    for label, family, kind, address in (
        ("tcp 1.1.1.1:53", socket.AF_INET, socket.SOCK_STREAM, ("1.1.1.1", 53)),
        ("udp 8.8.8.8:53", socket.AF_INET, socket.SOCK_DGRAM, ("8.8.8.8", 53)),
        ("tcp [2606:4700:4700::1111]:53", socket.AF_INET6, socket.SOCK_STREAM, ("2606:4700:4700::1111", 53)),
        (f"the host's listener 127.0.0.1:{port}", socket.AF_INET, socket.SOCK_STREAM, ("127.0.0.1", port)),
    ):
        with socket.socket(family, kind) as sock:
            sock.settimeout(1)
            probe.must_fail(f"connect to {label}", lambda sock=sock, address=address: _reach(sock, address))
    probe.must_fail("resolve example.com", lambda: socket.getaddrinfo("example.com", 80))
    probe.report()
    return kit.forged()


def _reach(sock, address):
    sock.connect(address)
    if sock.type == socket.SOCK_DGRAM:
        sock.send(b"\0" * 12)
