"""The bot's application package, shared by every function through the layer."""
