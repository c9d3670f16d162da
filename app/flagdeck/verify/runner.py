"""Run the checks against a target and keep the report (``<data>/verify/``)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from flagdeck import access, history, paths
from flagdeck.errors import FlagdeckError
from flagdeck.private_files import read_json, write_json
from flagdeck.probe.page import PageProbe
from flagdeck.storage.leveldb_store import LevelDBStore
from flagdeck.storage.store import LocalStorageStore
from flagdeck.targets import process
from flagdeck.targets.resolve import Target
from flagdeck.verify import checklist
from flagdeck.verify.check import Check
from flagdeck.verify.checks_app import AgentSession, Attachment, EditDelete, MessageLoad
from flagdeck.verify.checks_data import NoDataLoss
from flagdeck.verify.checks_flag import FlagEffective
from flagdeck.verify.checks_health import CpuNormal, ErrorRate, MemoryGrowth, RendererAlive
from flagdeck.verify.context import Baseline, VerifyContext
from flagdeck.verify.result import CheckResult, VerifyReport, now_iso

ALL_CHECKS: tuple[type[Check], ...] = (
    FlagEffective, RendererAlive, MessageLoad, Attachment, EditDelete, AgentSession, NoDataLoss, ErrorRate,
    MemoryGrowth, CpuNormal,
)
CHECK_IDS = tuple(c.id for c in ALL_CHECKS)
PAGE_WINDOW = 10.0  # seconds a page of the origin may take to list and answer (navigating, loading)

Progress = Callable[[str, CheckResult | None], None]  # (check id, result or None when it starts)


@contextlib.contextmanager
def verify_context(target: Target, *, store: LocalStorageStore | None = None, **kwargs: Any
                   ) -> Iterator[VerifyContext]:
    """Open the target (live when possible; or use ``store``, left open) and yield the context."""
    with contextlib.ExitStack() as stack:
        if store is None:
            store = stack.enter_context(access.open_read(target).store)
        origin = access.resolve_origin(store, target) or access.sole_origin(store, target)
        ctx = VerifyContext(target, store, origin, **kwargs)
        owner = getattr(store, "owner", None)
        if owner is not None:
            ctx.app_pid = owner.pid
        else:
            holder = process.lock_holder(target.lock_file)
            ctx.app_pid = holder.pid if holder else None
        if store.mode == "live" and origin:
            ctx.port_open = True
            probe, ctx.page_error = _live_page(store, origin)
            if probe is not None:
                _wait_app_ready(probe, target)
                ctx.page = probe
                probe.session.call("Page.enable")
                ctx.opened_at = time.monotonic()
                ctx.navigations_at_open = probe.session.event_count("Page.frameNavigated")
            if ctx.page is None:  # no page to ask: read the stored flags from a snapshot of the disk
                ctx.store = stack.enter_context(LevelDBStore.open_read(target.leveldb_dir))
        elif store.mode == "live":
            ctx.port_open = True
            ctx.page_error = f"no page origin to check (give --origin; open pages: {store.page_origins()})"  # type: ignore[attr-defined]
        else:
            ctx.page_error = "offline: " + ("the app runs without a debug port" if store.mode == "busy"
                                            else "the app is not running")
        yield ctx


def _live_page(store: LocalStorageStore, origin: str, window: float = PAGE_WINDOW
               ) -> tuple[PageProbe | None, str | None]:
    """A page of ``origin`` that answers, or why there is none. A page that is navigating (just
    loaded again after a rollback, reloaded by the app) is asked again for ``window`` seconds:
    the browser lists its new URL, and its new document answers, a moment after its load event."""
    deadline = time.monotonic() + window
    while True:
        try:
            probe = PageProbe(store.page_session(origin), origin)  # type: ignore[attr-defined]
            if probe.alive(timeout=max(0.5, min(5.0, deadline - time.monotonic()))):
                return probe, None
            error = f"the page of {origin} does not answer"
        except FlagdeckError as exc:
            error = str(exc)
        if time.monotonic() >= deadline:
            return None, error
        time.sleep(0.2)
        try:
            store.pages(refresh=True)  # type: ignore[attr-defined]
        except FlagdeckError as exc:  # the app's debug port is gone: nothing to wait for
            return None, str(exc)


def _wait_app_ready(probe: PageProbe, target: Target, timeout: float = 20.0) -> None:
    """Give an app that is still starting (the preset's ``[app] ready``) time to finish."""
    ready_js = target.preset.ready_js if target.preset else None
    if not ready_js:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if probe.evaluate(f"!!({ready_js})", timeout=max(0.5, deadline - time.monotonic())) is True:
                return
        except FlagdeckError:  # a document being replaced (navigating, loading): ask the next one
            if probe.session.closed:
                return
        time.sleep(0.02)


def run_checks(ctx: VerifyContext, *, only: tuple[str, ...] | None = None, watch: bool = True,
               progress: Progress | None = None) -> list[CheckResult]:
    chosen = [cls for cls in ALL_CHECKS if ((cls.id in only) if only else (watch or not cls.watch))]
    results: dict[str, CheckResult] = {}
    for cls in sorted(chosen, key=lambda c: c.run_last):  # stable: run_last ones at the end
        if progress:
            progress(cls.id, None)
        results[cls.id] = cls().run(ctx)
        if progress:
            progress(cls.id, results[cls.id])
    return [results[cls.id] for cls in chosen]


def verify(
    target: Target, *, expect: dict[str, Any] | None = None, baseline: Baseline | None = None,
    full: bool = False, window: float = 3.0, only: tuple[str, ...] | None = None, watch: bool = True,
    progress: Progress | None = None, save: bool = True, store: LocalStorageStore | None = None,
    fast: bool = False,
) -> VerifyReport:
    """Run the checks; the report is saved under the data dir (evidence bundles pick it up).

    ``fast``: the rollback's pass (short reload watch, small error burst, data checked by entry
    counts against the baseline only).
    """
    started, t0 = now_iso(), time.monotonic()
    with verify_context(target, store=store, expect=expect or {}, baseline=baseline, full=full,
                        window=window, fast=fast) as ctx:
        results = run_checks(ctx, only=only, watch=watch, progress=progress)
        mode = ctx.store.mode
        notes = ([] if ctx.page or not ctx.page_error else [ctx.page_error])
    automated = {r.id: r.status for r in results if r.status != "manual"}
    report = VerifyReport(target.name, mode, started, time.monotonic() - t0, tuple(results),
                          tuple(checklist.view(target.slug, automated)), tuple(notes))
    if save:
        path = save_report(target, report)
        history.try_record("verify", target, outcome="failed" if report.failed else "ok",
                           message=", ".join(r.id for r in report.failed) or "all checks passed or manual",
                           details={"failed": [r.id for r in report.failed], "manual": [r.id for r in report.manual],
                                    "mode": report.mode}, artifacts=[str(path)])
    return report


def save_report(target: Target, report: VerifyReport) -> Path:
    stamp = report.started.replace(":", "").replace("-", "")[:15]
    return write_json(paths.sub_dir("verify") / f"{stamp}-{target.slug}.json",
                      {"target_slug": target.slug, **report.to_json()})


def latest_report(target: Target) -> dict[str, Any] | None:
    folder = paths.data_dir() / "verify"
    if not folder.is_dir():
        return None
    found = sorted(p for p in folder.glob(f"*-{target.slug}.json") if "-triggers-" not in p.name)
    if not found:
        return None
    data = read_json(found[-1])
    return data if isinstance(data, dict) else None
