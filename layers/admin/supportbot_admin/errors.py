"""Error answers of the admin API, in the shapes its OpenAPI document declares.

- 400 (a bad cursor)/401/403/404/409: ``{"statusCode": ..., "message": ...}`` (Powertools'
  ``ServiceError`` shape); a role refused is 403 ``{"detail": "needs role admin"}``;
- 409 of a lifecycle move: ``{"detail": ..., "status": <current>, "allowed": [...]}``;
- 422: ``{"statusCode": 422, "detail": [{"loc": [...], "msg": ..., "type": ...}]}``, the same for
  pydantic's refusals and the API's own checks the document states (text Telegram would refuse),
  so a client finds the offending field in ``loc`` either way;
- 400 of a rule the document cannot state (one field against another, two filters at once):
  ``{"statusCode": 400, "message": ..., "detail": [...]}`` as a 422's (:class:`RuleError`), so a
  request valid by the document is never answered 422.
"""

from __future__ import annotations

from http import HTTPStatus

from aws_lambda_powertools.event_handler.exceptions import ServiceError
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel


class ErrorBody(BaseModel):
    statusCode: int
    message: str


class Forbidden(BaseModel):
    """A key that is nobody's (``statusCode``, ``message``), or a role short of the route's (``detail``:
    "needs role admin")."""

    statusCode: int | None = None
    message: str | None = None
    detail: str | None = None


class FieldProblem(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorBody(BaseModel):
    statusCode: int
    detail: list[FieldProblem]


class RuleBody(BaseModel):
    statusCode: int
    message: str
    detail: list[FieldProblem] | None = None


class RefusedBody(BaseModel):
    """A move a lifecycle refuses, or one made from a stale version (api.py answers it)."""

    detail: str
    status: str
    allowed: list[str]


class FieldError(Exception):
    """Input that passed the schema but not the API's own rules: answered 422, naming the field."""

    status = 422

    def __init__(self, loc: tuple[str | int, ...], msg: str, kind: str = "value_error") -> None:
        super().__init__(msg)
        self.msg = msg
        self.problems = [{"loc": list(loc), "msg": msg, "type": kind}]


class RuleError(FieldError):
    """Input valid by the document but against a rule JSON Schema cannot state (a field compared
    with another, or with the path): 400, named as a 422 names its field."""

    status = 400


class NotFound(ServiceError):
    def __init__(self, msg: str) -> None:
        super().__init__(HTTPStatus.NOT_FOUND, msg)


class Conflict(ServiceError):
    """The stored state changed since the client read it (a version mismatch), or forbids the change."""

    def __init__(self, msg: str) -> None:
        super().__init__(HTTPStatus.CONFLICT, msg)


def _error(description: str, model: type[BaseModel] = ErrorBody) -> OpenAPIResponse:
    return {"description": description, "content": {"application/json": {"model": model}}}


Responses = dict[int, OpenAPIResponse]
UNAUTHORIZED: Responses = {
    401: _error("No X-Api-Key header"),
    403: _error("Wrong key, no key configured, or a role that may not use the route", Forbidden),
}
NOT_FOUND: Responses = {404: _error("No such item")}
BAD_CURSOR: Responses = {400: _error("The cursor is not one this list (with these filters) gave", RuleBody)}


def rule(description: str, cursor: bool = False) -> Responses:
    """The 400 of a rule the schema cannot state (and of a bad cursor, on a list)."""
    also = "; or the cursor is not one this list (with these filters) gave" if cursor else ""
    return {400: _error(description + also, RuleBody)}


CONFLICT: Responses = {409: _error("Version mismatch, or the change is not allowed in the current state")}
REFUSED: Responses = {
    409: _error(
        "The lifecycle refuses the move (or the version read is stale): the current status and the allowed moves",
        RefusedBody,
    )
}
INVALID: Responses = {422: _error("Invalid input; loc names the field", ValidationErrorBody)}
# Given with the error answers, Powertools documents the return type only for the statuses listed.
OK: Responses = {200: {"description": "OK"}}
