"""The closed vocabularies of the spec format, in one place.

Every name a spec may use from a fixed list (errno names, signal names, capabilities, ...)
is defined here, and both the JSON Schema (``schema.py``) and the linter (``linter.py``) read
these tuples, so an addition is made once. The tuples are sorted (or kept in the order the
format doc gives) so that the generated schema is byte-for-byte stable.

The errno and signal lists are written out rather than read from :mod:`errno` and
:mod:`signal` at import time: the schema file is committed, and it must not change with
the platform or Python version that happens to regenerate it. ``tests/spec/test_schema.py``
checks that they still cover what Linux CPython 3.11 knows.

Behaviour IDs come from ``behaviours.tsv`` beside this module: a snapshot of the research
catalogue (``ipc-behaviours.md``), taken once with a script, because that catalogue is not
shipped with the package.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType

#: Every errno name Linux CPython 3.11 knows, aliases included (``EWOULDBLOCK`` is
#: ``EAGAIN``; specs list both when either is acceptable).
ERRNO_NAMES: tuple[str, ...] = (
    "E2BIG", "EACCES", "EADDRINUSE", "EADDRNOTAVAIL", "EADV", "EAFNOSUPPORT", "EAGAIN",
    "EALREADY", "EBADE", "EBADF", "EBADFD", "EBADMSG", "EBADR", "EBADRQC", "EBADSLT",
    "EBFONT", "EBUSY", "ECANCELED", "ECHILD", "ECHRNG", "ECOMM", "ECONNABORTED",
    "ECONNREFUSED", "ECONNRESET", "EDEADLK", "EDEADLOCK", "EDESTADDRREQ", "EDOM", "EDOTDOT",
    "EDQUOT", "EEXIST", "EFAULT", "EFBIG", "EHOSTDOWN", "EHOSTUNREACH", "EIDRM", "EILSEQ",
    "EINPROGRESS", "EINTR", "EINVAL", "EIO", "EISCONN", "EISDIR", "EISNAM", "EKEYEXPIRED",
    "EKEYREJECTED", "EKEYREVOKED", "EL2HLT", "EL2NSYNC", "EL3HLT", "EL3RST", "ELIBACC",
    "ELIBBAD", "ELIBEXEC", "ELIBMAX", "ELIBSCN", "ELNRNG", "ELOOP", "EMEDIUMTYPE", "EMFILE",
    "EMLINK", "EMSGSIZE", "EMULTIHOP", "ENAMETOOLONG", "ENAVAIL", "ENETDOWN", "ENETRESET",
    "ENETUNREACH", "ENFILE", "ENOANO", "ENOBUFS", "ENOCSI", "ENODATA", "ENODEV", "ENOENT",
    "ENOEXEC", "ENOKEY", "ENOLCK", "ENOLINK", "ENOMEDIUM", "ENOMEM", "ENOMSG", "ENONET",
    "ENOPKG", "ENOPROTOOPT", "ENOSPC", "ENOSR", "ENOSTR", "ENOSYS", "ENOTBLK", "ENOTCONN",
    "ENOTDIR", "ENOTEMPTY", "ENOTNAM", "ENOTRECOVERABLE", "ENOTSOCK", "ENOTSUP", "ENOTTY",
    "ENOTUNIQ", "ENXIO", "EOPNOTSUPP", "EOVERFLOW", "EOWNERDEAD", "EPERM", "EPFNOSUPPORT",
    "EPIPE", "EPROTO", "EPROTONOSUPPORT", "EPROTOTYPE", "ERANGE", "EREMCHG", "EREMOTE",
    "EREMOTEIO", "ERESTART", "ERFKILL", "EROFS", "ESHUTDOWN", "ESOCKTNOSUPPORT", "ESPIPE",
    "ESRCH", "ESRMNT", "ESTALE", "ESTRPIPE", "ETIME", "ETIMEDOUT", "ETOOMANYREFS",
    "ETXTBSY", "EUCLEAN", "EUNATCH", "EUSERS", "EWOULDBLOCK", "EXDEV", "EXFULL",
)

#: Every signal name of :class:`signal.Signals` on Linux, aliases (``SIGCLD``, ``SIGIOT``,
#: ``SIGPOLL``) included.
SIGNAL_NAMES: tuple[str, ...] = (
    "SIGABRT", "SIGALRM", "SIGBUS", "SIGCHLD", "SIGCLD", "SIGCONT", "SIGFPE", "SIGHUP",
    "SIGILL", "SIGINT", "SIGIO", "SIGIOT", "SIGKILL", "SIGPIPE", "SIGPOLL", "SIGPROF",
    "SIGPWR", "SIGQUIT", "SIGRTMAX", "SIGRTMIN", "SIGSEGV", "SIGSTKFLT", "SIGSTOP",
    "SIGSYS", "SIGTERM", "SIGTRAP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGUSR1",
    "SIGUSR2", "SIGVTALRM", "SIGWINCH", "SIGXCPU", "SIGXFSZ",
)

#: Python exception kinds an interface function may be expected to raise (``raises:``).
ERROR_KINDS: tuple[str, ...] = (
    "AttributeError", "BlockingIOError", "BrokenPipeError", "ChildProcessError",
    "ConnectionError", "ConnectionRefusedError", "ConnectionResetError", "EOFError",
    "FileExistsError", "FileNotFoundError", "IndexError", "InterruptedError", "KeyError",
    "MemoryError", "NotImplementedError", "OSError", "PermissionError", "ProcessLookupError",
    "RuntimeError", "TimeoutError", "TypeError", "ValueError",
)

#: What a case may ``require``; the runner probes each at run time and skips the case
#: (never fails it) when one is missing.
CAPABILITIES: tuple[str, ...] = (
    "cgroup", "fifo", "file_lock", "inet", "inet6", "ipc_namespace", "mount_namespace",
    "net_namespace", "pid_namespace", "pipe", "posix_mqueue", "root", "signals", "sysv_msg",
    "sysv_sem", "sysv_shm", "unix_socket", "user_namespace",
)

#: The outcome of one graded item, in the order reports list them.
OUTCOMES: tuple[str, ...] = (
    "pass", "fail", "timeout", "crash", "leak", "skipped", "harness_error", "flaky",
)

#: What an ``observe`` step can look at (the kernel's view, not the actor's word).
OBSERVATIONS: tuple[str, ...] = ("exit", "fds", "pipe", "processes", "blocked", "running", "sysv", "signals")

#: Who may see a case's result (the values Gradescope honours).
VISIBILITIES: tuple[str, ...] = ("visible", "hidden", "after_due_date", "after_published")

#: The roles an actor can play: the implementation under test, or the trusted reference.
ROLES: tuple[str, ...] = ("subject", "reference")

#: The keys that make a mapping an encoded value rather than a plain mapping (values table).
VALUE_KEYS: tuple[str, ...] = ("str", "text", "hex", "gen")

#: The keys that make a mapping a matcher (matchers table), in the doc's order.
MATCHER_KEYS: tuple[str, ...] = (
    "text", "hex", "gen", "len", "type", "eq", "ne", "ge", "gt", "le", "lt",
    "one_of", "all_of", "items", "contains", "any",
)

#: The matcher keys that may share one mapping (``{ge: 1, le: 4096}``); any other matcher
#: key stands alone.
BOUND_KEYS: tuple[str, ...] = ("ge", "gt", "le", "lt")

#: The type names ``{type: ...}`` accepts.
TYPE_NAMES: tuple[str, ...] = (
    "int", "float", "str", "bytes", "bool", "list", "dict", "none", "object",
)

#: The runtime's built-in operations, called as ``os:<name>``, with their argument count.
BUILTIN_ARITY: Mapping[str, int] = MappingProxyType({
    "read": 2,  # os:read(fd, n)
    "write": 2,  # os:write(fd, data)
    "close": 1,  # os:close(fd)
    "getpid": 0,  # os:getpid()
    "exit": 1,  # os:exit(code)
    "set_nonblocking": 1,  # os:set_nonblocking(fd)
    "signal_default": 1,  # os:signal_default(signame)
    "fd_exists": 1,  # os:fd_exists(fd)
    "read_all": 1,  # os:read_all(fd): until end-of-file
    "write_all": 2,  # os:write_all(fd, data): loops over short writes
    "pipe": 0,  # os:pipe() -> [read_fd, write_fd]
    "proxy": 4,  # os:proxy(listen, target, mode, seed[, connections]): runner/proxy.py
})

#: The names of the built-in operations (without the ``os:`` prefix), sorted.
BUILTIN_OPS: tuple[str, ...] = tuple(sorted(BUILTIN_ARITY))


@dataclass(frozen=True, kw_only=True, slots=True)
class Behaviour:
    """One entry of the behaviour catalogue: a stable ID, its section and a summary."""

    id: str
    section: str
    summary: str


def _load_behaviours() -> Mapping[str, Behaviour]:
    """Read ``behaviours.tsv`` from the package, keyed by ID, in catalogue order."""
    text = resources.files(__package__).joinpath("behaviours.tsv").read_text("utf-8")
    rows = csv.DictReader(io.StringIO(text), delimiter="\t", quoting=csv.QUOTE_NONE)
    found = {row["id"]: Behaviour(**row) for row in rows}
    return MappingProxyType(found)


#: The behaviour catalogue, keyed by ID, in catalogue order.
BEHAVIOURS: Mapping[str, Behaviour] = _load_behaviours()

#: Every known behaviour ID.
BEHAVIOUR_IDS: frozenset[str] = frozenset(BEHAVIOURS)


def sections() -> tuple[str, ...]:
    """The catalogue's sections, in catalogue order."""
    return tuple(dict.fromkeys(b.section for b in BEHAVIOURS.values()))


#: Executable models a ``property`` step can name (``conformance/models``), with the
#: abstract operations each needs bound to the interface.
MODELS: dict[str, tuple[str, ...]] = {
    "msgqueue": ("open", "send", "receive", "close"),
    "framed_stream": ("open", "send", "receive", "close"),
}
