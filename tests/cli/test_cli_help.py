"""Every command answers --help; `python -m bot` is the same command."""

import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from bot.cli import main

ROOT = Path(__file__).resolve().parents[2]


def command_paths(group: click.Group, prefix=()):
    for name, command in sorted(group.commands.items()):
        yield prefix + (name,)
        if isinstance(command, click.Group):
            yield from command_paths(command, prefix + (name,))


PATHS = list(command_paths(main))


def test_the_expected_commands_exist():
    assert {" ".join(path) for path in PATHS} >= {
        "clinic add",
        "clinic list",
        "client add",
        "treatment add",
        "import",
        "protocol show",
        "protocol check",
        "demo seed",
    }


@pytest.mark.parametrize("path", [(), *PATHS], ids=lambda p: " ".join(p) or "aftercare")
def test_help(path):
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Usage: ")
    assert "--help" in result.stdout


def test_python_m_bot():
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "Usage: aftercare" in result.stdout
