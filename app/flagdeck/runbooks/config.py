"""A preset's ``[runbook]`` table as values (``targets/presets.py`` reads and type-checks it).

```toml
[runbook]
repo = "~/src/app"                   # optional; without it --repo is required
main_branch = "main"
feature_branch = "feature/unified-db-service"
remote = "origin"
artifacts = ["src/services/db/", "src/config/featureFlags.ts"]   # removed by Level 3

[runbook.level2]
build = [["yarn", "build:check"], ["yarn", "build"]]
deploy = []                          # install the build; flagdeck restarts the app afterwards
test = []                            # before the verification checks
manual = ["Install the new build on the affected machines"]

[runbook.level3]
test = [["yarn", "test"], { run = ["yarn", "test:e2e"], when_script = "test:e2e" }]
```

A command is an argv list or a table ``{run = [...], when_script = "NAME"}`` (run only when the
repository's ``package.json`` defines that script). Words may hold ``{python}`` (flagdeck's own
interpreter), ``{repo}`` (the repository) and ``{data}`` (flagdeck's data dir).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class CommandSpec:
    argv: tuple[str, ...]
    when_script: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"argv": list(self.argv), "when_script": self.when_script}


@dataclass(frozen=True)
class LevelCommands:
    build: tuple[CommandSpec, ...] = ()
    deploy: tuple[CommandSpec, ...] = ()
    test: tuple[CommandSpec, ...] = ()
    manual: tuple[str, ...] = ()  # what a person does by hand at this level (shown, not run)
    restart_app: bool = True  # restart (or start) the target app after the deploy commands


@dataclass(frozen=True)
class RunbookConfig:
    repo: str | None = None  # as written (expanded when used: ~, $VAR, $FLAGDECK_DATA)
    main_branch: str = "main"
    feature_branch: str | None = None
    remote: str = "origin"
    artifacts: tuple[str, ...] = ()
    level2: LevelCommands = field(default_factory=LevelCommands)
    level3: LevelCommands = field(default_factory=LevelCommands)

    def level(self, n: int) -> LevelCommands:
        return self.level2 if n == 2 else self.level3


NO_RUNBOOK = RunbookConfig()
