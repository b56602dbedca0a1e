"""``python -m infobargain.cli``: the same as the ``infobargain`` command."""

import sys

from infobargain.cli import main

if __name__ == "__main__":  # worker processes that re-import the main module must not run the command again
    sys.exit(main())
