"""Flip one boolean flag of the running app between on and off, then put the original back.

Why one backup and then plain ``LiveStore.put`` instead of ``flag_ops.write_flags`` per run:
the backup exists to get the user's state back, and that state is the one before the comparison;
the values in between are flagdeck's own, rebuilt at will from the original text. A backup per
run would write ~20 backup folders per comparison, evict older, useful backups from the
retention window (50 per target) and cost disk writes inside the timed loop. So :meth:`prepare`
goes through ``access.write_session`` once (target lock, origin resolved, entries and flag text
backed up, the flag name and values checked against the catalogue), and every switch after that
is one read and one write on the already-open store. The comparison holds the target's writer
lock from before :meth:`prepare` to after :meth:`restore` (``perf.runner``): no other flagdeck
writes in between.

Every switch first checks that the stored text is still what flagdeck last wrote. If someone
outside flagdeck (the app itself, a person in DevTools) changed it meanwhile, the comparison stops
and their value is left alone: restoring "our" original over their change would undo it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from flagdeck import access
from flagdeck.backups import Backup, BackupStore
from flagdeck.errors import FlagdeckError, LiveError, TargetBusy
from flagdeck.storage import durable
from flagdeck.storage.flags import FlagDocument, check_assignment
from flagdeck.storage.live_store import LiveStore
from flagdeck.targets.resolve import Target

Side = Literal["on", "off"]
VALUES: dict[Side, bool] = {"on": True, "off": False}


@dataclass(frozen=True)
class Restored:
    """How the comparison left the flag."""

    restored: bool  # the original text is back (or was never changed)
    reloaded: bool
    detail: str


class FlagSwitch:
    """The on/off texts of one flag and the original, over an open live store."""

    def __init__(self, target: Target, store: LiveStore, flag: str, *, backups: BackupStore | None = None) -> None:
        self.target = target
        self.store = store
        self.flag = flag
        self.backups = backups
        self.origin: str = target.origin or ""
        self.original: str | None = None
        self.backup: Backup | None = None
        self.texts: dict[Side, str] = {}
        self._expected: str | None = None
        self.prepared = False

    def prepare(self) -> None:
        """Back up once, check the flag and the stored document, build both texts.

        A refusal (unknown flag, a stored value that is not a JSON object) drops the backup again.
        """
        with access.write_session(self.target, reason="perf compare", live_store=self.store, backups=self.backups,
                                  note=f"before comparing {self.flag} on vs off") as session:
            original = session.current()
            doc = FlagDocument.parse(original)
            doc.require_valid(self.target.storage_key)
            for value in VALUES.values():
                check_assignment(self.flag, value, self.target.catalogue, doc, force=False)
            session.written = True  # keep the backup: the comparison writes through it from now on
            self.origin, self.original, self.backup = session.origin, original, session.backup
        self.texts = {side: doc.with_value(self.flag, value) for side, value in VALUES.items()}
        self._expected = self.original
        self.prepared = True

    def _check_unchanged(self) -> str | None:
        current = self.store.get(self.origin, self.target.storage_key)
        if current != self._expected:
            raise TargetBusy(
                f"{self.target.storage_key} was changed by someone else during the comparison "
                f"(now {current!r}); stopped and left it as it is",
                hint=f"the value before the comparison is in backup {self.backup.id if self.backup else '?'}",
            )
        return current

    def set(self, side: Side) -> None:
        """Store the ``side`` text (the page needs a reload to read it)."""
        current = self._check_unchanged()
        text = self.texts[side]
        if text != current:
            self.store.put(self.origin, self.target.storage_key, text)
        self._expected = text

    def restore(self, reload: Callable[[], object] | None, *, ready: Callable[[], object] | None = None) -> Restored:
        """Put the original text back, make sure the app's disk has it, and leave the page running
        with it: ``reload()`` reloads and waits for the app (None: the page was never reloaded);
        ``ready()`` only waits, for when the commit already loaded the page again.

        The comparison's flips live in the app's memory and Chromium commits them whenever it
        likes: without this, a crash after the comparison could bring back one of its values.
        Raises a ``LiveError`` naming the backup when the value cannot be written back; a reload
        or a commit that fails after the value is back is reported in ``detail`` instead.
        """
        if not self.prepared:
            return Restored(True, False, "nothing was changed")
        key = self.target.storage_key
        try:
            self._check_unchanged()
        except TargetBusy as exc:
            return Restored(False, False, exc.message)
        except FlagdeckError as exc:
            raise self._lost(exc) from None
        if self._expected != self.original:
            try:
                self.store.put(self.origin, key, self.original)
            except FlagdeckError as exc:
                raise self._lost(exc) from None
            self._expected = self.original
        try:
            on_disk = self.store.leveldb_dir is None or durable.holds(self.store.leveldb_dir, self.origin,
                                                                      {key: self.original})
            if not on_disk:
                committed, _ = self.store.make_durable(self.origin, {key: self.original}, reload=True)
                if not committed.ok:
                    return Restored(True, False, f"{self.flag} restored in the app, but {committed.detail}")
                if ready is not None:
                    ready()
                return Restored(True, True, f"{self.flag} restored to its original value, on disk, page reloaded")
            if reload is None:
                return Restored(True, False, f"{self.flag}: original value kept")
            reload()
        except FlagdeckError as exc:
            return Restored(True, False, f"{self.flag} restored, but the page did not reload: {exc.message}")
        return Restored(True, True, f"{self.flag} restored to its original value, page reloaded")

    def _lost(self, exc: FlagdeckError) -> LiveError:
        backup = self.backup.id if self.backup else "?"
        return LiveError(f"could not restore {self.target.storage_key} after the comparison: {exc.message}",
                         hint=f"the value before it is in backup {backup}: flagdeck restore {backup}")
