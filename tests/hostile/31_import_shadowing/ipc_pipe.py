"""Attack 31: import shadowing: the submission ships ``signal.py``, ``socket.py``, ``json.py``,
``struct.py``, ``selectors.py``, ``sysv_ipc.py``, ``pytest.py`` and a ``conformance`` package
(as ``*.payload``; the tests install them under their real names), each writing a marker
into the grader's scratch folder when imported, hoping to be picked up because the
submission's folder is on ``sys.path``.

Defence: the grader never imports from a submission folder; in the box the submission's
folder goes *last* on ``sys.path``. Outcome: no marker appears on the grader's side, and in
the box every one of those names still resolves to the real module.
"""

import importlib
import os

import hostile_kit as kit

SHADOWS = ("signal", "socket", "json", "struct", "selectors", "sysv_ipc", "pytest", "conformance")


def make_pipe():
    probe = kit.Probe("31")
    own = os.path.dirname(os.path.abspath(__file__))
    for name in SHADOWS:
        try:
            module = importlib.import_module(name)
        except ImportError as exc:
            probe.note(name, type(exc).__name__)
            continue
        where = os.path.dirname(os.path.abspath(getattr(module, "__file__", "") or "/"))
        if where == own or where.startswith(own + os.sep):
            probe.breach(f"import {name} picked up the submission's own {name}")
    probe.report()
    return kit.forged()
