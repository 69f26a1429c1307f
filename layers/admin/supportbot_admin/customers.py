"""Routes of the built-in backend: customers (by phone) and their orders, one by one or imported,
and browsed a page at a time (``supportbot_admin/pages.py``): customers by phone from the
``Customers`` index, a customer's orders by id from their partition (one Query each).

Imports are checked whole (every row) before the first write, then written in batches: a bad row
answers 422 naming its index and field, and nothing is stored. Orders are imported as a JSON list
or as CSV with a header row naming the order's fields (``Content-Type: text/csv``).
"""

from __future__ import annotations

import csv
import functools
import io
import json
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel, Field, TypeAdapter, ValidationError, field_validator

from supportbot.backend.builtin import (
    CUSTOMERS_KEY,
    ORDER_PREFIX,
    PROFILE,
    BackendItem,
    BuiltinBackend,
    customer_key,
    profile_item,
)
from supportbot.backend.models import Order, OrderFormatError, parse_timestamp
from supportbot.backend.phones import normalize_phone
from supportbot.config import get_config
from supportbot.notifications.order_events import builtin_order_changed
from supportbot_admin import pages
from supportbot_admin.errors import (
    BAD_CURSOR,
    INVALID,
    NOT_FOUND,
    OK,
    UNAUTHORIZED,
    FieldError,
    NotFound,
    RuleError,
    rule,
)

router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]
TAGS = ["customers"]
IMPORT_LIMIT = 5000
ORDERS_IMPORT_PATH = "/v1/admin/customers/{phone}/orders/import"

# What normalize_phone takes, as a pattern the document states: digits with single separators,
# "+" for international; without it an 11-digit number starting with 8 is Russian (8 → +7).
PHONE_PATTERN = r"^\+?[1-9](?:[ ()-]?[0-9]){7,14}$"
PHONE_DESCRIPTION = (
    "E.164 (+79001234567) or with separators (+7 900 123-45-67, 8 (900) 123-45-67); stored as E.164"
)
# An ISO 8601 time with its UTC offset that is a real time (Feb 29 left out: the pattern knows no leap years).
TIMESTAMP_PATTERN = (
    r"^[1-9][0-9]{3}-(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])|(?:0[13-9]|1[0-2])-(?:29|30)"
    r"|(?:0[13578]|1[02])-31)T(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]{1,6})?)?"
    r"(?:Z|[+-](?:[01][0-9]|2[0-3])(?::?[0-5][0-9])?)$"
)

PhonePath = Annotated[str, Path(max_length=40, pattern=PHONE_PATTERN, description=PHONE_DESCRIPTION)]


class CustomerFields(BaseModel):
    user_type: Literal["customer", "partner"] = "customer"
    name: str = Field(default="", max_length=200)
    blocked: bool = False


class CustomerRecord(CustomerFields):
    phone: str = Field(min_length=1, max_length=40, pattern=PHONE_PATTERN, description=PHONE_DESCRIPTION)

    @field_validator("phone")
    @classmethod
    def _phone(cls, phone: str) -> str:
        canonical = normalize_phone(phone)
        if canonical is None:
            raise ValueError("not a phone number")
        return canonical


class Customer(CustomerFields):
    phone: str = Field(description="E.164")


class OrderFields(BaseModel):
    """An order as the business-system contract describes it (docs/business-system-openapi.yaml)."""

    number: str = Field(min_length=1, max_length=64)
    title: str = Field(default="", max_length=500)
    status: str | None = Field(default=None, max_length=64)
    status_text: str | None = Field(default=None, max_length=200)
    amount: str = Field(pattern=r"^-?\d{1,15}(\.\d{1,6})?$", description="Decimal string")
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 4217")
    updated_at: str = Field(
        max_length=40, pattern=TIMESTAMP_PATTERN, description="ISO 8601 with a UTC offset"
    )
    items_count: int | None = Field(default=None, ge=0, le=1_000_000)
    counterparty: str | None = Field(default=None, max_length=200)

    @field_validator("updated_at")
    @classmethod
    def _timestamp(cls, value: str) -> str:
        parse_timestamp(value)  # OrderFormatError is a ValueError: pydantic names the field
        return value


ORDER_ID_PATTERN = r"^[A-Za-z0-9._~-]{1,32}$"
OrderId = Annotated[str, Field(pattern=ORDER_ID_PATTERN, description="1-32 URL-safe characters")]
OrderIdPath = Annotated[str, Path(pattern=ORDER_ID_PATTERN, description="1-32 URL-safe characters")]


class OrderRecord(OrderFields):
    id: OrderId


class OrderBody(OrderFields):
    id: OrderId | None = Field(default=None, description="The path's order id when given")


class Customers(BaseModel):
    customers: list[Customer] = Field(description="By phone")
    next_cursor: str | None = Field(description=pages.NEXT_CURSOR)


class Orders(BaseModel):
    phone: str
    orders: list[OrderRecord] = Field(description="By order id")
    next_cursor: str | None = Field(description=pages.NEXT_CURSOR)


class Imported(BaseModel):
    imported: int


class OrdersImported(Imported):
    phone: str


class Deleted(BaseModel):
    deleted: int = Field(description="Items deleted (a customer: the profile and each order)")


def phone_of(phone: str) -> str:
    canonical = normalize_phone(phone)  # decoded already ("%2B" is "+": api.handle)
    if canonical is None:
        raise FieldError(("path", "phone"), "not a phone number")
    return canonical


def existing_customer(phone: str) -> str:
    return profile_of(phone).pk.removeprefix(customer_key(""))


def profile_of(phone: str) -> BackendItem:
    canonical = phone_of(phone)
    try:
        return BackendItem.get(customer_key(canonical), PROFILE, consistent_read=True)
    except BackendItem.DoesNotExist:
        raise NotFound(f"no customer {canonical}") from None


def customer_out(item: BackendItem) -> Customer:
    return Customer(
        phone=item.pk.removeprefix(customer_key("")),
        user_type="partner" if item.user_type == "partner" else "customer",
        name=item.name or "",
        blocked=bool(item.blocked),
    )


@router.get(
    "/v1/admin/customers",
    tags=TAGS,
    summary="Customers by phone (a page: pass next_cursor as cursor)",
    responses={**OK, **UNAUTHORIZED, **BAD_CURSOR, **INVALID},
)
def list_customers(limit: pages.Limit = pages.DEFAULT_LIMIT, cursor: pages.Cursor = None) -> Customers:
    found, after = pages.page(
        functools.partial(BackendItem.customers.query, CUSTOMERS_KEY), limit, cursor, "customers"
    )
    return Customers(customers=[customer_out(item) for item in found], next_cursor=after)


@router.get(
    "/v1/admin/customers/<phone>",
    tags=TAGS,
    summary="A customer's profile",
    responses={**OK, **UNAUTHORIZED, **NOT_FOUND, **INVALID},
)
def get_customer(phone: PhonePath) -> Customer:
    return customer_out(profile_of(phone))


@router.get(
    "/v1/admin/customers/<phone>/orders",
    tags=TAGS,
    summary="A customer's orders by id (a page: pass next_cursor as cursor)",
    responses={**OK, **UNAUTHORIZED, **NOT_FOUND, **BAD_CURSOR, **INVALID},
)
def list_orders(
    phone: PhonePath, limit: pages.Limit = pages.DEFAULT_LIMIT, cursor: pages.Cursor = None
) -> Orders:
    canonical = existing_customer(phone)
    query = functools.partial(
        BackendItem.query, customer_key(canonical), BackendItem.sk.startswith(ORDER_PREFIX)
    )
    found, after = pages.page(query, limit, cursor, f"orders:{canonical}")
    return Orders(
        phone=canonical,
        orders=[OrderRecord.model_validate(item.order) for item in found],
        next_cursor=after,
    )


def to_order(record: OrderRecord, loc: tuple[str | int, ...]) -> Order:
    try:
        return Order.from_dict(record.model_dump(exclude_none=False))
    except OrderFormatError as error:  # the contract's own last word (already covered above)
        raise FieldError(loc, str(error)) from None


@router.put(
    "/v1/admin/customers/<phone>",
    tags=TAGS,
    summary="Create or replace a customer's profile (their orders stay)",
    responses={**OK, **UNAUTHORIZED, **INVALID},
)
def put_customer(phone: PhonePath, body: CustomerFields) -> Customer:
    canonical = BuiltinBackend().upsert_customer(phone_of(phone), body.user_type, body.name, body.blocked)
    return Customer(phone=canonical, **body.model_dump())


@router.delete(
    "/v1/admin/customers/<phone>",
    tags=TAGS,
    summary="Delete a customer and their orders (their bot logins stop working)",
    responses={**OK, **UNAUTHORIZED, **NOT_FOUND, **INVALID},
)
def delete_customer(phone: PhonePath) -> Deleted:
    return Deleted(deleted=BuiltinBackend().delete_customer(existing_customer(phone)))


@router.post(
    "/v1/admin/customers/import",
    tags=TAGS,
    summary="Create or replace many customers (checked whole first)",
    responses={**OK, **UNAUTHORIZED, **INVALID},
)
def import_customers(body: Annotated[list[CustomerRecord], Body(max_length=IMPORT_LIMIT)]) -> Imported:
    # One write per customer: a phone listed twice (in two spellings, say) keeps its last row, and
    # a batch may not name one item twice.
    latest = {record.phone: record for record in body}
    with BackendItem.batch_write() as batch:
        for record in latest.values():
            batch.save(profile_item(record.phone, record.user_type, record.name, record.blocked))
    return Imported(imported=len(latest))


@router.put(
    "/v1/admin/customers/<phone>/orders/<order_id>",
    tags=TAGS,
    summary="Create or replace one order of a customer",
    responses={
        **OK,
        **UNAUTHORIZED,
        **NOT_FOUND,
        **rule("The body's id is not the path's order id"),
        **INVALID,
    },
)
def put_order(phone: PhonePath, order_id: OrderIdPath, body: OrderBody) -> OrderRecord:
    if body.id is not None and body.id != order_id:
        raise RuleError(("body", "id"), "must be the path's order id (or left out)")
    record = OrderRecord(**{**body.model_dump(), "id": order_id})  # the path's id has OrderId's pattern
    canonical = existing_customer(phone)
    # A new order or a new status reaches the customer as the business system's event would.
    changed = functools.partial(builtin_order_changed, get_config())
    BuiltinBackend().upsert_order(canonical, to_order(record, ("body",)), on_change=changed)
    return record


@router.delete(
    "/v1/admin/customers/<phone>/orders/<order_id>",
    tags=TAGS,
    summary="Delete one order",
    responses={**OK, **UNAUTHORIZED, **NOT_FOUND, **INVALID},
)
def delete_order(phone: PhonePath, order_id: OrderIdPath) -> Deleted:
    if not BuiltinBackend().delete_order(phone_of(phone), order_id):
        raise NotFound(f"no order {order_id[:40]!r} of this customer")
    return Deleted(deleted=1)


ORDER_LIST = TypeAdapter(list[OrderRecord])


@router.post(
    "/v1/admin/customers/<phone>/orders/import",
    tags=TAGS,
    summary="Create or replace many orders: a JSON list, or CSV with a header row (text/csv)",
    responses={
        **OK,
        **UNAUTHORIZED,
        **NOT_FOUND,
        **rule(
            "An order id twice, or a CSV row that is not an order (its cells are read as OrderRecord's fields)"
        ),
        **INVALID,
    },
)
def import_orders(phone: PhonePath) -> OrdersImported:
    event = router.current_event  # the body is parsed here: JSON or CSV
    content_type = (event.headers.get("content-type") or "application/json").split(";")[0].strip().lower()
    raw = event.decoded_body or ""
    is_csv = content_type == "text/csv"
    if is_csv:
        rows: Any = csv_rows(raw)
    elif content_type == "application/json":
        try:
            rows = json.loads(raw)
        except ValueError:
            raise FieldError(("body",), "not JSON", "json_invalid") from None
    else:
        raise FieldError(
            ("header", "content-type"), "send application/json or text/csv", "unsupported_content_type"
        )
    if not isinstance(rows, list):
        raise FieldError(("body",), "must be a list of orders", "list_type")
    if len(rows) > IMPORT_LIMIT:
        raise FieldError(("body",), f"at most {IMPORT_LIMIT} orders at once", "too_long")
    try:
        records = ORDER_LIST.validate_python(rows)
    except ValidationError as error:
        # A JSON list is checked as the document states; a CSV's cells are text the document
        # cannot describe further than its header row.
        first = error.errors()[0]
        refusal = RuleError if is_csv else FieldError
        raise refusal(("body", *first["loc"]), first["msg"], first["type"]) from None
    ids = [record.id for record in records]
    if len(set(ids)) != len(ids):
        duplicate = next(i for i, order_id in enumerate(ids) if ids.index(order_id) != i)
        raise RuleError(("body", duplicate, "id"), f"order id {ids[duplicate]!r} appears twice", "duplicate")
    orders = [to_order(record, ("body", index)) for index, record in enumerate(records)]
    canonical = existing_customer(phone)
    count = BuiltinBackend().import_orders(canonical, orders)
    return OrdersImported(imported=count, phone=canonical)


def csv_rows(raw: str) -> list[dict[str, Any]]:
    """Rows of a CSV with a header row: empty cells are left out (unset), items_count a number."""
    reader = csv.DictReader(io.StringIO(raw))
    known = set(OrderRecord.model_fields)
    unknown = [name for name in reader.fieldnames or [] if name not in known]
    if not reader.fieldnames or unknown:
        raise FieldError(
            ("body",), f"the header row must name order fields ({', '.join(sorted(known))})", "csv_header"
        )
    rows: list[dict[str, Any]] = []
    try:
        for row in reader:
            record: dict[str, Any] = {k: v for k, v in row.items() if k is not None and v not in (None, "")}
            if None in row:
                raise RuleError(("body", len(rows)), "more cells than the header names", "csv_row")
            if "items_count" in record:
                record["items_count"] = (
                    int(record["items_count"]) if record["items_count"].isdigit() else record["items_count"]
                )
            rows.append(record)
    except csv.Error as error:
        raise RuleError(("body", len(rows)), f"not CSV: {error}", "csv_invalid") from None
    return rows


def csv_header_pattern() -> str:
    """What csv_rows takes as a header row: OrderRecord's field names, comma-separated, unquoted."""
    name = "(?:" + "|".join(sorted(OrderRecord.model_fields)) + ")"
    return f"^{name}(?:,{name})*(?:\\r?\\n|$)"


def document_import_body(schema: dict[str, Any]) -> None:
    """The orders import reads its body itself (JSON or CSV), so Powertools does not describe it."""
    operation = schema["paths"][ORDERS_IMPORT_PATH]["post"]
    schema["components"]["schemas"].setdefault("OrderRecord", OrderRecord.model_json_schema())
    operation["requestBody"] = {
        "required": True,
        "content": {
            "application/json": {
                "schema": {"type": "array", "items": {"$ref": "#/components/schemas/OrderRecord"}}
            },
            "text/csv": {
                "schema": {
                    "type": "string",
                    "pattern": csv_header_pattern(),
                    "description": "A header row naming OrderRecord's fields, then one order a row",
                }
            },
        },
    }
