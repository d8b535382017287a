"""``python -m hlkit ...``: the same command line as ``hlkit ...`` (see hlkit/cli.py)."""

import sys

from .cli import main

sys.exit(main())
