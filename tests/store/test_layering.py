"""The store only stores: nothing under bot/store imports a layer built on top of it.

Walks every module's imports with `ast` (at the top, inside functions, relative ones),
so a lazy import deep in a function counts as much as one at the top.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STORE = ROOT / "bot" / "store"
ABOVE = ("bot.messaging", "bot.dialogue", "bot.channels", "bot.cli", "bot.services", "bot.web", "actions")


def imported_modules(path: Path, root: Path = ROOT) -> set[str]:
    package = list(path.relative_to(root).with_suffix("").parts[:-1])
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            parts = package[: len(package) - node.level + 1] if node.level else []
            base = ".".join(parts + ([node.module] if node.module else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def upward(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == above or m.startswith(above + ".") for above in ABOVE))


@pytest.mark.parametrize("path", sorted(STORE.rglob("*.py")), ids=lambda p: str(p.relative_to(STORE)))
def test_the_store_imports_nothing_above_itself(path):
    assert upward(imported_modules(path)) == []


def test_the_walk_sees_every_kind_of_upward_import(tmp_path):
    """A control: the empty lists above mean something only if these are caught."""
    probe = tmp_path / "bot" / "store" / "probe.py"
    probe.parent.mkdir(parents=True)
    probe.write_text(
        "import bot.phones\n"
        "from bot.messaging import followups\n"
        "from .. import services\n"
        "from ..dialogue.turns import State\n"
        "def later():\n"
        "    import bot.cli.treatments\n"
    )
    assert upward(imported_modules(probe, tmp_path)) == [
        "bot.cli.treatments",
        "bot.dialogue.turns",
        "bot.dialogue.turns.State",
        "bot.messaging",
        "bot.messaging.followups",
        "bot.services",
    ]
