"""Attack 22: steal the grader's memory. The grader holds a secret
(``HOSTILE-SECRET-`` + 32 hex digits; the probe knows only its SHA-256). Search this
process's own memory (inherited, were actors forked from the grader), then every other
process the box can see, and ``/proc/<grader>/mem``.

Defence: actors fork from a pristine zygote exec'd fresh, never from the grader; a PID
namespace; trusted processes not dumpable. Outcome: the secret is nowhere in reach.
"""

import hashlib
import os
import re

import hostile_kit as kit

NEEDLE = re.compile(rb"HOSTILE-SECRET-([0-9a-f]{32})")


def make_pipe():
    probe = kit.Probe("22")
    context = kit.context()
    wanted = str(context.get("secret_sha256", ""))
    if _found(os.getpid(), wanted):
        probe.breach("the grader's secret is in the submission's own memory")
    for pid in kit.box_pids():
        if pid == os.getpid():
            continue
        try:
            if _found(pid, wanted):
                probe.breach(f"the grader's secret is in the memory of pid {pid}")
            probe.breach(f"read the memory of pid {pid}")
        except OSError as exc:
            probe.note(f"mem {pid}", exc.errno)
    grader = int(context.get("grader", 0))
    if grader > 1:
        probe.must_fail("open /proc/<grader>/mem", lambda: kit.read_file(f"/proc/{grader}/mem"))
    probe.report()
    return kit.forged()


def _found(pid, wanted):
    with open(f"/proc/{pid}/maps", encoding="ascii") as maps, open(f"/proc/{pid}/mem", "rb", buffering=0) as memory:
        regions = [line.split() for line in maps]
        for region in regions:
            if not region[1].startswith("r") or (len(region) > 5 and region[5] in ("[vvar]", "[vsyscall]")):
                continue
            start, end = (int(x, 16) for x in region[0].split("-"))
            try:
                memory.seek(start)
                data = memory.read(min(end - start, 256 << 20))
            except (OSError, OverflowError, ValueError):
                continue
            for match in NEEDLE.finditer(data or b""):
                if hashlib.sha256(match.group(0)).hexdigest() == wanted:
                    return True
    return False
