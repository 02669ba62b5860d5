"""Signals: your implementation of the ``ipc_signal`` interface.

Replace every ``raise NotImplementedError`` with working code. Use the standard library
(``signal``, ``os``, ``threading``, ``ctypes``) and ``sysv_ipc`` for the server's message
queue. The grader runs each function in real processes, sends them real signals, and looks
at the kernel itself: which signals each process catches, ignores, blocks and has pending
(``/proc/<pid>/status``), which children exist and which are zombies, how each process
ended, which message queues exist. Read each docstring carefully.

Facts that every part below depends on:

* Signals are named by strings: a name of ``signal.Signals`` (``"SIGUSR1"``), or a
  real-time signal ``"SIGRTMIN"``, ``"SIGRTMIN+k"`` or ``"SIGRTMAX"``. Names you return use
  the same spelling (``signal.Signals(n).name`` for standard signals; ``SIGRTMIN+k`` for
  ``SIGRTMIN < n < SIGRTMAX``). Lists of names are sorted by signal number.
* A disposition is per process: default (``signal.SIG_DFL``), ignore (``signal.SIG_IGN``)
  or a handler. ``signal.signal`` returns the previous one. SIGKILL and SIGSTOP cannot be
  caught, ignored, or even set to SIG_DFL: ``signal.signal`` raises ``OSError`` (EINVAL).
* CPython runs a Python handler in the main thread, between two bytecodes, some time after
  the kernel delivered the signal. Several deliveries of one signal before that moment run
  the handler once. A system call interrupted by a handler that returns is retried (PEP
  475); one interrupted by a handler that raises fails with that exception.
* Every process you fork must end with ``os._exit``: never let it return into the
  caller's code.
"""

from __future__ import annotations

import threading

#: The lock that printing takes (as ``printf`` takes the stdio lock in C). ``storm`` holds it
#: while signals arrive. A handler must never take it, nor print, nor take any other lock.
OUTPUT_LOCK = threading.Lock()


# --- dispositions -----------------------------------------------------------------------------


def install_counter(signame: str) -> None:
    """Install a handler that counts the deliveries of ``signame`` in this process.

    The count (see :func:`deliveries`) starts at 0. The handler stays installed after it
    ran, and does nothing but add one to a number: no printing, no locks.

    Raises:
        OSError: EINVAL for SIGKILL and SIGSTOP. Let ``signal.signal``'s error propagate.
    """
    raise NotImplementedError("install_counter is not implemented yet")


def deliveries(signame: str) -> int:
    """How many deliveries of ``signame`` the counting handler has counted in this process."""
    raise NotImplementedError("deliveries is not implemented yet")


def ignore(signame: str) -> None:
    """Set ``signame``'s disposition to ignore: ``signal.SIG_IGN``, not a do-nothing handler.

    Raises:
        OSError: EINVAL for SIGKILL and SIGSTOP.
    """
    raise NotImplementedError("ignore is not implemented yet")


def restore_default(signame: str) -> None:
    """Set ``signame``'s disposition to its default action: ``signal.SIG_DFL``.

    Raises:
        OSError: EINVAL for SIGKILL and SIGSTOP (even SIG_DFL is refused for them).
    """
    raise NotImplementedError("restore_default is not implemented yet")


def watch(signames: list[str]) -> int:
    """The self-pipe trick: make each of ``signames`` write one byte to a new pipe.

    Create a pipe; make its write end non-blocking (``os.set_blocking(fd, False)``); for
    each signal, install a handler that writes one byte, the signal's number, to the write
    end, and drops the byte when the write fails (a full pipe: ``BlockingIOError``), so the
    handler never waits. Return the read end.
    """
    raise NotImplementedError("watch is not implemented yet")


def next_signal(fd: int, interrupt_on: str | None = None) -> str | None:
    """Read one byte from a :func:`watch` pipe and return the name of the signal it stands for.

    Block in ``os.read(fd, 1)``. A handler that returns normally (a counter, another watch)
    must not end the wait: CPython retries the read by itself (PEP 475), as SA_RESTART
    does in C. Do not wait with ``signal.pause()``: it returns after *any* handler.

    If ``interrupt_on`` names a signal, install for the duration of the call a handler for
    it that raises an exception of yours; catch it around the read and return ``None``
    (the read was interrupted, EINTR in C). In a ``finally`` block, put back the
    disposition ``signal.signal`` returned when you installed yours.
    """
    raise NotImplementedError("next_signal is not implemented yet")


def storm(signame: str, n: int) -> None:
    """Holding :data:`OUTPUT_LOCK`, send yourself ``signame`` ``n`` times, one at a time.

    A process that signals itself (``os.kill(os.getpid(), ...)``) with the signal unblocked
    has it delivered before ``kill`` returns, and CPython runs the handler right after: so
    each delivery is handled before the next send.
    """
    raise NotImplementedError("storm is not implemented yet")


# --- masks ------------------------------------------------------------------------------------


def block(signames: list[str]) -> list[str]:
    """Add ``signames`` to the mask (``signal.pthread_sigmask(signal.SIG_BLOCK, ...)``).

    Return the mask after the change, as names sorted by number. SIGKILL and SIGSTOP cannot
    be blocked: asking is not an error, and they never appear in the mask.
    """
    raise NotImplementedError("block is not implemented yet")


def unblock(signames: list[str]) -> list[str]:
    """Remove ``signames`` from the mask (SIG_UNBLOCK); return the mask after the change.

    A pending signal this unblocks is delivered, and its handler has run, when this returns.
    """
    raise NotImplementedError("unblock is not implemented yet")


def set_mask(signames: list[str]) -> list[str]:
    """Replace the mask with ``signames`` (SIG_SETMASK); return the mask after the change."""
    raise NotImplementedError("set_mask is not implemented yet")


def pending() -> list[str]:
    """The signals pending for this process (``signal.sigpending()``), sorted by number."""
    raise NotImplementedError("pending is not implemented yet")


def take_pending(signames: list[str]) -> list[list]:
    """Accept, without waiting, every pending instance of ``signames`` (which are blocked).

    Call ``sigtimedwait`` on the whole set with a zero timeout until nothing is left, and
    return ``[name, value]`` for each signal it gave, in that order (let the kernel choose
    the order). A standard signal is pending at most once; each real-time instance comes
    separately. ``value`` is the integer a sender passed to :func:`queue` (``si_code`` is
    ``SI_QUEUE``, -1; the value is ``si_value``), and ``None`` for a signal sent otherwise.

    The stdlib's ``signal.sigtimedwait`` does not give ``si_value``: call libc's through
    ``ctypes`` (``ctypes.CDLL(None, use_errno=True)``). On Linux ``sigset_t`` is 128 bytes
    (fill it with ``sigemptyset``/``sigaddset``) and ``siginfo_t`` is 128 bytes that start
    with ``int si_signo, si_errno, si_code``, 4 bytes of padding, ``int si_pid``,
    ``unsigned si_uid``, then the 8-byte ``si_value``. With nothing pending it fails with
    EAGAIN.
    """
    raise NotImplementedError("take_pending is not implemented yet")


def wait_for(signames: list[str]) -> list:
    """Wait (``sigwaitinfo``) until one of ``signames`` (blocked) is pending, accept it, and
    return ``[name, value]`` as :func:`take_pending` does. Retry on EINTR."""
    raise NotImplementedError("wait_for is not implemented yet")


# --- sending ----------------------------------------------------------------------------------


def send(pid: int, signame: str) -> None:
    """Send ``signame`` to process ``pid`` (``os.kill``).

    Raises:
        ProcessLookupError: ESRCH, the process does not exist. Never catch it: the signal
            was lost, and the caller must know.
    """
    raise NotImplementedError("send is not implemented yet")


def send_group(pgid: int, signame: str) -> None:
    """Send ``signame`` to every process of process group ``pgid`` (``os.killpg``).

    Raises:
        ProcessLookupError: ESRCH, no process is in that group.
    """
    raise NotImplementedError("send_group is not implemented yet")


def queue(pid: int, signame: str, value: int) -> None:
    """Send ``signame`` to ``pid`` with an integer ``value`` (``sigqueue``, through ctypes:
    its third argument is a ``union sigval`` of an int and a pointer).

    Raises:
        ProcessLookupError: ESRCH, the process does not exist.
    """
    raise NotImplementedError("queue is not implemented yet")


def exists(pid: int) -> bool:
    """Whether process ``pid`` exists: ``os.kill(pid, 0)`` sends nothing, it only checks.

    A zombie exists until it is reaped. ProcessLookupError means False; PermissionError
    (someone else's process) means True.
    """
    raise NotImplementedError("exists is not implemented yet")


def wait_state(pid: int, states: str) -> str:
    """Wait until process ``pid`` is in one of the scheduler ``states`` and return that state.

    The state is the letter after the command name in ``/proc/<pid>/stat`` (split after the
    *last* ``)``): ``R`` running, ``S`` sleeping, ``T`` stopped, ``Z`` zombie. Re-read the
    file until it matches: a stop or a continue takes effect when the target next runs.

    Raises:
        ProcessLookupError: there is no such process.
    """
    raise NotImplementedError("wait_state is not implemented yet")


# --- children ---------------------------------------------------------------------------------
#
# A wait status is described in words: "exit N" (WIFEXITED, WEXITSTATUS), "signal SIGX"
# (WIFSIGNALED, WTERMSIG), "stopped SIGX" (WIFSTOPPED, WSTOPSIG) or "continued"
# (WIFCONTINUED). Check which case applies before decoding.


def spawn_children(outcomes: list[int | str]) -> list[int]:
    """Fork one child per item of ``outcomes``, in order; return their pids once every one
    has ended, without reaping any.

    An integer is the child's exit code (``os._exit(code)``). A signal name is the signal
    that ends the child: it restores that signal's default action, unblocks it and sends it
    to itself. Wait for each child to end with ``os.waitid(os.P_PID, pid, os.WEXITED |
    os.WNOWAIT)``, which leaves it a zombie; ``ChildProcessError`` there means it was
    already reaped (by a SIGCHLD handler, or because SIGCHLD is ignored).
    """
    raise NotImplementedError("spawn_children is not implemented yet")


def spawn_idle(n: int) -> list[int]:
    """Fork ``n`` idle children and return their pids.

    Each child keeps the dispositions and mask it inherited, closes every inherited
    descriptor above 2, and waits for signals forever (``signal.pause()`` in a loop).
    Each leads a process group of its own: the child calls ``os.setpgid(0, 0)`` and the
    parent ``os.setpgid(pid, pid)`` (ignoring an error: the child may have done it first),
    as a shell does for each job. The kernel discards SIGTSTP sent to a process whose group
    is orphaned; a group whose leader's parent is in the same session is not orphaned.
    """
    raise NotImplementedError("spawn_idle is not implemented yet")


def wait_event(pid: int) -> str:
    """Wait for the next change of child ``pid`` (``os.waitpid(pid, os.WUNTRACED |
    os.WCONTINUED)``: exit, death, stop or continue) and return it in words."""
    raise NotImplementedError("wait_event is not implemented yet")


def reap_all() -> list[list]:
    """Wait for every child of this process, reaping each (``os.waitpid(-1, 0)`` until
    ``ChildProcessError``); return ``[pid, description]`` per child, sorted by pid."""
    raise NotImplementedError("reap_all is not implemented yet")


def install_reaper() -> None:
    """Install a SIGCHLD handler that reaps, without waiting, every child that has ended,
    and records ``(pid, description)`` for each.

    One SIGCHLD may stand for several children (standard signals do not queue): loop on
    ``os.waitpid(-1, os.WNOHANG)`` until it returns pid 0 or raises ``ChildProcessError``.
    """
    raise NotImplementedError("install_reaper is not implemented yet")


def reaped() -> list[list]:
    """``[pid, description]`` for every child the reaper has reaped, sorted by pid."""
    raise NotImplementedError("reaped is not implemented yet")


# --- exec -------------------------------------------------------------------------------------


def exec_probe(signame: str) -> str:
    """Fork a child that runs ``os.execv("/bin/sh", ["sh", "-c", "kill -N $$; exit 0"])``
    (N: the signal's number), wait for it, and return its status in words.

    ``"signal SIGX"`` if the signal killed the new program, ``"exit 0"`` if it survived.
    Exec resets handlers to the default action (the handler's code is gone) and keeps
    ignored signals and the mask.
    """
    raise NotImplementedError("exec_probe is not implemented yet")


# --- graceful shutdown ------------------------------------------------------------------------


def serve_until_signalled(key: int, workers: int) -> str:
    """Run the server until SIGINT or SIGTERM, clean up, and return that signal's name.

    1. Create a SysV message queue at ``key``: ``sysv_ipc.MessageQueue(key,
       sysv_ipc.IPC_CREX, 0o600)``.
    2. Fork ``workers`` workers. Each restores SIGTERM's and SIGINT's default action (it
       inherited the caller's handlers), unblocks every signal, closes inherited
       descriptors, and waits (``signal.pause()`` in a loop) until SIGTERM ends it.
    3. Install handlers for SIGINT and SIGTERM, keeping the previous dispositions.
    4. Serve: receive a message of type 1 and send its payload upper-cased back as a
       message of type 2, again and again. ``receive`` blocks in ``msgrcv``, which any
       handled signal interrupts: ``sysv_ipc.Error`` (EINTR), whatever the handler does.
       After another signal (SIGUSR1, SIGCHLD...) go back to receiving. After SIGINT or
       SIGTERM, stop: a handler that only sets a flag is fine if you look at the flag
       after EINTR; a handler that raises is fine if you catch it.
    5. Clean up: send SIGTERM to each worker and reap it (``os.waitpid``), remove the
       queue, put back the previous dispositions of SIGINT and SIGTERM; return
       ``"SIGINT"`` or ``"SIGTERM"``. The signal that stopped the server was the server's:
       do not pass it on to the caller's handler.
    """
    raise NotImplementedError("serve_until_signalled is not implemented yet")


def request(key: int, data: bytes) -> bytes:
    """A client of the server: send ``data`` as a message of type 1 to the queue at ``key``
    and return the payload of the next message of type 2."""
    raise NotImplementedError("request is not implemented yet")
