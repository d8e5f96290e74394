"""PyInstaller entry script: runs ``spikedesk`` (``app.__main__.main``) as a top-level script."""

import sys

from app.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
