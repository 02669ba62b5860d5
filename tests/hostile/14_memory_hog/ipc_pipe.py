"""Attack 14: memory hog spread over processes: three children each fill 512 MiB (each one
well under RLIMIT_AS, 1.5 GiB together) and keep it.

Defence: a memory limit on the box's cgroup (1 GiB; the OOM killer ends a process of the
box, not of the host). Outcome: the three never hold their memory at once: a child, or the
box, is killed first; the grader's own memory is unaffected.
"""

import os

import hostile_kit as kit

CHILDREN = 3
EACH = 512 << 20


def make_pipe():
    probe = kit.Probe("14")
    done_read, done_write = os.pipe()
    for _ in range(CHILDREN):
        try:
            pid = os.fork()
        except OSError as exc:
            probe.note("fork", exc.errno)
            break
        if pid == 0:
            os.close(done_read)
            try:
                block = bytearray(EACH)
                block[::4096] = b"\x01" * (EACH // 4096)  # one byte per page: every page is really there
                os.write(done_write, b"+" if block[-4096] == 1 else b"?")
            except MemoryError:
                os.write(done_write, b"-")
            kit.hold_forever()
    os.close(done_write)
    filled = 0
    while filled < CHILDREN and (byte := os.read(done_read, 1)):
        filled += byte == b"+"
        probe.note("children_filled", filled)
        if filled == CHILDREN:
            probe.breach(f"{CHILDREN} processes hold {CHILDREN * EACH >> 20} MiB together: no memory limit on the box")
        probe.report()
    kit.armed()
    kit.hold_forever()
