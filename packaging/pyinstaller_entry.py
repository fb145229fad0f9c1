"""Entry point of the frozen app (PyInstaller needs a script, not a console-script name)."""

import sys

from netbuilder.cli import main

if __name__ == "__main__":
    sys.exit(main())
