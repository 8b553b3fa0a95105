"""Reading what booking systems send: their status words, the times their exports write,
a clinic's column mapping, which services are microneedling, Acuity's appointments and
the signed webhook's events, and the signatures on both. Pure: no database, no network;
the domain services (bot/services/bookings.py, importer.py) record what is read here."""
