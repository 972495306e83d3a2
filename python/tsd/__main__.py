"""`python -m tsd …` is the `tsd` command."""

import sys

from tsd.cli import main

sys.exit(main())
