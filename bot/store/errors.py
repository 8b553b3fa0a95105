"""What the store and the domain services refuse, as exceptions with one-line messages
the CLI prints as they are."""

from __future__ import annotations


class StoreError(Exception):
    """Base of every domain error raised by bot.store and bot.services."""


class NotFound(StoreError, LookupError):
    pass


class UnknownClinic(NotFound):
    pass


class UnknownClient(NotFound):
    pass


class UnknownTreatment(NotFound):
    pass


class AmbiguousClient(StoreError):
    """A phone number shared by clients of several clinics, and no clinic given."""


class Conflict(StoreError):
    """A row that would break a uniqueness rule."""


class DuplicateClinic(Conflict):
    pass


class DuplicateClient(Conflict):
    pass


class DuplicateTreatment(Conflict):
    pass


class InvalidValue(StoreError, ValueError):
    """A field value the store does not accept (bad slug, timezone, URL, length ...)."""


class FutureTreatment(InvalidValue):
    """A treatment recorded as done at a time that has not come yet."""


class UnknownStaff(NotFound):
    pass


class DuplicateStaff(Conflict):
    pass


class DuplicateBookingSource(Conflict):
    pass


class DuplicateImportMapping(Conflict):
    pass


class DuplicateEvent(Conflict):
    """A webhook event received before (the same event id, or the same signature)."""


class UnknownImportMapping(NotFound):
    pass
