"""The bot's screens, one module per area, each declaring its states next to its handlers."""
