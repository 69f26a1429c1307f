"""The admin JSON API (``/v1/admin/...``): content trees, conversations, tickets, the built-in
backend and stats, validated with pydantic and described by a generated OpenAPI document.

It ships in the admin layer with pydantic, which only the admin function loads: the webhooks'
cold start never imports it. ``api.handle`` is the function's whole handler: the API key check,
then Powertools' resolver with one ``Router`` per area (``trees``, ``conversations``,
``customers``, ``stats``).
"""
