"""Entry point for ``python -m derive``."""

import sys

from derive.cli import main

sys.exit(main())
