"""Attack 12: spin on the CPU forever, with a SIGXCPU handler and an attempt to raise the
CPU limit first.

Defence: RLIMIT_CPU with soft == hard (nothing to raise, no catchable warning before the
kill), and the grader's wall clock. Outcome: the raise fails, and the case is a TIMEOUT.
"""

import resource
import signal

import hostile_kit as kit


def make_pipe():
    probe = kit.Probe("12")
    signal.signal(signal.SIGXCPU, lambda *_: None)
    soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    probe.note("rlimit_cpu", [soft, hard])
    if soft != hard:
        probe.breach(f"RLIMIT_CPU soft {soft} < hard {hard}: a SIGXCPU handler buys time")
    unlimited = resource.RLIM_INFINITY
    probe.must_fail("raise RLIMIT_CPU", lambda: resource.setrlimit(resource.RLIMIT_CPU, (unlimited, unlimited)))
    probe.report()
    kit.armed()
    while True:
        pass
