"""The actor runtime: the loop that runs inside a box process and calls the implementation.

This is the only engine code that shares a process with student code, so it is small and
holds nothing worth stealing: no spec, no expected value, no other case. It receives one
operation at a time from the orchestrator, performs it, and replies with what happened —
the value returned or the error raised. It never judges anything; the trusted side does.

Operations (see ``docs/protocol.md``)::

    {"op": "load", "id": 1}                               import the module under test
    {"op": "call", "id": 2, "fn": "make_pipe", "args": [], "kwargs": {}}
    {"op": "call", "id": 3, "target": {"$handle": 0}, "method": "send", "args": [...]}
    {"op": "call", "id": 4, "builtin": "read", "args": [3, 100]}
    {"op": "spawn", "id": 5, "actor": "child"}            + one descriptor (the child's channel)
    {"op": "exit", "id": 6, "code": 0}
"""

from __future__ import annotations

import errno
import fcntl
import importlib.util
import os
import signal
import socket
import sys
import traceback
from collections.abc import Callable
from types import ModuleType
from typing import Any, NoReturn

from conformance.runner import protocol, proxy, values

#: Exit code of an actor whose orchestrator broke the protocol (never a student fault).
EXIT_PROTOCOL = 70


class _Actor:
    """State of one actor process.

    Invariants: ``handles`` only grows (handle numbers are never reused within a case);
    after a spawn the child keeps a copy of everything, exactly as ``fork()`` does.
    """

    def __init__(self, channel: socket.socket, name: str, role: str, module_name: str, module_path: str,
                 source_fd: int | None = None) -> None:
        self.channel = channel
        self.name = name
        self.role = role
        self.module_name = module_name
        self.module_path = module_path
        #: The module's source as a descriptor (reference actors: the file itself is hidden).
        self.source_fd = source_fd
        self.module: ModuleType | None = None
        self.load_error: dict[str, Any] | None = None
        self.handles: list[Any] = []

    # -- the loop -------------------------------------------------------------------------

    def serve(self) -> NoReturn:
        self.hello()
        while True:
            try:
                received = protocol.receive(self.channel)
            except protocol.ProtocolError:
                os._exit(EXIT_PROTOCOL)
            except BaseException:  # noqa: BLE001 - a student's signal handler raised while idle
                # As a Python program would: show the traceback (it reaches the student's
                # output) and end with status 1; no call is pending to carry the error.
                traceback.print_exc()
                sys.stderr.flush()
                os._exit(1)
            if received is None:  # the orchestrator is done with us
                os._exit(0)
            self.handle(received.message, received.fds)

    def hello(self) -> None:
        protocol.send(
            self.channel,
            {
                "type": "hello",
                "protocol": protocol.VERSION,
                "actor": self.name,
                "role": self.role,
                "pid": os.getpid(),
                "channel_fd": self.channel.fileno(),
                "capabilities": ["load", "call", "builtin", "spawn", "exit"],
            },
        )

    def handle(self, message: dict[str, Any], fds: tuple[int, ...]) -> None:
        op, ident = message.get("op"), message.get("id")
        if not isinstance(ident, int):
            os._exit(EXIT_PROTOCOL)
        if op == "load":
            self.reply(ident, self.load())
        elif op == "call":
            self.reply(ident, self.call(message))
        elif op == "spawn" and len(fds) == 1:
            self.spawn(ident, fds[0], str(message.get("actor", "child")))
        elif op == "exit":
            os._exit(int(message.get("code", 0)))
        else:
            os._exit(EXIT_PROTOCOL)

    def reply(self, ident: int, body: dict[str, Any]) -> None:
        message = {"type": "reply", "id": ident, **body}
        try:
            protocol.send(self.channel, message)
        except protocol.ProtocolError as exc:  # the value was too big to send back
            protocol.send(self.channel, {"type": "reply", "id": ident, **_error_body(exc, self.module_path)})

    # -- operations -----------------------------------------------------------------------

    def load(self) -> dict[str, Any]:
        """Import the module under test from its file, under its fixed name."""
        if self.source_fd is not None:
            return self.load_from_descriptor(self.source_fd)
        if not os.path.exists(self.module_path):
            self.load_error = {"type": "MissingModule", "mro": ["MissingModule"], "errno": None, "where": "",
                               "message": f"the submission has no {os.path.basename(self.module_path)}"}
            return {"status": "load_failed", "error": self.load_error}
        try:
            spec = importlib.util.spec_from_file_location(self.module_name, self.module_path)
            if spec is None or spec.loader is None:
                raise ImportError(f"cannot load {self.module_path}")
            module = importlib.util.module_from_spec(spec)
            sys.modules[self.module_name] = module
            spec.loader.exec_module(module)
        except BaseException as exc:  # noqa: BLE001 - any failure of student code is reported
            self.load_error = _describe(exc, self.module_path)
            return {"status": "load_failed", "error": self.load_error}
        self.module = module
        return {"status": "loaded"}

    def load_from_descriptor(self, fd: int) -> dict[str, Any]:
        """Run the module's source read from ``fd`` (the reference: its file is not in the box)."""
        try:
            with os.fdopen(fd, "rb") as handle:
                source = handle.read()
            module = ModuleType(self.module_name)
            module.__file__ = self.module_path
            sys.modules[self.module_name] = module
            exec(compile(source, self.module_path, "exec"), module.__dict__)  # noqa: S102 - the trusted reference
        except BaseException as exc:  # noqa: BLE001
            self.load_error = _describe(exc, self.module_path)
            return {"status": "load_failed", "error": self.load_error}
        finally:
            self.source_fd = None
        self.module = module
        return {"status": "loaded"}

    def call(self, message: dict[str, Any]) -> dict[str, Any]:
        try:
            fn = self.resolve(message)
            args = values.from_wire(message.get("args", []), handles=self.handles)
            kwargs = values.from_wire(message.get("kwargs", {}), handles=self.handles)
        except _Unresolved as exc:
            return {"status": "raised", "error": exc.error}
        except (ValueError, TypeError) as exc:
            os.write(2, f"conformance actor: malformed call: {exc}\n".encode())
            os._exit(EXIT_PROTOCOL)
        try:
            result = fn(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - whatever the call raised is the observation
            return _error_body(exc, self.module_path)
        try:
            return {"status": "returned", "value": values.to_wire(result, handles=self.handles)}
        except BaseException as exc:  # noqa: BLE001 - e.g. a __len__ that raises
            return _error_body(exc, self.module_path)

    def resolve(self, message: dict[str, Any]) -> Callable[..., Any]:
        if "builtin" in message:
            builtin = BUILTINS.get(str(message["builtin"]))
            if builtin is None:
                raise _Unresolved("AttributeError", f"no built-in operation {message['builtin']!r}")
            return builtin
        if "target" in message:
            target = values.from_wire(message["target"], handles=self.handles)
            method = str(message.get("method", ""))
            if not hasattr(target, method):
                raise _Unresolved("AttributeError", f"{type(target).__name__} object has no method {method}()")
            return getattr(target, method)  # type: ignore[no-any-return]
        name = str(message.get("fn", ""))
        if self.module is None:
            error = self.load_error or {"type": "ImportError", "message": "module not loaded"}
            raise _Unresolved("ImportError", error["message"], load_error=error)
        if not callable(getattr(self.module, name, None)):
            raise _Unresolved("AttributeError", f"{self.module_name}.py does not define {name}()", missing=name)
        return getattr(self.module, name)  # type: ignore[no-any-return]

    def spawn(self, ident: int, child_channel: int, child_name: str) -> None:
        """Fork the child actor; it inherits every descriptor and object of this one.

        The child is double-forked so that the box's init adopts it: init then reaps it
        and reports its exit status to the orchestrator (trusted), and this process never
        needs to reap a child it did not create through the implementation.
        """
        first = os.fork()
        if first == 0:
            if os.fork() != 0:
                os._exit(0)
            self.channel.close()
            self.channel = socket.socket(fileno=child_channel)
            self.name = child_name
            self.serve()  # says hello first, on the new channel
        os.close(child_channel)
        os.waitpid(first, 0)
        self.reply(ident, {"status": "spawned"})


class _Unresolved(Exception):
    """The call names nothing callable; the reply says why, in the student's terms."""

    def __init__(self, kind: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.error = {"type": kind, "mro": [kind], "errno": None, "message": message, **extra}


def _error_body(exc: BaseException, student_file: str) -> dict[str, Any]:
    return {"status": "raised", "error": _describe(exc, student_file)}


def _describe(exc: BaseException, student_file: str) -> dict[str, Any]:
    """What the orchestrator needs to judge and explain an exception."""
    code = getattr(exc, "errno", None)
    return {
        "type": type(exc).__name__,
        "mro": [cls.__name__ for cls in type(exc).__mro__ if cls is not object][:12],
        "errno": errno.errorcode.get(code) if isinstance(code, int) else None,
        "message": _safe_str(exc)[:2000],
        "where": _where(exc, student_file),
    }


def _safe_str(exc: BaseException) -> str:
    try:
        return str(exc)
    except BaseException:  # noqa: BLE001 - a hostile __str__ must not kill the runtime
        return f"<{type(exc).__name__} whose message could not be shown>"


def _where(exc: BaseException, student_file: str) -> str:
    """The innermost frame in the student's file, as ``file:line in function``."""
    found = ""
    base = os.path.basename(student_file)
    for frame in traceback.extract_tb(exc.__traceback__):
        if os.path.basename(frame.filename) == base:
            found = f"{base}:{frame.lineno} in {frame.name}"
    if not found and isinstance(exc, SyntaxError) and exc.lineno:
        found = f"{base}:{exc.lineno}"
    return found


# -- built-in operations ("os:" in specs): the same in every actor -------------------------


def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    return b"".join(chunks)


def _write_all(fd: int, data: bytes) -> int:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
    return len(data)


def _set_nonblocking(fd: int) -> None:
    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_NONBLOCK)


def _fd_exists(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def _signal_default(name: str) -> None:
    signal.signal(signal.Signals[name], signal.SIG_DFL)


BUILTINS: dict[str, Callable[..., Any]] = {
    "read": os.read,
    "write": os.write,
    "read_all": _read_all,
    "write_all": _write_all,
    "close": os.close,
    "getpid": os.getpid,
    "exit": os._exit,
    "pipe": os.pipe,
    "set_nonblocking": _set_nonblocking,
    "signal_default": _signal_default,
    "fd_exists": _fd_exists,
    "proxy": proxy.proxy,
}


def serve(channel: socket.socket, name: str, role: str, module_name: str, module_path: str,
          source_fd: int | None = None) -> NoReturn:
    """Run the actor loop on ``channel`` until the orchestrator closes it."""
    _Actor(channel, name, role, module_name, module_path, source_fd).serve()
