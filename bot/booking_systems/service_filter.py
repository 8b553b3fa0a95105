"""Which appointments are microneedling: a booking system books facials, fillers and
massages too, and only a microneedling treatment gets this aftercare."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.store.errors import InvalidValue

DEFAULT_SERVICES = "microneedling|collagen induction|SkinPen|Dermapen"
MAX_PATTERN_CHARS = 500


@dataclass(frozen=True)
class ServiceFilter:
    """A regular expression searched in the service's name, ignoring case; a name is also
    tried without its hyphens and spaces, so "Micro-Needling" is microneedling."""

    pattern: str = DEFAULT_SERVICES
    _compiled: re.Pattern = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.pattern.strip() or len(self.pattern) > MAX_PATTERN_CHARS:
            raise InvalidValue(f"the service filter must be 1 to {MAX_PATTERN_CHARS} characters")
        try:
            compiled = re.compile(self.pattern, re.IGNORECASE)
        except re.error as error:
            raise InvalidValue(
                f"the service filter {self.pattern[:60]!r} is not a regular expression ({error})"
            ) from None
        object.__setattr__(self, "_compiled", compiled)

    @classmethod
    def of(cls, pattern: "str | None") -> "ServiceFilter":
        return cls(pattern) if pattern else cls()

    def matches(self, service: str) -> bool:
        name = service or ""
        return bool(self._compiled.search(name) or self._compiled.search(re.sub(r"[-\s]+", "", name)))
