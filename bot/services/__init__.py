"""The domain services: the one front door for every operation that changes what the
clinic knows (clinics, clients, treatments, bookings, alerts) and for resolving who is
writing. Each does the write and what must follow it (the follow-up schedule) together,
and holds each rule once, so the CLI, the channels, the worker and any future edge call
one function instead of remembering several."""
