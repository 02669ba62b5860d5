"""The runner: one case, run in its box and judged on the trusted side.

Modules, from the outside in:

* ``orchestrator``: ``CaseRunner``: box up, steps, verdict, teardown, audit.
* ``session``: the live box seen from the trusted side; the only way to wait.
* ``steps``: each kind of step, and how its outcome is judged.
* ``observations``: ``observe`` steps: the kernel's view, summarised for matchers.
* ``property``: property steps (hypothesis sequences against an executable model).
* ``kernel``: reading ``/proc`` (states, system calls, descriptors, signals, SysV).
* ``diagnosis``: hangs explained in the student's terms.
* ``matchers``: expected against observed, with a sentence for each difference.
* ``values``: how values cross the protocol; the shared payload generator.
* ``protocol``: the bounded JSON wire format (see docs/protocol.md).
* ``actor``: the runtime inside each actor process (the only engine code there).
* ``proxy``: a grader-controlled stream proxy for socket cases.

Public names: ``orchestrator.CaseRunner`` and ``orchestrator.Submission``.
"""
