"""The database: models, sessions and migrations, named queries. It only stores: the rules
about what may be written live in bot/services, which call it."""
