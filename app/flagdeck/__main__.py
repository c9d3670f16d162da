"""``python -m flagdeck`` and the ``flagdeck`` script.

A Ctrl-C from here on ends in ``flagdeck: interrupted`` and exit 130 (``cli.interrupts``): the
handler is set before the command's modules load. Once the interpreter tears itself down (after
every exit task, alert deliveries included) a Ctrl-C is ignored: the command has ended and said
so; Python would otherwise die of the signal there.
"""

from __future__ import annotations

import atexit

from flagdeck.cli import interrupts


def run() -> int:
    interrupts.while_loading()
    atexit.register(interrupts.ignore)  # registered first, so it runs last
    from flagdeck.cli.main import main

    code = main()
    if code == interrupts.EXIT_CODE:
        # CPython remembers a KeyboardInterrupt that ended a string exec (dataclasses and namedtuples
        # are made with them) even when caught, and `python -m` then dies of SIGINT instead of
        # exiting 130; a string exec resets that flag.
        exec("")
    return code


if __name__ == "__main__":
    raise SystemExit(run())
