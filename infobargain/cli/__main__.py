"""``python -m infobargain.cli``: the same as the ``infobargain`` command."""

import sys

from infobargain.cli import main

sys.exit(main())
