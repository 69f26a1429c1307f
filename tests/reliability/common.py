"""Driving an entry point with many inputs and keeping its figures: answers, errors, leaks, state."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from tests.reliability import figures

SECRETS = {
    "bot token": "123456:TEST-TOKEN",
    "Telegram webhook secret": "test-webhook-secret",
    "Blinger token": "blinger-app-token",
    "Blinger events key": "blinger-events-key",
}
# Logged at ERROR by design for a handled case (the update is dropped with 200): not a crash.
HANDLED_ERRORS = ("Update could not be parsed; dropped",)


@dataclass
class Tally:
    """One entry point's figures in one test: every answer and every log line it produced."""

    section: str
    entry: str
    logs: Any
    phones: set[str] = field(default_factory=set)
    answers: list[str] = field(default_factory=list)
    shapes: set[str] = field(default_factory=set)

    def answered(self, response: dict[str, Any]) -> dict[str, Any]:
        figures.count(self.section, self.entry, "inputs tried")
        figures.count(self.section, self.entry, "5xx answers", 0)
        if int(response["statusCode"]) >= 500:
            figures.count(self.section, self.entry, "5xx answers")
        self.answers.append(json.dumps(response.get("headers", {})) + str(response.get("body", "")))
        return response

    def phone(self, phone: str) -> str:
        """Remember a phone number the inputs carried: it must not appear in full in logs or answers."""
        digits = re.sub(r"\D", "", phone)
        if len(digits) >= 10:
            self.phones.add(digits)
            if phone != digits:  # bare digits are checked below, apart from JSON numbers
                self.shapes.add(phone)
        return phone

    def unhandled(self, recorded_failures: int = 0) -> list[str]:
        errors = [
            line
            for line in self.logs.lines("ERROR") + self.logs.lines("CRITICAL")
            if not any(handled in line for handled in HANDLED_ERRORS)
        ]
        figures.count(self.section, self.entry, "unhandled exceptions", len(errors) + recorded_failures)
        return errors

    def leaks(self) -> list[str]:
        """Secrets and full phone numbers found in the log lines or the answers."""
        texts = [self.logs.text, *self.answers]
        found = [name for name, secret in SECRETS.items() if any(secret in text for text in texts)]
        found += [
            f"phone …{shape[-4:]} as typed" for shape in sorted(self.shapes) if any(shape in t for t in texts)
        ]
        # A phone number's digits in text (a JSON string, a message), not as a JSON number: numbers
        # are ids, left alone by design (a generated id may happen to have a phone's digits).
        for phone in sorted(self.phones):
            shape = re.compile(rf"(?<![\d:,\[])\+?{phone}(?!\d)")
            if any(shape.search(text) for text in texts):
                found.append(f"phone …{phone[-4:]}")
        figures.count(self.section, self.entry, "secrets leaked", len(found))
        return found

    def corrupted(self, broken: int) -> None:
        figures.count(self.section, self.entry, "state corrupted", broken)
