"""AWS on this machine: moto in server mode, with the template's tables, queues and buckets.

Server mode (not ``mock_aws``) because the handlers, the queue pollers and a developer's own
``aws --endpoint-url`` all talk to it over HTTP, like to AWS. botocore (≥ 1.31, so pynamodb and
boto3 alike) sends every client to ``AWS_ENDPOINT_URL``, so the handlers need no local switch.
State lives in memory and is gone when the stack stops; demo data is loaded again on start.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

from infra.localstack import moto_transactions
from infra.localstack.template_model import REGION, StackModel
from infra.template import create_tables, global_environment

FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
}


def aws_environment(endpoint_url: str) -> dict[str, str]:
    """Variables that send every AWS SDK call in this process (and its children) to moto."""
    return {
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        **FAKE_CREDENTIALS,
    }


def apply_environment(variables: dict[str, str]) -> None:
    """Set ``variables`` in ``os.environ``; a profile or session token from the developer's shell
    would otherwise point the SDK at a real account."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        os.environ.pop(name, None)
    os.environ.update(variables)


class MotoServer:
    """moto's threaded server on 127.0.0.1 (default port 5000), quiet unless something fails."""

    def __init__(self, port: int = 5000) -> None:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        moto_transactions.install()  # transactions at DynamoDB's cost, not the table's size
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        self._started = False

    def start(self) -> MotoServer:
        self._server.start()
        self._started = True
        return self

    @property
    def url(self) -> str:
        host, port = self._server.get_host_and_port()
        return f"http://{host}:{port}"

    def stop(self) -> None:
        if self._started:
            self._server.stop()
            self._started = False

    def __enter__(self) -> MotoServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def client(service: str, endpoint_url: str) -> Any:
    """A boto3 client for moto, independent of ``os.environ`` (tests run next to other AWS mocks)."""
    return boto3.client(
        service,  # type: ignore[call-overload]
        endpoint_url=endpoint_url,
        region_name=REGION,
        aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )


def create_resources(model: StackModel, template: dict[str, Any], endpoint_url: str) -> None:
    """Tables, queues and buckets of the template, named as ``model`` resolves their ``!Ref``s."""
    if model.tables:
        by_variable = {
            value["Ref"]: variable
            for variable, value in global_environment(template).items()
            if isinstance(value, dict) and "Ref" in value
        }
        names = {by_variable.get(logical_id, logical_id): name for logical_id, name in model.tables.items()}
        create_tables(client("dynamodb", endpoint_url), names, template)
    sqs = client("sqs", endpoint_url)
    # Dead-letter queues first: CreateQueue checks that a RedrivePolicy's target exists.
    for queue in sorted(model.queues.values(), key=lambda q: "RedrivePolicy" in q.attributes):
        sqs.create_queue(QueueName=queue.name, Attributes=queue.attributes)
    s3 = client("s3", endpoint_url)
    for bucket in model.buckets.values():
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
