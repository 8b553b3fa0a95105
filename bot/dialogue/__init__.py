"""One turn of the conversation: who is writing (context) and what to say (turns)."""
