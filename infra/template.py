"""Read ``template.yaml`` so tests and the local stack use the template's own definitions
(tables, routes, environment) instead of a second list that could drift.

>>> template = load_template()
>>> tables = table_definitions(template)
>>> tables["SESSIONS_TABLE"]["KeySchema"]
[{'AttributeName': 'user_id', 'KeyType': 'HASH'}]
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml

TEMPLATE = Path(__file__).resolve().parent.parent / "template.yaml"


class _TemplateLoader(yaml.SafeLoader):
    """SafeLoader that keeps CloudFormation short-form tags (!Ref, !Sub, ...) as their long form."""


def _intrinsic(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if tag_suffix == "Ref" else f"Fn::{tag_suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if tag_suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


_TemplateLoader.add_multi_constructor("!", _intrinsic)


@functools.cache
def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    with path.open(encoding="utf-8") as file:
        return yaml.load(file, Loader=_TemplateLoader)  # noqa: S506 - a SafeLoader subclass


def global_environment(template: dict[str, Any]) -> dict[str, Any]:
    return template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})


def resources_of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: res for name, res in template["Resources"].items() if res["Type"] == kind}


def table_definitions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``create_table`` arguments for each DynamoDB table, keyed by the environment variable that
    carries its name (``SESSIONS_TABLE: !Ref SessionsTable``)."""
    variables = {
        value["Ref"]: name
        for name, value in global_environment(template).items()
        if isinstance(value, dict) and "Ref" in value
    }
    tables = {}
    for logical_id, resource in resources_of_type(template, "AWS::DynamoDB::Table").items():
        props = resource["Properties"]
        tables[variables.get(logical_id, logical_id)] = {
            "AttributeDefinitions": props["AttributeDefinitions"],
            "KeySchema": props["KeySchema"],
            "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
            **(
                {"GlobalSecondaryIndexes": props["GlobalSecondaryIndexes"]}
                if "GlobalSecondaryIndexes" in props
                else {}
            ),
        }
    return tables


def create_tables(
    dynamodb_client: Any, names: dict[str, str], template: dict[str, Any] | None = None
) -> None:
    """Create every table of the template; ``names`` maps each table's variable to the name to use."""
    for variable, definition in table_definitions(template or load_template()).items():
        dynamodb_client.create_table(TableName=names[variable], **definition)
