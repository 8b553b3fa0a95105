"""The protocols shipped with the package: the default, the topic catalog, examples.

This is the edge that reads files; bot.recovery.protocol stays pure.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Optional

from bot.recovery.protocol import Protocol, TopicCatalog, build, load, load_catalog, parse_yaml

DEFAULT_SOURCE = "bot/protocols/default.yml"


def _read(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def catalog() -> TopicCatalog:
    return load_catalog(_read("topics.yml"))


@lru_cache(maxsize=1)
def default_raw() -> dict:
    return parse_yaml(_read("default.yml"), DEFAULT_SOURCE)


@lru_cache(maxsize=1)
def default() -> Protocol:
    return build(default_raw(), catalog(), DEFAULT_SOURCE)


@lru_cache(maxsize=256)
def for_clinic(override_yaml: Optional[str], source: str = "clinic protocol") -> Protocol:
    """The default protocol with a clinic's overrides (YAML text) applied."""
    if not override_yaml or not override_yaml.strip():
        return default()
    return load(override_yaml, catalog(), source, base=default_raw())


def validate_file(path: Path) -> str:
    """Read a clinic's override file and validate it; returns its text for storage."""
    text = path.read_text(encoding="utf-8")
    load(text, catalog(), str(path), base=default_raw())
    return text


def example_path(name: str) -> Path:
    return Path(str(resources.files(__package__) / "examples" / name))


__all__ = ["catalog", "default", "example_path", "for_clinic", "validate_file"]
