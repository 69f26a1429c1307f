"""Blinger's id for a customer and back: the outbox writes it, the Blinger webhook reads it."""

from __future__ import annotations


def blinger_client_id(user_id: int) -> str:
    """Blinger's stable id for a customer; ``user_of_client_id`` maps it back."""
    return f"tg-{user_id}"


def user_of_client_id(client_id: object) -> int | None:
    if isinstance(client_id, str) and client_id.startswith("tg-") and client_id[3:].isdigit():
        return int(client_id[3:])
    return None
