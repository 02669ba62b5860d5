"""Attack 21: read hidden tests, specs and the reference solution: the grader's paths (as
``/proc/self/cmdline`` would give them away), the grader's working folder through
``/proc/1/cwd`` and ``/proc/1/root``, and every other module folder mounted in the box.

Defence: the engine's folder (specs, tests, reference, results, cache) hidden behind empty
mounts; the reference handed to its actor as a descriptor, never mounted. Outcome: every
read fails or shows an empty folder.
"""

import os
import re

import hostile_kit as kit


def make_pipe():
    probe = kit.Probe("21")
    paths = list(kit.context().get("secret_paths", []))
    with open("/proc/self/cmdline", "rb") as handle:
        cmdline = handle.read().decode(errors="replace")
    guessed = re.findall(r"sys\.path\.insert\(0, '([^']+)'\)", cmdline)
    probe.note("engine_from_cmdline", guessed)
    for root in guessed:
        paths += [root, os.path.join(root, "specs"), os.path.join(root, "reference", "ipc_pipe.py")]
    for path in paths:
        reader = kit.list_dir if os.path.isdir(path) else kit.read_file
        probe.must_fail(f"read {path}", lambda path=path, reader=reader: reader(path))
    for path in ("/proc/1/cwd", "/proc/1/root/tmp", "/proc/1/environ"):
        probe.must_fail(f"read {path}", lambda path=path: kit.list_dir(path) if path != "/proc/1/environ"
                        else kit.read_file(path))
    own = os.path.dirname(os.path.abspath(__file__))
    modules = os.path.dirname(own)
    for folder in os.listdir(modules):
        other = os.path.join(modules, folder)
        if other != own:
            probe.must_fail(f"read {other}/ipc_pipe.py", lambda other=other: kit.read_file(f"{other}/ipc_pipe.py"))
    probe.report()
    return kit.forged()
