"""The protocols shipped with the package: the default, the topic catalog, examples.

This is the edge that reads files; bot.recovery.protocol stays pure.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Iterator, Mapping, Optional

from bot.recovery.protocol import (
    Protocol,
    TopicCatalog,
    build,
    check_extension,
    load,
    load_catalog,
    parse_yaml,
)

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


class _Extensions(Mapping):
    """What a clinic's file may `include:`: the files in examples/, by name without .yml,
    each read and checked only when a clinic includes it."""

    def __init__(self) -> None:
        folder = resources.files(__package__).joinpath("examples")
        self._names = sorted(e.name[: -len(".yml")] for e in folder.iterdir() if e.name.endswith(".yml"))

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def __getitem__(self, name: str) -> dict:
        if name not in self._names:
            raise KeyError(name)
        return _extension(name)


@lru_cache(maxsize=None)
def _extension(name: str) -> dict:
    source = f"bot/protocols/examples/{name}.yml"
    return check_extension(parse_yaml(_read(f"examples/{name}.yml"), source), name, source)


@lru_cache(maxsize=1)
def extensions() -> Mapping[str, dict]:
    return _Extensions()


@lru_cache(maxsize=256)
def for_clinic(override_yaml: Optional[str], source: str = "clinic protocol") -> Protocol:
    """The default protocol with a clinic's overrides (YAML text) applied."""
    if not override_yaml or not override_yaml.strip():
        return default()
    return load(override_yaml, catalog(), source, base=default_raw(), extensions=extensions())


def validate_file(path: Path) -> str:
    """Read a clinic's override file and validate it; returns its text for storage."""
    text = path.read_text(encoding="utf-8")
    load(text, catalog(), str(path), base=default_raw(), extensions=extensions())
    return text


def example_path(name: str) -> Path:
    return Path(str(resources.files(__package__) / "examples" / name))


__all__ = ["catalog", "default", "example_path", "extensions", "for_clinic", "validate_file"]
