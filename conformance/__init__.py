"""ipc-conformance: a conformance suite and autograder for IPC assignments.

Subpackages, in pipeline order:

* ``spec``: the spec model, JSON Schema, loader (keeps line:column) and linter.
* ``sandbox``: preflight, namespaces, limits, the zygote, one box per case, the audit.
* ``runner``: the case orchestrator, actor runtime, protocol, kernel observers, matchers.
* ``models``: executable models of mechanism rules, for property steps.
* ``grading``: the result model, scoring, dependencies, repeats, the result cache.
* ``report``: one emitter per output format.
* ``plugin`` (pytest integration) and ``cli`` (the command line).
"""

#: Part of every result-cache key: bump when a change to the engine can change a verdict.
__version__ = "0.1.0"
