"""Signals: the reference implementation of the ``ipc_signal`` interface.

What the interface teaches, one layer at a time:

* **Dispositions.** Each signal has one disposition per process: the default action, ignore,
  or a handler. :func:`install_counter`, :func:`ignore` and :func:`restore_default` set it;
  the kernel refuses all three for SIGKILL and SIGSTOP (``EINVAL``), and that refusal is
  passed on, never hidden. A handler stays installed after it ran.
* **Safe handlers.** A handler interrupts whatever the process was doing. The counter only
  adds one to a number; :func:`watch` only writes one byte to a non-blocking self-pipe.
  Neither takes a lock, prints, or waits: :func:`storm` holds :data:`OUTPUT_LOCK` (as a
  ``printf`` holds the stdio lock) while signals arrive, and a handler that wanted that lock
  would wait for itself forever.
* **Masks.** A blocked signal stays pending until it is unblocked (:func:`block`,
  :func:`unblock`, :func:`set_mask`, :func:`pending`). A standard signal is pending or not:
  three sends make one delivery. Real-time signals queue, one delivery per send, in order,
  each with the value :func:`queue` gave it; :func:`take_pending` and :func:`wait_for` accept
  them synchronously (``sigtimedwait``/``sigwaitinfo``), which is the only way to count them
  in Python (CPython runs a Python handler once for several deliveries).
* **Sending.** :func:`send` and :func:`send_group` are ``kill`` and ``killpg``; a missing
  target is ``ProcessLookupError`` (ESRCH), passed on. :func:`exists` is ``kill(pid, 0)``.
* **Children.** A child that ends stays a zombie until its parent waits for it. The parent
  hears of it through SIGCHLD (also when a child stops or continues), and must reap *every*
  ended child on each SIGCHLD: several exits may arrive as one signal.
  :func:`describe_status` decodes a wait status.
* **Inheritance.** ``fork`` copies dispositions and mask (the pending set starts empty);
  ``exec`` resets handlers to the default but keeps ignored signals and the mask
  (:func:`exec_probe`).
* **Interrupted calls.** A handler that returns lets CPython retry the interrupted call (PEP
  475, like SA_RESTART); a handler that raises ends it (like EINTR): :func:`next_signal`.
  Some calls are never restarted: ``msgrcv`` fails with EINTR whatever the handler does.
* **Graceful shutdown.** :func:`serve_until_signalled` is the classic assignment: on SIGINT
  or SIGTERM, even while blocked in ``msgrcv``, it stops its workers, reaps them, removes
  its message queue, puts the caller's handlers back, and returns.
"""

from __future__ import annotations

import ctypes
import errno
import os
import signal
import threading
import time

import sysv_ipc

#: The lock a printing routine holds while it writes; :func:`storm` holds it while signals
#: arrive. Handlers must never take it (or any lock).
OUTPUT_LOCK = threading.Lock()

#: Deliveries counted by the counting handler, per signal number (a preallocated list: the
#: handler only adds one to an integer, it never allocates a container or takes a lock).
_counts = [0] * (signal.NSIG + 1)

#: The write end of the self-pipe each watched signal writes to, per signal number.
_watch_fds: dict[int, int] = {}

#: Children the SIGCHLD reaper has reaped: (pid, description), in the order reaped.
_reaped: list[tuple[int, str]] = []

#: si_code of a signal sent with sigqueue.
_SI_QUEUE = -1

_libc = ctypes.CDLL(None, use_errno=True)


# --- names ------------------------------------------------------------------------------------


def _number(signame: str) -> int:
    """The number of ``signame``: a name of :class:`signal.Signals` (``"SIGUSR1"``), or a
    real-time signal written ``"SIGRTMIN+k"`` / ``"SIGRTMAX-k"``.

    Raises:
        ValueError: not a signal name (signal 0 included).
    """
    if not isinstance(signame, str):
        raise ValueError(f"a signal is named by a string such as 'SIGUSR1', not {signame!r}")
    for base, sign in (("SIGRTMIN+", 1), ("SIGRTMAX-", -1)):
        if signame.startswith(base):
            offset = signame[len(base):]
            if not offset.isdigit():
                break
            number = (signal.SIGRTMIN if sign > 0 else signal.SIGRTMAX) + sign * int(offset)
            if signal.SIGRTMIN <= number <= signal.SIGRTMAX:
                return number
            break
    else:
        try:
            return int(signal.Signals[signame])
        except KeyError:
            pass
    raise ValueError(f"{signame!r} is not the name of a signal")


def _name(number: int) -> str:
    """The name of signal ``number``: its :class:`signal.Signals` name, or ``SIGRTMIN+k``."""
    if signal.SIGRTMIN < number < signal.SIGRTMAX:
        return f"SIGRTMIN+{number - signal.SIGRTMIN}"
    return signal.Signals(number).name


def _names(numbers) -> list[str]:  # type: ignore[no-untyped-def]
    return [_name(int(n)) for n in sorted(int(n) for n in numbers)]


# --- dispositions -----------------------------------------------------------------------------


def _count(signum: int, _frame: object) -> None:
    # Async-signal-safe in spirit: one integer addition, nothing else.
    _counts[signum] += 1


def install_counter(signame: str) -> None:
    """Install a handler that counts the deliveries of ``signame`` in this process.

    The count starts at 0. The handler stays installed after it ran (a second delivery is
    counted too), and it only adds one to a number.

    Raises:
        OSError: EINVAL for SIGKILL and SIGSTOP, which cannot be caught.
    """
    number = _number(signame)
    _counts[number] = 0
    signal.signal(number, _count)


def deliveries(signame: str) -> int:
    """How many deliveries of ``signame`` the counting handler has counted in this process."""
    return _counts[_number(signame)]


def ignore(signame: str) -> None:
    """Set ``signame``'s disposition to ignore (SIG_IGN): deliveries are discarded.

    Raises:
        OSError: EINVAL for SIGKILL and SIGSTOP, which cannot be ignored.
    """
    signal.signal(_number(signame), signal.SIG_IGN)


def restore_default(signame: str) -> None:
    """Set ``signame``'s disposition back to its default action (SIG_DFL).

    Raises:
        OSError: EINVAL for SIGKILL and SIGSTOP, whose disposition cannot be set at all.
    """
    signal.signal(_number(signame), signal.SIG_DFL)


def _write_byte(signum: int, _frame: object) -> None:
    fd = _watch_fds.get(signum)
    if fd is None:
        return
    try:
        os.write(fd, bytes([signum]))
    except OSError:  # full (EAGAIN) or closed in a child: drop the byte, never wait
        pass


def watch(signames: list[str]) -> int:
    """The self-pipe trick: make each of ``signames`` write one byte to a new pipe.

    Installs, for every signal named, a handler that writes one byte (the signal's number)
    to the write end of a new pipe, and returns the read end. The write end is
    non-blocking: when the pipe is full the byte is dropped, so the handler never waits.
    """
    numbers = [_number(name) for name in signames]
    read_fd, write_fd = os.pipe()
    os.set_blocking(write_fd, False)
    for number in numbers:
        _watch_fds[number] = write_fd
        signal.signal(number, _write_byte)
    return read_fd


class Interrupted(Exception):
    """Raised by the handler :func:`next_signal` installs for ``interrupt_on``."""


def _interrupt(signum: int, _frame: object) -> None:
    raise Interrupted(_name(signum))


def next_signal(fd: int, interrupt_on: str | None = None) -> str | None:
    """Read one byte from a :func:`watch` pipe and return the name of the signal it stands for.

    This blocks in ``read`` until a watched signal arrives. A handler that returns (a
    counter, another watch) does not end the wait: CPython retries the read (PEP 475, what
    SA_RESTART does in C). When ``interrupt_on`` names a signal, a handler for it that
    raises is installed for the duration of the call, so that signal interrupts the read
    (EINTR in C): the call then returns ``None``. The previous disposition of
    ``interrupt_on`` is put back before returning, in every case.
    """
    number = _number(interrupt_on) if interrupt_on is not None else None
    previous = signal.signal(number, _interrupt) if number is not None else None
    try:
        data = os.read(fd, 1)
    except Interrupted:
        return None
    finally:
        if number is not None:
            signal.signal(number, previous)
    if not data:
        raise EOFError("the watch pipe has no writer left")
    return _name(data[0])


def storm(signame: str, n: int) -> None:
    """Send yourself ``signame`` ``n`` times while holding :data:`OUTPUT_LOCK`.

    One at a time: a process that signals itself with the signal unblocked has it
    delivered before ``kill`` returns, and CPython runs the Python handler right after, so
    each delivery is handled before the next send and none is merged with another.
    """
    number = _number(signame)
    pid = os.getpid()
    with OUTPUT_LOCK:  # as if the main code were in the middle of printing
        for _ in range(n):
            os.kill(pid, number)


# --- masks ------------------------------------------------------------------------------------


def _mask(how: int, signames: list[str]) -> list[str]:
    signal.pthread_sigmask(how, [_number(name) for name in signames])
    # CPython runs the handlers of signals the change unblocked before pthread_sigmask returns.
    return _names(signal.pthread_sigmask(signal.SIG_BLOCK, []))


def block(signames: list[str]) -> list[str]:
    """Add ``signames`` to the mask (SIG_BLOCK); return the mask, sorted by number.

    SIGKILL and SIGSTOP cannot be blocked: asking is not an error, they just never appear.
    """
    return _mask(signal.SIG_BLOCK, signames)


def unblock(signames: list[str]) -> list[str]:
    """Remove ``signames`` from the mask (SIG_UNBLOCK); return the mask, sorted by number.

    A pending signal that this unblocks is delivered (its handler runs) before returning.
    """
    return _mask(signal.SIG_UNBLOCK, signames)


def set_mask(signames: list[str]) -> list[str]:
    """Replace the mask with ``signames`` (SIG_SETMASK); return the mask, sorted by number."""
    return _mask(signal.SIG_SETMASK, signames)


def pending() -> list[str]:
    """The signals pending for this process (sigpending), sorted by number."""
    return _names(signal.sigpending())


class _Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


class _Sigval(ctypes.Union):
    _fields_ = [("sival_int", ctypes.c_int), ("sival_ptr", ctypes.c_void_p)]


class _Siginfo(ctypes.Structure):
    # The Linux layout (x86_64 and aarch64): signo, errno, code, padding, then a union whose
    # real-time member starts with si_pid, si_uid and si_value.
    _fields_ = [("si_signo", ctypes.c_int), ("si_errno", ctypes.c_int), ("si_code", ctypes.c_int),
                ("_pad", ctypes.c_int), ("si_pid", ctypes.c_int), ("si_uid", ctypes.c_uint),
                ("si_value", _Sigval), ("_rest", ctypes.c_byte * 96)]


_sigset_t = ctypes.c_byte * 128
_libc.sigtimedwait.argtypes = [ctypes.POINTER(_sigset_t), ctypes.POINTER(_Siginfo), ctypes.POINTER(_Timespec)]
_libc.sigwaitinfo.argtypes = [ctypes.POINTER(_sigset_t), ctypes.POINTER(_Siginfo)]
_libc.sigqueue.argtypes = [ctypes.c_int, ctypes.c_int, _Sigval]


def _sigset(signames: list[str]) -> _sigset_t:
    mask = _sigset_t()
    _libc.sigemptyset(ctypes.byref(mask))
    for name in signames:
        _libc.sigaddset(ctypes.byref(mask), _number(name))
    return mask


def _taken(info: _Siginfo) -> list[str | int | None]:
    value = info.si_value.sival_int if info.si_code == _SI_QUEUE else None
    return [_name(info.si_signo), value]


def take_pending(signames: list[str]) -> list[list[str | int | None]]:
    """Accept, without waiting, every pending instance of ``signames``, in delivery order.

    Uses ``sigtimedwait`` with a zero timeout until nothing is left. Each item is
    ``[name, value]``: ``value`` is the integer sent with :func:`queue`, or ``None`` for a
    signal sent otherwise (``kill``, the kernel). A standard signal is taken once however
    often it was sent; each real-time instance is taken separately, in the order sent.
    The signals should be blocked, or they are delivered to their handlers instead.
    """
    mask = _sigset(signames)
    zero = _Timespec(0, 0)
    taken = []
    while True:
        info = _Siginfo()
        if _libc.sigtimedwait(ctypes.byref(mask), ctypes.byref(info), ctypes.byref(zero)) > 0:
            taken.append(_taken(info))
            continue
        code = ctypes.get_errno()
        if code == errno.EINTR:
            continue
        if code == errno.EAGAIN:
            return taken
        raise OSError(code, os.strerror(code))


def wait_for(signames: list[str]) -> list[str | int | None]:
    """Wait (``sigwaitinfo``) until one of ``signames`` is pending, accept it, and return
    ``[name, value]`` as :func:`take_pending` does. The signals must be blocked."""
    mask = _sigset(signames)
    while True:
        info = _Siginfo()
        if _libc.sigwaitinfo(ctypes.byref(mask), ctypes.byref(info)) > 0:
            return _taken(info)
        code = ctypes.get_errno()
        if code != errno.EINTR:
            raise OSError(code, os.strerror(code))


# --- sending ----------------------------------------------------------------------------------


def send(pid: int, signame: str) -> None:
    """Send ``signame`` to process ``pid`` (kill).

    Raises:
        ProcessLookupError: ESRCH, no such process (a zombie still counts as existing).
    """
    os.kill(pid, _number(signame))


def send_group(pgid: int, signame: str) -> None:
    """Send ``signame`` to every process of process group ``pgid`` (killpg).

    Raises:
        ProcessLookupError: ESRCH, no process is in that group.
    """
    os.killpg(pgid, _number(signame))


def queue(pid: int, signame: str, value: int) -> None:
    """Send ``signame`` with an integer ``value`` to ``pid`` (sigqueue).

    Raises:
        ProcessLookupError: ESRCH, no such process.
        OSError: EAGAIN when the receiver's queue of real-time signals is full.
    """
    if _libc.sigqueue(pid, _number(signame), _Sigval(sival_int=value)) == 0:
        return
    code = ctypes.get_errno()
    if code == errno.ESRCH:
        raise ProcessLookupError(code, os.strerror(code))
    raise OSError(code, os.strerror(code))


def exists(pid: int) -> bool:
    """Whether process ``pid`` exists: ``kill(pid, 0)``, which sends nothing.

    A zombie exists until it is reaped; EPERM (someone else's process) also means it exists.
    """
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def wait_state(pid: int, states: str) -> str:
    """Wait until process ``pid`` is in one of the scheduler ``states`` and return that state.

    ``states`` is a string of the letters ``/proc/<pid>/stat`` shows: ``R`` running, ``S``
    sleeping, ``T`` stopped, ``Z`` zombie (e.g. ``"T"``, ``"RS"``). Re-reads the file until
    the state matches (a stop or a continue takes effect when the target next runs).

    Raises:
        ProcessLookupError: the process does not exist (or stopped existing).
    """
    delay = 0.0005
    while True:
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
                text = handle.read()
        except (FileNotFoundError, ProcessLookupError):
            raise ProcessLookupError(errno.ESRCH, f"no process {pid}") from None
        state = text.rpartition(")")[2].split()[0]
        if state in states:
            return state
        time.sleep(delay)
        delay = min(delay * 2, 0.01)


# --- children ---------------------------------------------------------------------------------


def describe_status(status: int) -> str:
    """A wait status in words: ``"exit N"``, ``"signal SIGX"``, ``"stopped SIGX"`` or
    ``"continued"`` (WIFEXITED/WEXITSTATUS, WIFSIGNALED/WTERMSIG, WIFSTOPPED/WSTOPSIG,
    WIFCONTINUED)."""
    if os.WIFEXITED(status):
        return f"exit {os.WEXITSTATUS(status)}"
    if os.WIFSIGNALED(status):
        return f"signal {_name(os.WTERMSIG(status))}"
    if os.WIFSTOPPED(status):
        return f"stopped {_name(os.WSTOPSIG(status))}"
    if os.WIFCONTINUED(status):
        return "continued"
    raise ValueError(f"{status:#x} is not a wait status")


def _close_inherited() -> None:
    os.closerange(3, os.sysconf("SC_OPEN_MAX"))


def _end_as(outcome: int | str) -> None:
    """In a fresh child: end with exit code ``outcome``, or killed by signal ``outcome``."""
    if isinstance(outcome, str):
        number = _number(outcome)
        if number not in (signal.SIGKILL, signal.SIGSTOP):
            signal.signal(number, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, [number])
        os.kill(os.getpid(), number)
        os._exit(127)  # only if the signal did not end the process
    os._exit(int(outcome))


def spawn_children(outcomes: list[int | str]) -> list[int]:
    """Fork one child per item of ``outcomes``, in order, and return their pids once every
    child has ended, without reaping any of them.

    An integer item is the child's exit code; a signal name is the signal that kills the
    child (it restores that signal's default action, unblocks it and sends it to itself).
    The ended children stay zombies until someone waits for them (``waitid`` with
    ``WNOWAIT`` waits for an end without reaping).
    """
    for outcome in outcomes:
        if isinstance(outcome, str) and _number(outcome) in (
                signal.SIGSTOP, signal.SIGTSTP, signal.SIGTTIN, signal.SIGTTOU):
            raise ValueError(f"{outcome} stops a process rather than ending it")
    pids = []
    for outcome in outcomes:
        pid = os.fork()
        if pid == 0:
            try:
                _end_as(outcome)
            finally:
                os._exit(127)
        pids.append(pid)
    for pid in pids:
        try:
            os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
        except ChildProcessError:
            pass  # already reaped (a SIGCHLD reaper, or SIGCHLD ignored)
    return pids


def spawn_idle(n: int) -> list[int]:
    """Fork ``n`` idle children, each the leader of a process group of its own, and return
    their pids.

    An idle child keeps the dispositions and mask it inherited and waits for signals
    forever: a signal whose action is to terminate or stop does so, a handled one runs the
    inherited handler and the child goes on waiting. It closes every inherited descriptor
    above 2.

    Each child gets its own process group, as a shell gives each job one: its parent is
    then in the same session but another group, so the group is not orphaned, and SIGTSTP
    (like SIGTTIN and SIGTTOU) can stop it. (In an orphaned group the kernel discards those
    three.) Parent and child both call ``setpgid``, as shells do, so the group exists by
    the time this returns, whichever of the two runs first.
    """
    pids = []
    for _ in range(n):
        pid = os.fork()
        if pid == 0:
            try:
                os.setpgid(0, 0)
                _close_inherited()
                while True:
                    signal.pause()
            finally:
                os._exit(0)
        try:
            os.setpgid(pid, pid)
        except OSError:  # the child did it first (and may already be gone): fine
            pass
        pids.append(pid)
    return pids


def wait_event(pid: int) -> str:
    """Wait for the next change of child ``pid`` (exit, death, stop or continue) and return
    it in words (:func:`describe_status`). A child that ended is reaped.

    Uses ``waitpid(pid, WUNTRACED | WCONTINUED)``.
    """
    _, status = os.waitpid(pid, os.WUNTRACED | os.WCONTINUED)
    return describe_status(status)


def reap_all() -> list[list[int | str]]:
    """Wait for every child of this process, ended or not yet, reaping each; return
    ``[pid, description]`` per child, sorted by pid (``[]`` when there is none)."""
    found = []
    while True:
        try:
            pid, status = os.waitpid(-1, 0)
        except ChildProcessError:
            break
        found.append([pid, describe_status(status)])
    return sorted(found)


def _reap(_signum: int, _frame: object) -> None:
    # One SIGCHLD may stand for several ended children: reap until none is left.
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        _reaped.append((pid, describe_status(status)))


def install_reaper() -> None:
    """Install a SIGCHLD handler that reaps every child that has ended, without waiting
    (``waitpid(-1, WNOHANG)`` until nothing is left), and records what it reaped."""
    signal.signal(signal.SIGCHLD, _reap)


def reaped() -> list[list[int | str]]:
    """``[pid, description]`` for each child the reaper has reaped, sorted by pid."""
    return sorted([pid, text] for pid, text in _reaped)


# --- exec -------------------------------------------------------------------------------------


def exec_probe(signame: str) -> str:
    """Fork a child that execs ``/bin/sh -c 'kill -N $$; exit 0'`` (N: the signal's number),
    wait for it, and return its status in words.

    The new program sends itself the signal: ``"signal SIGX"`` if the default action killed
    it, ``"exit 0"`` if it survived (the signal was ignored, or blocked). What it inherits
    across ``exec`` decides: handlers are reset to the default, ignored signals stay ignored,
    the mask stays.
    """
    number = _number(signame)
    pid = os.fork()
    if pid == 0:
        try:
            os.execv("/bin/sh", ["sh", "-c", f"kill -{number} $$; exit 0"])
        finally:
            os._exit(127)
    _, status = os.waitpid(pid, 0)
    return describe_status(status)


# --- graceful shutdown ------------------------------------------------------------------------


class _Shutdown(Exception):
    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _shutdown(signum: int, _frame: object) -> None:
    raise _Shutdown(signum)


def _worker() -> None:
    """A worker's life: default SIGTERM, nothing inherited, wait to be told to stop."""
    try:
        _close_inherited()
        for number in (signal.SIGTERM, signal.SIGINT):
            signal.signal(number, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, [])
        while True:
            signal.pause()
    finally:
        os._exit(0)


def serve_until_signalled(key: int, workers: int) -> str:
    """Run the server until SIGINT or SIGTERM; clean up; return that signal's name.

    The server creates a SysV message queue at ``key`` (it must not exist yet), forks
    ``workers`` worker processes (each restores SIGTERM's default action and waits), then
    serves requests: for each message of type 1 it sends the payload upper-cased back as a
    message of type 2. It waits in ``msgrcv``, which a signal interrupts with EINTR whatever
    the handler does: a signal other than SIGINT/SIGTERM must not stop the server.

    On SIGINT or SIGTERM (also while blocked in ``msgrcv``): send SIGTERM to each worker and
    reap it, remove the queue, put back the dispositions SIGINT and SIGTERM had before the
    call, and return ``"SIGINT"`` or ``"SIGTERM"``. The stopping signal is the server's own:
    the caller's handler does not see it.
    """
    mq = sysv_ipc.MessageQueue(key, sysv_ipc.IPC_CREX, 0o600)
    pids = []
    previous: dict[int, object] = {}
    stopped_by = 0
    try:
        for _ in range(workers):
            pid = os.fork()
            if pid == 0:
                _worker()
            pids.append(pid)
        for number in (signal.SIGINT, signal.SIGTERM):
            previous[number] = signal.signal(number, _shutdown)
        try:
            while True:
                try:
                    payload, _ = mq.receive(type=1)
                except sysv_ipc.Error as exc:
                    if type(exc) is not sysv_ipc.Error:  # ExistentialError etc.: not EINTR
                        raise
                    continue  # EINTR: a handler ran; _Shutdown, if it was ours, comes here
                mq.send(payload.upper(), type=2)
        except _Shutdown as stop:
            stopped_by = stop.signum
    finally:
        # No second SIGINT/SIGTERM may interrupt the cleanup; one that comes now is absorbed.
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGINT, signal.SIGTERM])
        try:
            for pid in pids:
                os.kill(pid, signal.SIGTERM)
            for pid in pids:
                os.waitpid(pid, 0)
            mq.remove()
            for number, handler in previous.items():
                signal.signal(number, handler)  # type: ignore[arg-type]
            while signal.sigtimedwait([signal.SIGINT, signal.SIGTERM], 0) is not None:
                pass
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    return _name(stopped_by)


def request(key: int, data: bytes) -> bytes:
    """A client of :func:`serve_until_signalled`: send ``data`` as a message of type 1 to the
    queue at ``key`` and return the answer (the payload of the next message of type 2).

    Raises:
        sysv_ipc.ExistentialError: no queue at ``key``.
    """
    mq = sysv_ipc.MessageQueue(key)
    mq.send(data, type=1)
    answer, _ = mq.receive(type=2)
    return bytes(answer)
