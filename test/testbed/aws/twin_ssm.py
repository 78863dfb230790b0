"""SSM Parameter Store tiers, for the bootstrap-servers parameter of a large cluster.

moto 5.2.1 stores `Tier` but enforces neither tier's size limit, and lets an advanced parameter be
written back as standard. Here, as "Managing parameter tiers" (AWS Systems Manager User Guide)
describes them:

* A standard parameter's value holds at most 4 KB (4,096 characters), an advanced one's 8 KB (8,192);
  a longer value is a `ValidationException`.
* The tier of a PutParameter without `Tier` is the account's default (Standard) for a new parameter
  and the parameter's own tier on an overwrite (moto's behaviour, kept).
* An advanced parameter cannot become standard again ("you can't revert an advanced parameter to a
  standard parameter"): PutParameter with Tier Standard on one is a `ValidationException`; delete and
  create it again instead.

The error wording is modelled on the guide, not copied from a live answer (see README.md).
"""

from __future__ import annotations

from typing import Any

from moto.ssm.exceptions import ValidationException
from moto.ssm.models import SimpleSystemManagerBackend

# "Managing parameter tiers": maximum value size per tier.
MAX_VALUE = {"Standard": 4096, "Advanced": 8192}

_original_put = SimpleSystemManagerBackend.put_parameter


def _put_parameter(
    self: SimpleSystemManagerBackend,
    name: str,
    description: str,
    value: str,
    parameter_type: str,
    allowed_pattern: str,
    keyid: str,
    overwrite: bool,
    tags: list[dict[str, str]],
    data_type: str,
    tier: str | None = None,
    policies: str | None = None,
) -> Any:
    requested = tier
    versions = self._parameters.get(name) if name in self._parameters else None
    previous = versions[-1] if versions else None
    tier = requested or (previous.tier if previous is not None and overwrite else None) or "Standard"
    if previous is not None and previous.tier == "Advanced" and requested == "Standard":
        raise ValidationException(
            f"Parameter {name} uses the advanced-parameter tier. You can't downgrade a parameter from the "
            "advanced-parameter tier to the standard-parameter tier. If necessary, delete the advanced parameter "
            "and create it again as a standard parameter."
        )
    limit = MAX_VALUE.get(tier)
    if limit is not None and len(value or "") > limit:
        if tier == "Standard":
            raise ValidationException(
                "Standard tier parameters support a maximum parameter value of 4096 characters. To create a "
                "larger parameter value, upgrade the parameter to use the advanced-parameter tier. For more "
                "information, see https://docs.aws.amazon.com/systems-manager/latest/userguide/"
                "parameter-store-advanced-parameters.html"
            )
        raise ValidationException(
            "1 validation error detected: Value at 'value' failed to satisfy constraint: Member must have "
            f"length less than or equal to {limit}"
        )
    return _original_put(
        self,
        name,
        description,
        value,
        parameter_type,
        allowed_pattern,
        keyid,
        overwrite,
        tags,
        data_type,
        tier=requested,
        policies=policies,
    )


def install() -> None:
    SimpleSystemManagerBackend.put_parameter = _put_parameter  # type: ignore[method-assign]
