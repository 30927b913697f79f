"""``python -m leadcontract``: the same as the ``leadcontract`` command."""

import sys

from leadcontract.cli import main

sys.exit(main())
