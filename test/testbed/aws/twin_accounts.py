"""Which accounts the twin holds: every account with a VPC of its own (moto's default VPC aside).

The network twin polls this (GET /_twin/accounts) to follow accounts made after it started,
e.g. a consumer account whose VPC was created with the AWS CLI.
"""

from __future__ import annotations

from typing import Any

from moto.ec2.models import ec2_backends


def list_accounts(region: str | None = None) -> dict[str, Any]:
    """{accounts: [{account, vpcs: [vpcId, ...]}]}, sorted by account; never creates a backend.

    moto keeps one EC2 backend per account and region (ec2_backends[account][region]); reads
    go through dict methods, as AccountSpecificBackend's [] would make a missing region's.
    """
    out = []
    for account, per_account in sorted(list(ec2_backends.items())):
        vpcs: list[str] = []
        for name, backend in list(dict.items(per_account)):
            if region and name != region:
                continue
            vpcs.extend(v.id for v in list(backend.vpcs.values()) if not getattr(v, "is_default", False))
        if vpcs:
            out.append({"account": account, "vpcs": sorted(vpcs)})
    return {"accounts": out}
