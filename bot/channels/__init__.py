"""Rasa input channels that prove who is writing: signed Twilio SMS, token-verified web chat."""
