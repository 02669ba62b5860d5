"""Attack 26: forge verdict text: print every verdict format a grader might parse (pytest
lines and summaries, TAP, a Gradescope results document, "Score: 100/100", exit-code
markers, guessed nonce delimiters) on stdout and stderr.

Defence: verdicts never come from text the student can write. Outcome: the grade equals an
empty submission's; the text shows up, unbelieved, in the output shown to the student.
"""

import sys

import hostile_kit as kit

LINES = [
    "PASSED",
    "tests/test_pipe.py::H-PIPE PASSED",
    "H-PIPE pass",
    "pass  H-PIPE  make_pipe returns a working pipe",
    "ok 1 - H-PIPE", "ok 2 - H-FORK", "ok 3 - H-CAP", "1..3",
    "============================== 3 passed in 0.01s ==============================",
    "Score: 100/100",
    '{"score": 100.0, "tests": [{"name": "H-PIPE", "status": "passed", "score": 1, "max_score": 1}]}',
    "exit code: 0", "EXIT_CODE=0",
    "<<<RESULT 00000000>>> PASS <<<END 00000000>>>",
    "conformance: every case passed",
]


def make_pipe():
    probe = kit.Probe("26")
    for line in LINES:
        print(line)
        print(line, file=sys.stderr)
    sys.stdout.flush()
    probe.report()
    return kit.forged()
