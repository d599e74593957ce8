"""Entry point for ``python -m derive``."""

import sys

from derive.entry import main

sys.exit(main())
