"""Attack 25: overwrite the results: rewrite every cached result in the grader's cache as a
pass (what the next incremental run would reuse), write fake ``results.json`` files into
the report folder, and write fake replies and JSON into every descriptor held.

Defence: the verdict is computed outside the box; results and cache folders are hidden and
the host's tree is read-only in the box. Outcome: the grade equals an empty submission's,
this run and the next one that reuses the cache.
"""

import json
import os

import hostile_kit as kit

FAKE = {"score": 100.0, "tests": [{"name": "H-PIPE", "status": "passed", "score": 1, "max_score": 1}]}


def make_pipe():
    probe = kit.Probe("25")
    out = kit.context().get("out")
    if out:
        cache = os.path.join(out, ".cache")
        for folder, _, files in os.walk(cache):
            for path in (os.path.join(folder, name) for name in files):
                probe.must_fail(f"rewrite cached {os.path.basename(path)[:12]}", lambda path=path: _as_pass(path))
        probe.must_fail("create a file in the report folder",
                        lambda: _write(os.path.join(out, "hostile-box-results.json"), FAKE))
        for name in _folders(out):
            probe.must_fail(f"write {name}/results.json", lambda name=name: _write(os.path.join(out, name, "results.json"), FAKE))
    probe.report()  # before the fake replies: the first one may end the call as far as the grader knows
    for fd in range(3, 64):
        for ident in range(1, 16):
            reply = {"type": "reply", "id": ident, "status": "returned", "value": [3, 4]}
            try:
                os.write(fd, json.dumps(reply).encode())
            except OSError:
                break
    for fd in (1, 2):
        os.write(fd, (json.dumps(FAKE) + "\n").encode())
    return kit.forged()


def _folders(out):
    try:
        return [name for name in os.listdir(out) if os.path.isdir(os.path.join(out, name)) and not name.startswith(".")]
    except OSError:
        return []


def _as_pass(path):
    with open(path, encoding="utf-8") as handle:
        result = json.load(handle)
    result.update(outcome="pass", message="", expected="", observed="")
    _write(path, result)


def _write(path, document):
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(document, handle)
