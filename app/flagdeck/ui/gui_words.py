"""The core's messages, said as the GUI says them: its hints name command-line options
(``pass --force``), shell quoting (``NAME='"yes"'``) and commands (``flagdeck rollback``); in the
tray and the console they name the check box, the field, the page or the menu instead.

One table of phrases, applied to every one-line message the UI shows (:func:`for_gui`, used by
``workers.error_text`` and the result texts). A phrase not in the table is shown as the core says it.
"""

from __future__ import annotations

import re

_PHRASES: tuple[tuple[str, str], ...] = (
    # flags: the Flags page's Value field and Force check box
    (r"or a quoted string such as [\w.-]+='(\"[^']*\")'", r'or text in double quotes, such as \1'),
    (r"check the quoting of the NAME=VALUE argument", "check the flag's name"),
    (r"give (\w+) \(e\.g\. [\w.-]+=([^)]+)\) or pass --force", r"give \1 (e.g. \2) or tick “Force”"),
    (r"pass --force to write it anyway", "tick “Force” to write it anyway"),
    (r"flagdeck status shows it; --repair backs up the raw text and starts a fresh object",
     "the Flags page shows it; restore the flags from a backup on the Backups page"),
    (r"--repair: ", "repair: "),
    # rollback and launch
    (r"run with --restart: ", "prepare the restart plan: "),
    (r"pass --restart to close it gracefully", "use Actions > Launch the app with a debug port to close it gracefully"),
    (r" ?\(flagdeck rollback\)", ""),
    (r"--no-reload: ", "Write only, no reload: "),
    (r"Run it again with --reload", "Write it again with a reload"),
    (r"reload it \(--reload\)", "reload it (Reload now)"),
    (r"--reload ignored offline", "the reload is skipped offline"),
    # the target: Change target…
    (r"pick one with --origin( ORIGIN)?", "give the origin in Change target… > A folder"),
    (r"pass --origin ORIGIN to create it there", "give the origin in Change target… > A folder"),
    (r"(pick|name) one with --flag", "pick the flag in the Flag list"),
    (r"--user-data-dir DIR \(or --leveldb DIR\) next to --debug-port",
     "the User data (or LevelDB) folder in Change target…"),
    (r"with --user-data-dir DIR", "as User data in Change target…"),
    (r"or --leveldb DIR", "or as LevelDB folder in Change target…"),
    (r"pass --user-data-dir or --target", "pick a preset or a folder in Change target…"),
    (r"and pass --debug-port N", "and give that port in Change target…"),
    # restore, history, backups, team alerts
    (r"use --scope entries", "restore “entries” instead"),
    (r"restore with --scope entries instead", "restore “entries” instead"),
    (r"pass --yes to restore", "confirm the restore"),
    (r"give --issue, --resolution or --version", "fill in Issue, Resolution or Version"),
    (r"flagdeck history lists them", "the History page lists them"),
    (r"pick another with flagdeck backups", "pick another on the Backups page"),
    (r"flagdeck backups lists them", "the Backups page lists them"),
    (r"flagdeck notify setup( --name \S+)? --url URL", "set it up in File > Team alerts…"),
    (r"try it with: flagdeck notify test", "try it with Send a test in File > Team alerts…"),
    (r"\(flagdeck notify status\)", "(File > Team alerts…)"),
    (r"pick one with --name: ", "pick one in File > Team alerts…: "),
    (r"close it yourself and run the command again", "close it yourself and try again"),
)
_COMPILED = tuple((re.compile(pattern), repl) for pattern, repl in _PHRASES)


def for_gui(text: str) -> str:
    """``text`` with the command-line phrases of the table said the GUI's way."""
    for pattern, repl in _COMPILED:
        text = pattern.sub(repl, text)
    return text
