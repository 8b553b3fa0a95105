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
    not_understood = "not_understood"  # the assistant asked what the client meant
    during_takeover = "during_takeover"  # written while a staff member had taken over
    opted_out_wrote = "opted_out_wrote"  # a client who opted out of texts wrote anyway
    followup_failed = "followup_failed"  # a follow-up text could not be delivered


# The kinds also texted to a clinic's alert phone (when it has one); the others are for
# the console only. Out of opening hours only red flags are texted.
TEXTED = frozenset(
    {
        AlertKind.red_flag,
        AlertKind.human_request,
        AlertKind.photo,
        AlertKind.opted_out_wrote,
        AlertKind.followup_failed,
        AlertKind.bot_error,
        AlertKind.uncovered_topic,
        AlertKind.outside_timeline,
        AlertKind.other_language,
    }
)
