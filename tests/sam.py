"""The template as CloudFormation will see it: SAM's own translator, offline."""

from __future__ import annotations

import copy
import functools
from typing import Any

from samtranslator.model.exceptions import InvalidDocumentException
from samtranslator.public.translator import ManagedPolicyLoader
from samtranslator.translator.transform import transform

from infra.template import load_template


class _OfflinePolicies(ManagedPolicyLoader):
    """Managed policy ARNs without asking IAM (the template uses policy templates only)."""

    def __init__(self) -> None:
        pass

    def load(self) -> dict[str, str]:
        return {}


def role_policies(role: dict[str, Any]) -> list[dict[str, Any]]:
    """A role's inline policies as deployed with a customer KMS key: the key's grant is
    ``!If [HasKmsKey, policy, !Ref AWS::NoValue]``, and with the key is the larger set of rights."""
    found = []
    for policy in role["Properties"].get("Policies", []):
        if "Fn::If" in policy:
            condition, policy, otherwise = policy["Fn::If"]
            if condition != "HasKmsKey" or otherwise != {"Ref": "AWS::NoValue"}:
                raise AssertionError(f"an unexpected conditional policy: {policy}")
        found.append(policy)
    return found


@functools.cache
def transformed_template() -> dict[str, Any]:
    template = copy.deepcopy(load_template())
    for resource in template["Resources"].values():
        # As after `sam package`: local code folders become S3 locations.
        for uri in ("CodeUri", "ContentUri"):
            if uri in resource.get("Properties", {}):
                resource["Properties"][uri] = "s3://artifacts-bucket/code.zip"
    try:
        return transform(template, {}, _OfflinePolicies())
    except InvalidDocumentException as error:  # pragma: no cover - shows SAM's reasons
        raise AssertionError([str(cause) for cause in error.causes]) from error
