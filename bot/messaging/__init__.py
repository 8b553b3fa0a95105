"""Outgoing SMS: the one gateway (Twilio REST or the local outbox), splitting long texts,
the follow-up schedule kept in the database, and the worker that sends due messages once."""
