"""pynamodb attributes shared by the models."""

from __future__ import annotations

import json
from typing import Any

from pynamodb.attributes import JSONAttribute


class CompactJSONAttribute(JSONAttribute):
    """JSON stored without spaces and with UTF-8 text as is: Cyrillic stays 2 bytes a letter, not 6,
    which keeps a session item inside one write unit."""

    def serialize(self, value: Any) -> str:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
