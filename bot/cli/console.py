"""`aftercare console`: the staff console's web server (what `aftercare serve` starts)."""

from __future__ import annotations

from typing import Optional

import click

from bot import config, local_secret
from bot.cli.common import database, fail


@click.command("console")
@click.option("--port", type=int, default=None, help="Port (default: CONSOLE_PORT, else 5006).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface; put a TLS proxy in front.")
def console_command(port: Optional[int], host: str) -> None:
    """Serve the staff console (sign-in, inbox) until stopped."""
    from bot.console.app import create_app  # the web stack loads only for this command

    settings = config.from_env()
    with database() as engine:
        try:
            app = create_app(settings, engine, name="aftercare_console")
        except local_secret.SecretError as exc:
            fail(str(exc))
        app.run(host=host, port=port or settings.console_port, access_log=False, motd=False)
