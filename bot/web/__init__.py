"""The web chat widget and the demo clinic page (static files, served by bot.channels.web)."""
