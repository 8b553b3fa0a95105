"""axe-core, injected into a page under test: WCAG 2.1 A and AA rules.

axe-core comes from the npm registry at the version and integrity hash pinned in
tests/browser/axe/package-lock.json; `make test` installs it into the git-ignored
.build/axe (a 650 kB third-party file stays out of the repository, and upgrading it is a
one-line change). It is evaluated through the DevTools protocol, which a page's
Content-Security-Policy does not block, so pages are checked with their real CSP on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import pytest
from playwright.sync_api import Page

AXE = Path(__file__).resolve().parents[2] / ".build" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
WCAG21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

_RUN = """async ([tags, include]) => {
  const result = await axe.run(include ? {include: [include]} : document,
                               {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
  return {version: axe.version, violations: result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => n.target.join(' ') + ': ' + n.failureSummary)}))};
}"""


def _inject(page: Page) -> None:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `make test-deps` (what `make test` does first)", pytrace=False)
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")


def violations(page: Page, include: Optional[str] = None) -> list[dict]:
    """WCAG 2.1 AA violations on the page (or inside the element `include` selects)."""
    _inject(page)
    found = page.evaluate(_RUN, [WCAG21_AA, include])
    assert found["version"] == "4.14.1"
    return found["violations"]


def assert_no_violations(page: Page, include: Optional[str] = None) -> None:
    found = violations(page, include)
    report = "\n".join(f"{v['id']} ({v['impact']}): {v['help']}\n    " + "\n    ".join(v["nodes"]) for v in found)
    assert not found, f"axe-core: WCAG 2.1 AA violations on {page.url}:\n{report}"
