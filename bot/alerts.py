"""The kinds of alert a clinic's staff receive. Stored by value: add kinds, never rename one."""

from __future__ import annotations

import enum


class AlertKind(str, enum.Enum):
    red_flag = "red_flag"
    human_request = "human_request"
    uncovered_topic = "uncovered_topic"
    outside_timeline = "outside_timeline"
    photo = "photo"
    bot_error = "bot_error"
    other_language = "other_language"
