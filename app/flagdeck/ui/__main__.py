"""``python -m flagdeck.ui [TARGET OPTIONS] [tray [--hidden]]``: the tray, before ``cli.main``
registers the ``tray`` command (then ``flagdeck tray`` is the same thing)."""

import sys

from flagdeck.cli import main as cli_main
from flagdeck.cli import tray_cmd

if tray_cmd not in cli_main.COMMAND_MODULES:
    cli_main.COMMAND_MODULES.append(tray_cmd)
argv = sys.argv[1:]
raise SystemExit(cli_main.main(argv if "tray" in argv else [*argv, "tray"]))
