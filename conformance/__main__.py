"""``python -m conformance``: see ``cli.py``."""

import sys

from conformance.cli import main

sys.exit(main())
