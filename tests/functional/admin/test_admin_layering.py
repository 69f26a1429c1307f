"""Admin-only dependencies stay off the webhooks' path: they live in the admin layer."""

from __future__ import annotations

from tests.imports import packages_loaded


def test_the_webhook_functions_load_without_the_admin_layer_and_never_import_pydantic():
    # GIVEN the import path of a webhook function in Lambda: the shared layer only
    # THEN their handlers import, and nothing of the admin's was loaded
    functions = ["telegram_webhook", "blinger_webhook", "outbox"]
    assert packages_loaded(functions, ("pydantic", "supportbot_admin")) == []
