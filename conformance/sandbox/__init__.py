"""The sandbox: how one case gets a box of its own, and how the box is proven gone.

Modules, in the order a box is built:

* ``preflight``: detect once what the host allows (root, user namespaces, cgroups).
* ``zygote``: the pristine process, exec'd once per worker, that forks every box.
* ``box``: supervisor → init (pid 1) → actors; each step a short named function.
* ``namespaces``: unshare, private mounts, read-only host, hidden folders, loopback.
* ``limits``: rlimits (soft == hard) an actor sets on itself.
* ``cgroups``: one cgroup per box for process and memory limits, where allowed.
* ``audit``: after teardown, check that nothing survived; clean up degraded boxes.
* ``_libc``: ctypes bindings for the calls Python 3.11 lacks (private).

Public names for other subpackages: :func:`protect_grader`.
"""

from __future__ import annotations

import contextlib

from conformance.sandbox import _libc


def protect_grader() -> None:
    """Make the calling grader process non-dumpable.

    Its memory holds specs and expected values; a process of the same user could otherwise
    read it through ``/proc/<pid>/mem``. Harmless where the call is refused.
    """
    with contextlib.suppress(OSError):
        _libc.prctl(_libc.PR_SET_DUMPABLE, 0)
