"""Messages the bot sends on its own: order notifications and broadcasts (docs/ARCHITECTURE.md,
"Order events and broadcasts")."""
