"""Detect, once per run, how well this host can isolate a box.

The answer is an :class:`Isolation` value that every report carries (invariant: degraded
isolation is never silent). The probe does the real thing in a throw-away child — unshare,
mount /proc and the tmpfs mounts, bring up loopback — because sysctls alone do not tell
(AppArmor, container seccomp profiles and missing capabilities all fail differently).
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from conformance.sandbox import cgroups, namespaces

#: Set to ``degraded`` to force degraded isolation (used by tests to simulate a host
#: without namespaces).
FORCE_ENV = "CONFORMANCE_ISOLATION"
#: Set to any value to run without cgroups (to measure or test the rlimit-only fences).
NO_CGROUPS_ENV = "CONFORMANCE_NO_CGROUPS"


@dataclass(frozen=True, kw_only=True, slots=True)
class Isolation:
    """What the host allows, and therefore how boxes are built."""

    #: ``full``: per-case namespaces; ``degraded``: sessions, subreaper and audits only.
    level: str
    root: bool
    user_namespace: bool
    #: Why isolation is degraded, in words for the report (empty when full).
    reason: str = ""
    #: ``v1``/``v2`` when each box gets a cgroup (process and memory limits), else ``""``.
    cgroups: str = ""

    @property
    def full(self) -> bool:
        return self.level == "full"

    def describe(self) -> str:
        """One line for reports: the level and, when degraded, why."""
        limits = f"cgroup {self.cgroups} limits" if self.cgroups else "no cgroups: rlimits only"
        if self.full:
            how = "root" if self.root else "user namespace"
            return f"full isolation (namespaces via {how}; {limits})"
        return f"DEGRADED isolation: {self.reason}; {limits}"

    def to_json(self) -> dict[str, object]:
        return {"level": self.level, "root": self.root, "user_namespace": self.user_namespace, "reason": self.reason,
                "cgroups": self.cgroups}


def detect() -> Isolation:
    """Probe the host and return the isolation level boxes will get."""
    root = os.geteuid() == 0
    forced = os.environ.get(FORCE_ENV, "")
    groups = "" if os.environ.get(NO_CGROUPS_ENV) else cgroups.version()
    if forced == "degraded":
        return Isolation(level="degraded", root=root, user_namespace=False, reason=f"forced by {FORCE_ENV}=degraded",
                         cgroups=groups)
    problem = _probe(with_user_namespace=not root)
    if problem:
        return Isolation(level="degraded", root=root, user_namespace=False, reason=problem, cgroups=groups)
    return Isolation(level="full", root=root, user_namespace=not root, cgroups=groups)


def _probe(with_user_namespace: bool) -> str:
    """Build a box in a fresh interpreter and return what failed, or an empty string.

    A fresh process, not a fork: the caller may be a multi-threaded pytest worker, where a
    forked child that goes on running Python can deadlock on a lock another thread held.
    """
    package_root = str(Path(__file__).resolve().parents[2])
    code = (f"import sys; sys.path.insert(0, {package_root!r}); from conformance.sandbox import preflight; "
            f"sys.exit(preflight._probe_child(1, {with_user_namespace!r}))")
    done = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, timeout=60)
    message = done.stdout.decode(errors="replace")[:4096]
    if done.returncode != 0 and not message:
        message = f"the probe process ended with status {done.returncode}: {done.stderr.decode(errors='replace')[-300:]}"
    return message


def _probe_child(report_fd: int, with_user_namespace: bool) -> int:  # pragma: no cover
    try:
        namespaces.enter_namespaces(with_user_namespace)
        pid = os.fork()  # the first child is pid 1 of the new PID namespace
        if pid == 0:
            try:
                namespaces.setup_mounts(1024 * 1024, 64)
                namespaces.bring_up_loopback()
                os._exit(0)
            except OSError as exc:
                os.write(report_fd, str(exc).encode())
                os._exit(1)
        _, status = os.waitpid(pid, 0)
        return 0 if os.waitstatus_to_exitcode(status) == 0 else 1
    except OSError as exc:
        os.write(report_fd, str(exc).encode())
        return 1


def capabilities(isolation: Isolation) -> frozenset[str]:
    """The capabilities (a spec's ``requires``) this host offers a box.

    The kernel features every Linux box has are always there; the rest follow from the
    isolation level and from what the host exposes.
    """
    offered = {"pipe", "fifo", "file_lock", "inet", "signals", "sysv_msg", "sysv_sem", "sysv_shm", "unix_socket"}
    if isolation.full:
        offered |= {"ipc_namespace", "mount_namespace", "net_namespace", "pid_namespace"}
    if isolation.user_namespace:
        offered.add("user_namespace")
    if isolation.root:
        offered.add("root")
    if isolation.cgroups:
        offered.add("cgroup")
    if os.path.isdir("/dev/mqueue"):
        offered.add("posix_mqueue")
    if os.path.exists("/proc/net/if_inet6"):
        offered.add("inet6")
    return frozenset(offered)
