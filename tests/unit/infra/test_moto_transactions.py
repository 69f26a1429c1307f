"""The local stack's moto backs up only a transaction's own items (infra/localstack/moto_transactions.py):
what a transaction does, applied or cancelled, is what moto's whole-table backup did."""

from __future__ import annotations

import boto3
import moto.dynamodb.models as dynamodb_models
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.dynamodb.models import DynamoDBBackend

from infra.localstack import moto_transactions

TABLE = "things"


@pytest.fixture
def dynamodb(monkeypatch):
    # install() patches moto for the process: put it back after each test
    monkeypatch.setattr(dynamodb_models, "copy", dynamodb_models.copy)
    monkeypatch.setattr(DynamoDBBackend, "transact_write_items", DynamoDBBackend.transact_write_items)
    moto_transactions.install()
    moto_transactions.install()  # once is enough: a second call changes nothing
    with mock_aws():
        client = boto3.client("dynamodb", region_name="eu-central-1")
        client.create_table(
            TableName=TABLE,
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        client.put_item(TableName=TABLE, Item=key("B#1", "-") | {"sent": {"N": "5"}})
        client.put_item(TableName=TABLE, Item=key("B#1", "R#1") | {"status": {"S": "waiting"}})
        yield client


def key(pk: str, sk: str) -> dict:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def everything(client) -> list[dict]:
    return sorted(client.scan(TableName=TABLE)["Items"], key=lambda item: item["sk"]["S"])


def count_sent() -> dict:
    return {
        "Update": {
            "TableName": TABLE,
            "Key": key("B#1", "-"),
            "UpdateExpression": "ADD sent :one",
            "ExpressionAttributeValues": {":one": {"N": "1"}},
        }
    }


def test_the_installed_patch_keeps_tables_in_place_and_copies_anything_else():
    items = {"a": [1]}
    assert moto_transactions._TablesKeptInPlace.deepcopy(items) == items
    assert moto_transactions._TablesKeptInPlace.deepcopy(items) is not items


def test_an_applied_transaction_writes_every_item(dynamodb):
    dynamodb.transact_write_items(
        TransactItems=[count_sent(), {"Put": {"TableName": TABLE, "Item": key("B#1", "R#2")}}]
    )
    assert [item["sk"]["S"] for item in everything(dynamodb)] == ["-", "R#1", "R#2"]
    assert dynamodb.get_item(TableName=TABLE, Key=key("B#1", "-"))["Item"]["sent"] == {"N": "6"}


def test_a_cancelled_transaction_leaves_every_item_as_it_was(dynamodb):
    before = everything(dynamodb)
    # WHEN an update and a new item come before a condition that fails
    with pytest.raises(ClientError) as refused:
        dynamodb.transact_write_items(
            TransactItems=[
                count_sent(),
                {"Put": {"TableName": TABLE, "Item": key("B#1", "R#2")}},
                {"Delete": {"TableName": TABLE, "Key": key("B#1", "R#1")}},
                {
                    "ConditionCheck": {
                        "TableName": TABLE,
                        "Key": key("B#1", "R#3"),
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
            ]
        )
    # THEN it is cancelled as DynamoDB cancels it, and nothing of it stays
    assert refused.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert everything(dynamodb) == before


def test_two_operations_on_one_item_are_refused_and_nothing_stays(dynamodb):
    before = everything(dynamodb)
    with pytest.raises(ClientError) as refused:
        dynamodb.transact_write_items(TransactItems=[count_sent(), count_sent()])
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert everything(dynamodb) == before


@pytest.mark.parametrize(
    "malformed",
    [
        {"Delete": {"TableName": TABLE, "Key": {"pk": {"S": "B#1"}}}},  # no sort key
        {"Put": {"TableName": TABLE, "Item": {"pk": {"S": "B#1"}}}},
    ],
)
def test_a_malformed_key_is_refused_by_moto_as_before(dynamodb, malformed):
    before = everything(dynamodb)
    with pytest.raises(ClientError):
        dynamodb.transact_write_items(TransactItems=[count_sent(), malformed])
    assert everything(dynamodb) == before
