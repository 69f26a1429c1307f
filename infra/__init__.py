"""Local stack, stand-ins and operations scripts (not deployed)."""
