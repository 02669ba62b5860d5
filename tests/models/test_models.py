"""The executable models agree with the real kernel (a model is only as good as its rules).

Each test runs hypothesis sequences against the model *and* against real objects driven
directly from this (trusted) process, and requires the same outcome for every operation.
"""

from __future__ import annotations

import os
import struct
from typing import Any

import sysv_ipc
from hypothesis import given, settings

from conformance.models import FramedStream, MessageQueue, Op
from conformance.models.base import Raised


class _KernelQueue:
    """Bindings for the msgqueue model, straight onto sysv_ipc."""

    def __call__(self, binding: str, names: dict[str, Any]) -> Any:
        if binding == "open":
            return sysv_ipc.MessageQueue(sysv_ipc.IPC_PRIVATE, sysv_ipc.IPC_CREX)
        queue = names["queue"]
        if binding == "send":
            return queue.send(names["data"], type=names["type"])
        if binding == "close":
            return queue.remove()
        try:
            data, kind = queue.receive(type=names["selector"], block=False)
        except sysv_ipc.BusyError as exc:
            raise Raised({"type": "BusyError", "errno": "ENOMSG", "message": str(exc)}) from None
        return [kind, data]


@settings(max_examples=200, deadline=None, database=None)
@given(MessageQueue.operations(15))
def test_msgqueue_model_matches_the_kernel(ops: list[Op]) -> None:
    """For any sequence, the model predicts exactly what a real System V queue does."""
    kernel = _KernelQueue()
    model = MessageQueue(0)
    model.setup(kernel, 0)
    try:
        for op in ops:
            model.apply(kernel, op)  # raises Divergence if the kernel disagrees with the model
    finally:
        model.teardown(kernel)


class _KernelPipe:
    """Bindings for the framed_stream model: a real pipe and a 4-byte big-endian header."""

    def __call__(self, binding: str, names: dict[str, Any]) -> Any:
        if binding == "open":
            return os.pipe()
        read_end, write_end = names["stream"]
        if binding == "send":
            data = names["data"]
            os.write(write_end, struct.pack(">I", len(data)) + data)
            return None
        if binding == "close":
            os.close(read_end)
            os.close(write_end)
            return None
        size = struct.unpack(">I", _exactly(read_end, 4))[0]
        return _exactly(read_end, size)


def _exactly(fd: int, size: int) -> bytes:
    data = b""
    while len(data) < size:
        data += os.read(fd, size - len(data))
    return data


@settings(max_examples=100, deadline=None, database=None)
@given(FramedStream.operations(15))
def test_framed_stream_model_never_overfills_a_pipe(ops: list[Op]) -> None:
    """The framing model keeps every sequence inside a pipe's capacity, so nothing blocks."""
    pipe = _KernelPipe()
    model = FramedStream(0)
    model.setup(pipe, 0)
    try:
        for op in ops:
            model.apply(pipe, op)
    finally:
        model.teardown(pipe)
