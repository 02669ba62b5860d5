"""Attack 28 (patch the harness in-process): the ``os:`` operations a spec uses to check a
pipe (``os:write``, ``os:read``, ``os:set_nonblocking``...) run in the actor runtime, inside
the student's own process. Patch that runtime so every ``os:`` operation on one end of the
pipe is done on the other end, and return the ends the wrong way round.

A wrong ``make_pipe`` then looks right: the kernel's counts of read and write ends are the
same either way, and every data check goes through the patched operations. Defence needed:
a check of the pipe that does not run in the student's process (an ``fds`` observation of
each descriptor's access mode, or a trusted peer holding the other end). Outcome wanted:
the grade equals an empty submission's.
"""

import os
import sys

import hostile_kit as kit

_OTHER_END = {}


def make_pipe():
    probe = kit.Probe("28")
    read_end, write_end = os.pipe()
    _OTHER_END.update({read_end: write_end, write_end: read_end})
    runtime = sys.modules.get("conformance.runner.actor")
    if runtime is None:
        probe.note("runtime", "not found")
    else:
        builtins = runtime.BUILTINS
        for name in ("read", "write", "write_all", "read_all", "close", "set_nonblocking", "fd_exists"):
            original = builtins[name]
            builtins[name] = lambda fd, *args, _original=original: _original(_OTHER_END.get(fd, fd), *args)
        probe.note("patched", sorted(builtins))
    probe.report()
    return write_end, read_end
