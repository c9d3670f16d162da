"""The runbook's functional checks, run through the app's own probes (``window.demoProbes``):
message loading, attachments, edit/delete, agent sessions. Each probe works in a scratch area and
undoes itself, so verifying never changes the user's data."""

from __future__ import annotations

from flagdeck.verify.check import Check
from flagdeck.verify.context import VerifyContext
from flagdeck.verify.result import CheckResult

MESSAGE_LOAD_LIMIT_MS = 500.0
_LOAD_LIMIT = f"< {MESSAGE_LOAD_LIMIT_MS:.0f} ms"


def _why(result: dict[str, object]) -> str:
    problems = result.get("problems") or []
    error = result.get("error")
    parts = [str(p) for p in problems] if isinstance(problems, list) else []
    if error:
        parts.insert(0, str(error))
    return "; ".join(parts) or "the probe reported a failure"


def _timed_probe(check: Check, ctx: VerifyContext, probe: str, failed: str, passed: str) -> CheckResult:
    """One probe, timed by the page: fail with ``failed: <why>``, else pass with ``passed``
    (``{ms}`` is filled in)."""
    r = ctx.probe(probe)
    ms = float(r.get("ms") or 0.0)
    if not r.get("ok"):
        return check.result("fail", f"{failed}: {_why(r)}", figure=ms, unit="ms")
    return check.result("pass", passed.format(ms=f"{ms:.0f}"), figure=ms, unit="ms")


class MessageLoad(Check):
    id = "message-load"
    title = "Message loading (< 500 ms)"
    runbook = "Test message loading (regular chat); Message load time < 500ms"
    manual_instruction = "open the largest conversation and time how long its messages take to appear"
    needs_probes = True

    def check(self, ctx: VerifyContext) -> CheckResult:
        r = ctx.probe("loadTopicMessages")
        ms = float(r.get("ms") or 0.0)
        data = {k: r.get(k) for k in ("messages", "blocks", "rawMessages", "rawBlocks", "path", "topicId")}
        if not r.get("ok"):
            why = _why(r) if r.get("error") else (
                f"the app returned {r.get('messages')} messages / {r.get('blocks')} blocks of "
                f"{r.get('rawMessages')} / {r.get('rawBlocks')} stored")
            return self.result("fail", f"loading topic {r.get('topicId')} failed: {why}", figure=ms, unit="ms",
                               limit=_LOAD_LIMIT, data=data)
        if ms >= MESSAGE_LOAD_LIMIT_MS:
            return self.result("fail", f"{r.get('messages')} messages took {ms:.0f} ms", figure=ms, unit="ms",
                               limit=_LOAD_LIMIT, data=data)
        return self.result("pass", f"{r.get('messages')} messages, {r.get('blocks')} blocks in {ms:.0f} ms",
                           figure=ms, unit="ms", limit=_LOAD_LIMIT, data=data)


class Attachment(Check):
    id = "attachment"
    title = "File attachments"
    runbook = "Verify file attachments work; Send messages with attachments"
    manual_instruction = "send a message with a file attachment and reopen it"
    needs_probes = True

    def check(self, ctx: VerifyContext) -> CheckResult:
        return _timed_probe(self, ctx, "sendMessageWithAttachment", "sending with an attachment failed",
                            "message and file stored and read back in {ms} ms")


class EditDelete(Check):
    id = "edit-delete"
    title = "Message editing and deletion"
    runbook = "Check message editing/deletion; Edit existing messages; Delete messages"
    manual_instruction = "edit a message, then delete one, and check both stick after a reload"
    needs_probes = True

    def check(self, ctx: VerifyContext) -> CheckResult:
        edit, delete = ctx.probe("editMessage"), ctx.probe("deleteMessage")
        failed = [f"{name}: {_why(r)}" for name, r in (("edit", edit), ("delete", delete)) if not r.get("ok")]
        total = float(edit.get("ms") or 0) + float(delete.get("ms") or 0)
        if failed:
            return self.result("fail", "; ".join(failed), figure=total, unit="ms")
        return self.result("pass", f"edit {edit.get('ms')} ms, delete {delete.get('ms')} ms", figure=total, unit="ms")


class AgentSession(Check):
    id = "agent-session"
    title = "Agent sessions"
    runbook = "Test agent sessions; Start agent session"
    manual_instruction = "start an agent session and end it"
    needs_probes = True

    def check(self, ctx: VerifyContext) -> CheckResult:
        return _timed_probe(self, ctx, "startAgentSession", "agent session failed",
                            "session started in {ms} ms and ended")
