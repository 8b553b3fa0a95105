"""What becomes of a job the worker takes: each a small value the worker matches on.

A kind of job prepares a row into Send, Skip or Postpone; taking the row may also find
it Lost (another worker or a change got to it first).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Optional, Union

from bot.messaging.gateway import Outgoing
from bot.store.messaging_models import JobStatus


@dataclass(frozen=True)
class Send:
    message: Outgoing
    doubt_before: Optional[datetime] = None  # when an earlier send of this job fell in doubt


@dataclass(frozen=True)
class Skip:
    """It must not go out: the row ends with this status and reason."""

    status: Literal[JobStatus.skipped, JobStatus.cancelled]
    reason: str


@dataclass(frozen=True)
class Postpone:
    until: datetime  # not now (the clinic's quiet hours): try again then


@dataclass(frozen=True)
class Lost:
    """No longer this worker's to send."""


Prepared = Union[Send, Skip, Postpone]
Taken = Union[Send, Skip, Postpone, Lost]
