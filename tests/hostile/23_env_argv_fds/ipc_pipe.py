"""Attack 23: read secrets through the environment, argv and inherited descriptors:
``os.environ``, ``/proc/self/environ`` (the environment the process image started with),
``/proc/self/cmdline``, and every descriptor in ``/proc/self/fd``.

Defence: a cleared environment with an allow-list, nothing secret in argv, every
descriptor closed but the channel and the output. Outcome: only PATH, LANG, HOME and
PYTHONHASHSEED; no planted grader token; descriptors 0-2 plus one socket.
Breaches are prefixed ``environ:``, ``argv:`` or ``fd:``.
"""

import os
import stat

import hostile_kit as kit

ALLOWED = {"PATH", "LANG", "HOME", "PYTHONHASHSEED"}
TOKEN = "HOSTILE_GRADER_TOKEN"


def make_pipe():
    probe = kit.Probe("23")
    extra = sorted(set(os.environ) - ALLOWED)
    if extra:
        probe.breach(f"environ: os.environ holds {extra[:8]}")
    with open("/proc/self/environ", "rb") as handle:
        initial = [entry.split(b"=", 1)[0].decode(errors="replace") for entry in handle.read().split(b"\0") if entry]
    leaked = sorted(set(initial) - ALLOWED)
    if leaked:
        token = " (with the grader's planted token)" if TOKEN in leaked else ""
        probe.breach(f"environ: /proc/self/environ shows {len(leaked)} grader variables{token}, e.g. {leaked[:5]}")
    with open("/proc/self/cmdline", "rb") as handle:
        if TOKEN.encode() in handle.read():
            probe.breach("argv: the command line holds the grader's token")
    sockets = 0
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        try:
            mode = os.fstat(fd).st_mode
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue  # the descriptor listdir itself used
        if stat.S_ISSOCK(mode):
            sockets += fd > 2
        elif fd > 2:
            probe.breach(f"fd: descriptor {fd} leads to {target}")
    if sockets > 1:
        probe.breach(f"fd: {sockets} sockets beyond stdout/stderr (only the actor's channel should be there)")
    probe.note("sockets", sockets)
    probe.report()
    return kit.forged()
