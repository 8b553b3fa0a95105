"""The domain services: the one front door for every operation that changes what the
clinic knows (clinics, clients, treatments, bookings, alerts), for resolving who is
writing, and for the staff console's accounts, sign-in and audit log. Each does the
write and what must follow it (the follow-up schedule, the audit entry) together, and
holds each rule once, so the CLI, the channels, the worker and the console call one
function instead of remembering several."""
