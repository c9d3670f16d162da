"""Fleet mode: one flag decision, taken in a team's feature-flag engine, applied to this
workstation's app safely.

- ``connection``: which source a target follows (flagd's flag definitions evaluated in-process,
  or an Unleash server whose API token lives in the OS keyring), kept per target;
- ``workstation``: the evaluation context that identifies this machine (a stable, hashed machine
  id as the targeting key, hostname, user, OS, target, app version);
- ``source``: the source behind OpenFeature (``openfeature-sdk``), imported only when a fleet
  command or the tray's fleet watch runs;
- ``plan``: per flag, what the fleet wants against what is stored, pinned or pending (no side
  effects); ``agent``: carries the plan out through the one write path (``flag_ops.write_flags``,
  or the Level-1 rollback for a kill switch) and records the outcomes (``state``), alerts the team
  (``report``); ``watch``: follows the source continuously (``fleet sync --watch``, the tray).
"""
