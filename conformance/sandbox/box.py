"""One box: the processes of one case, built in a fixed order of named steps.

Worked example of a box's life (pids as the host sees them)::

    zygote 100 ──fork──► supervisor 200   setsid; PDEATHSIG; unshare(IPC|NET|PID|NS|UTS[|USER])
                           └─fork──► init 201 (pid 1 inside)   mounts; lo up; hostname
                                       ├─fork──► actor "parent" 202 (pid 2 inside)
                                       └─fork──► actor "peer"   203 (pid 3 inside)

The orchestrator talks to each actor over its own channel, and to init over another, where
init reports every exit it reaps (actor or orphan) as ``{"type": "exit", "pid", "status"}``.
Teardown is one SIGKILL to init: the kernel then kills every process in the PID namespace,
the IPC and network namespaces die with their last member, the tmpfs mounts with the mount
namespace. The supervisor reaps init and exits; the zygote reaps the supervisor.

In *degraded* isolation (no namespaces) the supervisor skips ``unshare``; init is then a
child subreaper, so double-forked daemons stay findable, and the orchestrator kills the
box's processes one by one before init.

Invariants: the supervisor and init run only engine code; student code runs only in actor
processes, after they have closed every other descriptor, dropped capabilities and set
their limits.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import signal
import socket
import sys
from dataclasses import dataclass, replace
from typing import Any, NoReturn

from conformance.runner import actor, protocol
from conformance.sandbox import _libc, namespaces
from conformance.sandbox.limits import Limits, apply_rlimits

#: Environment an actor gets; nothing of the grader's environment is passed on.
_ACTOR_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": "/tmp", "PYTHONHASHSEED": "0"}


@dataclass(frozen=True, kw_only=True, slots=True)
class ActorLaunch:
    """How to start one actor: its name, role and the module file it loads."""

    name: str
    role: str
    module_name: str
    module_path: str


@dataclass(frozen=True, kw_only=True, slots=True)
class BoxRequest:
    """Everything the zygote needs to build a box; no spec, no expected value."""

    box_id: str
    full_isolation: bool
    user_namespace: bool
    limits: Limits
    actors: tuple[ActorLaunch, ...]
    #: Working directory of the actors (the private tmpfs when isolated).
    workdir: str
    #: Host folders the box must not see (the engine, specs, reference, results, cache).
    hidden: tuple[str, ...] = ()
    #: The box's cgroup folders (empty without cgroups): the supervisor joins them first.
    cgroups: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "op": "box",
            "box_id": self.box_id,
            "full_isolation": self.full_isolation,
            "user_namespace": self.user_namespace,
            "limits": self.limits.to_json(),
            "actors": [
                {"name": a.name, "role": a.role, "module_name": a.module_name, "module_path": a.module_path}
                for a in self.actors
            ],
            "workdir": self.workdir,
            "hidden": list(self.hidden),
            "cgroups": list(self.cgroups),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BoxRequest:
        return cls(
            box_id=str(data["box_id"]),
            full_isolation=bool(data["full_isolation"]),
            user_namespace=bool(data["user_namespace"]),
            limits=Limits.from_json(data["limits"]),
            actors=tuple(ActorLaunch(**a) for a in data["actors"]),
            workdir=str(data["workdir"]),
            hidden=tuple(str(h) for h in data.get("hidden", ())),
            cgroups=tuple(str(c) for c in data.get("cgroups", ())),
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class BoxChannels:
    """Descriptors a box is given, in the order they travel: init, output, then actors."""

    init: int
    output: int
    actors: tuple[int, ...]

    def all(self) -> tuple[int, ...]:
        return (self.init, self.output, *self.actors)


def run_supervisor(request: BoxRequest, channels: BoxChannels) -> NoReturn:
    """Body of the supervisor process (forked by the zygote); never returns."""
    try:
        # Its own session first: `kill(0, ...)` from inside must never reach the grader.
        os.setsid()
        # The zygote is single-threaded, so "parent thread died" means "zygote died".
        _libc.prctl(_libc.PR_SET_PDEATHSIG, signal.SIGKILL)
        # Into the box's cgroup before anything forks, so every process of the box counts.
        for folder in request.cgroups:
            with open(os.path.join(folder, "cgroup.procs"), "w", encoding="ascii") as procs:
                procs.write(str(os.getpid()))
        if request.full_isolation:
            namespaces.enter_namespaces(request.user_namespace)
        init = os.fork()
        if init == 0:
            run_init(request, channels)
    except BaseException as exc:  # noqa: BLE001 - report, then die: this is a harness failure
        _report_setup_failure(channels.init, exc)
        os._exit(71)
    for fd in channels.all():
        os.close(fd)
    _, status = os.waitpid(init, 0)
    os._exit(os.waitstatus_to_exitcode(status) & 0xFF)


def run_init(request: BoxRequest, channels: BoxChannels) -> NoReturn:
    """Body of the box's init (pid 1 when isolated): set up, start actors, reap, report."""
    try:
        _libc.prctl(_libc.PR_SET_PDEATHSIG, signal.SIGKILL)
        # The reference's source is opened now, before anything is hidden, and handed only to
        # reference actors as a descriptor: a subject actor can neither read the file (its
        # folder is never mounted in the box) nor inherit the descriptor (it closes it).
        sources = [_open_source(a) for a in request.actors]
        if request.full_isolation:
            folders = tuple(sorted({os.path.dirname(a.module_path) for a in request.actors if a.role != "reference"}))
            engine_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
            hidden = tuple(h for h in request.hidden if os.path.isdir(h))
            inside = namespaces.setup_mounts(request.limits.tmpfs_size, request.limits.tmpfs_inodes, folders,
                                             runtime=namespaces.runtime_paths(engine_root, hidden), hidden=hidden)
            request = _relocated(request, inside)
            namespaces.bring_up_loopback()
            namespaces.set_hostname("box")
        else:
            # Without a PID namespace, orphans would go to the host's init; keep them here.
            _libc.prctl(_libc.PR_SET_CHILD_SUBREAPER, 1)
        init_channel = socket.socket(fileno=channels.init)
        protocol.send(init_channel, {"type": "hello", "protocol": protocol.VERSION, "actor": "@init", "capabilities": []})
        for launch, fd, source in zip(request.actors, channels.actors, sources, strict=True):
            if os.fork() == 0:
                start_actor(request, launch, fd, channels.output, source)
        for fd in (channels.output, *channels.actors, *(s for s in sources if s is not None)):
            os.close(fd)
    except BaseException as exc:  # noqa: BLE001 - a setup failure is the grader's, report it
        _report_setup_failure(channels.init, exc)
        os._exit(71)
    _serve_init(init_channel)


def _open_source(launch: ActorLaunch) -> int | None:
    """A descriptor on a reference actor's module file; ``None`` for subject actors."""
    if launch.role != "reference":
        return None
    return os.open(launch.module_path, os.O_RDONLY)


def _relocated(request: BoxRequest, inside: dict[str, str]) -> BoxRequest:
    """The request with subject module paths rewritten to where the box sees them."""
    actors = tuple(
        a if a.role == "reference" else
        replace(a, module_path=os.path.join(inside[os.path.dirname(a.module_path)], os.path.basename(a.module_path)))
        for a in request.actors
    )
    return replace(request, actors=actors)


def _serve_init(channel: socket.socket) -> NoReturn:
    """Init's loop: reap every process of the box and report each exit; answer questions
    about the box that only a process inside its namespaces can see (its SysV objects).

    SIGCHLD wakes the loop through a wakeup pipe; the handler is installed only now, after
    the actors were forked, so no actor inherits it (or the pipe's descriptor number).
    """
    wake_read, wake_write = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    selector = selectors.DefaultSelector()
    selector.register(channel, selectors.EVENT_READ)
    selector.register(wake_read, selectors.EVENT_READ)
    _reap_ready(channel)  # children that ended before the handler existed
    while True:
        for key, _ in selector.select():
            if key.fileobj is channel:
                _answer(channel)
            else:
                with contextlib.suppress(BlockingIOError):
                    os.read(wake_read, 512)
                _reap_ready(channel)


def _reap_ready(channel: socket.socket) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        with contextlib.suppress(OSError):  # the orchestrator may be gone; the box dies next
            protocol.send(channel, {"type": "exit", "pid": pid, "status": status})


def _answer(channel: socket.socket) -> None:
    try:
        received = protocol.receive(channel)
    except (protocol.ProtocolError, OSError):
        os._exit(70)
    if received is None:  # the orchestrator is done with this box
        os._exit(0)
    message = received.message
    if message.get("op") == "sysv":
        value = {kind: _read_text(f"/proc/sysvipc/{kind}") for kind in ("msg", "shm", "sem")}
        protocol.send(channel, {"type": "reply", "id": message.get("id", 0), "status": "returned", "value": value})


def _read_text(path: str) -> str:
    try:
        with open(path, encoding="ascii") as handle:
            return handle.read()
    except OSError:
        return ""


def start_actor(request: BoxRequest, launch: ActorLaunch, channel_fd: int, output_fd: int,
                source_fd: int | None) -> NoReturn:
    """Turn a fresh child of init into an actor, then run the actor loop in it."""
    try:
        keep = (channel_fd, output_fd) if source_fd is None else (channel_fd, output_fd, source_fd)
        _confine(request, launch, keep=keep)
        _redirect_output(output_fd)
    except BaseException as exc:  # noqa: BLE001
        os.write(output_fd, f"conformance: actor setup failed: {exc}\n".encode())
        os._exit(71)
    channel = socket.socket(fileno=channel_fd)
    try:
        actor.serve(channel, launch.name, launch.role, launch.module_name, launch.module_path, source_fd=source_fd)
    finally:
        os._exit(1)  # never fall back into init's code with an exception


def _confine(request: BoxRequest, launch: ActorLaunch, keep: tuple[int, ...]) -> None:
    """The actor's own fences, in order; each comment says why it sits where it does."""
    os.setsid()  # its own session: signals to "my process group" stay inside the actor
    signal.set_wakeup_fd(-1)  # nothing of init's signal plumbing may follow into the actor
    _reset_signals()  # nor of the grader's: it may run under nohup or as a background job
    _close_other_fds(keep)  # nothing of init's or the grader's may leak into student code
    os.chdir(request.workdir)
    os.environ.clear()
    os.environ.update(_ACTOR_ENV)
    # Before dropping capabilities: lowering needs none, but raising back would need
    # CAP_SYS_RESOURCE, which the next two steps take away for good.
    apply_rlimits(request.limits, count_processes=request.full_isolation and request.user_namespace)
    _libc.prctl(_libc.PR_SET_NO_NEW_PRIVS, 1)
    _libc.drop_capabilities()
    _libc.prctl(_libc.PR_SET_PDEATHSIG, signal.SIGKILL)  # after the last credential change
    if launch.role == "reference":
        # A trusted peer shares the box with student code running as the same user: not
        # dumpable, its /proc/<pid>/fd, mem and environ are closed to them.
        _libc.prctl(_libc.PR_SET_DUMPABLE, 0)
    else:
        # Student code must not shadow the standard library: its folder goes last on the path.
        sys.path.append(os.path.dirname(launch.module_path))


def _reset_signals() -> None:
    """Give the actor the signal state a fresh ``python3`` has, whatever the grader's was.

    A grader started by ``nohup`` ignores SIGHUP, one started in the background ignores
    SIGINT and SIGQUIT, and a blocked mask is inherited too; a student's program must not
    see any of that. CPython's own defaults are kept: SIGINT raises KeyboardInterrupt,
    SIGPIPE and SIGXFSZ are ignored.
    """
    for number in signal.valid_signals():
        if number in (signal.SIGKILL, signal.SIGSTOP):
            continue
        with contextlib.suppress(OSError, ValueError):
            signal.signal(number, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_SETMASK, set())


def _close_other_fds(keep: tuple[int, ...]) -> None:
    highest = 1 << 16
    previous = 2
    for fd in sorted(keep):
        os.closerange(previous + 1, fd)
        previous = fd
    os.closerange(previous + 1, highest)


def _redirect_output(output_fd: int) -> None:
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(output_fd, 1)
    os.dup2(output_fd, 2)
    os.close(output_fd)
    # Line-buffered, so what a student printed before a crash or a kill is not lost.
    sys.stdout = open(1, "w", buffering=1, encoding="utf-8", errors="replace", closefd=False)
    sys.stderr = open(2, "w", buffering=1, encoding="utf-8", errors="replace", closefd=False)


def _report_setup_failure(init_fd: int, exc: BaseException) -> None:
    message = {"type": "setup_failed", "error": f"{type(exc).__name__}: {exc}"}
    try:
        os.write(init_fd, json.dumps(message).encode())
    except OSError:
        pass
