"""Table names come from ``Config`` (the template's ``!Ref``s, read once per cold start).

Each model's ``Meta.table_name`` is a :class:`TableName`, which asks ``get_config()`` when pynamodb
first needs the name (and pynamodb re-checks it on every call, so a test or a script that changes
the configuration and clears ``get_config``'s cache reaches the new table). Nothing reads the
environment when a module is imported.
"""

from __future__ import annotations

from typing import Any


class TableName:
    """``Meta.table_name = TableName("sessions_table")``: the ``Config`` field that names the table."""

    def __init__(self, setting: str) -> None:
        self.setting = setting

    def __get__(self, instance: Any, owner: Any) -> str:
        from supportbot.config import get_config

        return str(getattr(get_config(), self.setting))
