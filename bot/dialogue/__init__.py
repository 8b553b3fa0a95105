"""One turn of the conversation: what to say (turns), given who is writing."""
