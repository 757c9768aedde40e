"""``python -m xavier``: the xavier command line (see ``xavier --help``)."""
import sys

from ._cli import main

sys.exit(main())
