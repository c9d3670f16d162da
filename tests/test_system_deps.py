"""CI hides nothing: with ``CI=true`` a test that needs a system package fails, with the message a
skip would give; without it the test is skipped with that message (tests/system_deps.py).

Checked on the real tests: pytest runs them in a subprocess whose PATH holds none of the packages'
programs (chromium, Xvfb, trayer, setpriv), once with CI=true and once without."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.conftest import REPO

TESTS = REPO / "tests"
NODES = {
    "tests/test_cdp.py::test_list_targets_and_version": "chromium not installed (apt-get install chromium)",
    "tests/ui/test_icons.py::test_state_icons_have_the_tray_sizes":
        "UI tests need Xvfb, trayer, xdotool, xwininfo (packaging/system-deps.sh ensure)",
}
if os.geteuid() == 0:  # only root needs setpriv to drop its file-permission override
    NODES["tests/test_cli_errors.py::test_read_only_dir"] = "setpriv not installed (apt-get install util-linux)"


def outcomes(tmp_path: Path, ci: bool) -> dict[str, tuple[str, str]]:
    """Each node's outcome (passed, skipped, failed, error) and message, without the packages on PATH."""
    report = tmp_path / f"report-{ci}.xml"
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["PATH"] = str(tmp_path / "empty-path")
    if ci:
        env["CI"] = "true"
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}",
                           *NODES], capture_output=True, text=True, cwd=REPO, env=env, timeout=600)
    assert report.exists(), proc.stdout[-3000:] + proc.stderr[-3000:]
    found: dict[str, tuple[str, str]] = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        path = case.get("classname", "").replace(".", "/") + ".py"
        node = f"{path}::{case.get('name')}"
        result = next(iter(case), None)
        if result is None:
            found[node] = ("passed", "")
        else:
            found[node] = (result.tag.replace("failure", "failed"), result.get("message", "") + (result.text or ""))
    return found


def test_missing_packages_skip_outside_ci_and_fail_in_ci(tmp_path: Path) -> None:
    (tmp_path / "empty-path").mkdir()
    skipped = outcomes(tmp_path, ci=False)
    failed = outcomes(tmp_path, ci=True)
    assert set(skipped) == set(failed) == set(NODES), (skipped, failed)
    for node, message in NODES.items():
        assert skipped[node][0] == "skipped" and message in skipped[node][1], skipped[node]
        assert failed[node][0] in ("failed", "error") and message in failed[node][1], failed[node]


SKIP_CALL = re.compile(r"pytest\.(skip\(|mark\.skipif|importorskip)")


def test_every_skip_goes_through_the_one_helper() -> None:
    """A direct pytest.skip / skipif / importorskip in tests/ would skip in CI too."""
    here = Path(__file__).name
    direct = [f"{path.relative_to(REPO)}:{n}" for path in TESTS.rglob("*.py")
              if path.name not in ("system_deps.py", here)
              for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if SKIP_CALL.search(line)]
    assert direct == [], "use tests.system_deps.require / needs instead: " + ", ".join(direct)


@pytest.mark.parametrize("value", ["true", "TRUE", " true "])
def test_ci_is_read_as_github_and_gitlab_set_it(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    from tests import system_deps

    monkeypatch.setenv("CI", value)
    assert system_deps.in_ci()
    monkeypatch.setenv("CI", "false")
    assert not system_deps.in_ci()
