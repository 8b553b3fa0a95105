"""The database: models, sessions and migrations, named queries, the CSV importer."""
