"""Tools for developing and demonstrating aftercare without outside services; never used
by the running assistant itself."""
