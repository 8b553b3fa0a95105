"""`python -m bot`: the same as the `aftercare` command."""

from bot.cli import main

main(prog_name="aftercare")
