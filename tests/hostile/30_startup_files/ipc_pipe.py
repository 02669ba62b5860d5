"""Attack 30: conftest, plugin and startup-file injection. Next to the module the submission
ships ``conftest.py``, ``pytest.ini``, ``pyproject.toml`` (``[tool.pytest.ini_options]``),
``setup.cfg``, ``tox.ini``, ``test_*.py``, ``sitecustomize.py``, ``usercustomize.py``, a
``.pth`` file and a ``*.dist-info`` with a ``pytest11`` entry point. Each writes a marker
file into the grader's scratch folder when it runs, and tries to turn every result into a
pass (the files live here as ``*.payload``; the tests install them under their real names).

Defence: the grader never collects or runs pytest in a submission folder (its own ini,
``--noconftest``, plugin autoload off, ``python -I``). Outcome: no marker ever appears and
the grade equals an empty submission's.
"""

import hostile_kit as kit


def make_pipe():
    probe = kit.Probe("30")
    probe.report()
    return kit.forged()
