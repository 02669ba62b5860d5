"""Attack 11: exhaust a per-user kernel quota: pipe buffers (``fs.pipe-user-pages-soft``,
16384 pages by default, counted per user across the whole host). Past it, every *new* pipe
of any unprivileged process of the same user gets two pages instead of sixteen.

Grow pipes to 1 MiB until the kernel refuses, add plain pipes until fresh ones shrink, and
hold them while the neighbour case checks that its new pipe holds 64 KiB. Actors are root
without capabilities, so the neighbour's actors share this user's quota.

Defence needed: a distinct uid (or user namespace) per box, which the engine does not
have. Outcome wanted: the neighbour's fresh pipe still holds 64 KiB.

While held, *every* unprivileged process of this user on the machine gets small pipes, so
the quota is held only in the case with a reference peer (``H-PIPE``, the one the
neighbour runs next to), and given back at once in the others.
"""

import fcntl
import os

import hostile_kit as kit

F_SETPIPE_SZ, F_GETPIPE_SZ = 1031, 1032


def make_pipe():
    probe = kit.Probe("11")
    pipes = []
    growing = True
    while len(pipes) < 110:
        read_end, write_end = os.pipe()
        pipes.append((read_end, write_end))
        size = fcntl.fcntl(write_end, F_GETPIPE_SZ)
        if size < 65536:
            probe.note("fresh_pipe_bytes", size)
            break
        if growing:
            try:
                fcntl.fcntl(write_end, F_SETPIPE_SZ, 1 << 20)
            except PermissionError:
                growing = False  # at the soft limit: plain pipes push it over
    probe.note("pipes", len(pipes))
    probe.report()
    if len(kit.box_pids()) <= 2:  # init and this process: not the case the neighbour waits on
        for read_end, write_end in pipes:
            os.close(read_end)
            os.close(write_end)
        return kit.forged()
    kit.armed()
    kit.hold_forever()
