"""Security groups on Network Load Balancers, as the Elastic Load Balancing guide and API reference describe them.

moto 5.2.1 stores `SecurityGroups` on CreateLoadBalancer without checking them, lets SetSecurityGroups add
groups to an NLB created without any, answers SetSecurityGroups with `SecurityGroups` (the output member is
`SecurityGroupIds`, so SDKs read nothing), ignores `EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic`,
describes an NLB without groups with an empty `SecurityGroups` list, and lets DeleteSecurityGroup remove a
group a load balancer uses. Here:

* CreateLoadBalancer (`Type` network) with `SecurityGroups`: at most 5 (`InvalidConfigurationRequest` "The
  maximum number of security groups per load balancer has been reached."); each must be a security group of
  the caller's account and Region (`InvalidSecurityGroup` "The security group '<id>' does not exist") in the
  load balancer's VPC (`InvalidConfigurationRequest` "Security group '<id>' does not belong to VPC '<vpc>'").
  An NLB made with groups has `EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic` `on` (SetSecurityGroups:
  "The default is on"); DescribeLoadBalancers answers both members, and neither for an NLB made without.
* SetSecurityGroups on an NLB made without groups: `InvalidConfigurationRequest` "You cannot set security
  groups on a Network Load Balancer which was created without any security groups." (the API reference: "You
  can't perform this operation on a Network Load Balancer unless you specified a security group for the load
  balancer when you created it"). On one made with groups: the list replaces them, checked as on create;
  an empty list is `ValidationError` (not documented by AWS; see the README); the enforcement parameter
  (`on`/`off`, anything else `ValidationError`) changes the setting, left out it keeps it. The answer carries
  `SecurityGroupIds` and, for an NLB, `EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic`.
* DeleteSecurityGroup of a group a load balancer of its account and Region uses: `DependencyViolation`
  "resource <id> has a dependent object" (EC2's answer for a group attached to network interfaces).

Traffic is not filtered by these groups (the network twin does not model security group rules).
"""

from __future__ import annotations

from typing import Any

from moto.core.responses import ActionResult
from moto.core.serialize import return_if_not_empty
from moto.ec2.exceptions import DependencyViolationError
from moto.ec2.models import EC2Backend
from moto.elbv2.exceptions import ELBClientError, LoadBalancerNotFoundError
from moto.elbv2.models import ELBv2Backend, FakeLoadBalancer, elbv2_backends
from moto.elbv2.responses import ELBV2Response

# "Security groups per load balancer": 5 (ELB guide quotas; the VPC default per network interface too).
MAX_GROUPS = 5
ENFORCE = "enforce_security_group_inbound_rules_on_private_link_traffic"
ENFORCE_VALUES = ("on", "off")


def _vpc_of(backend: ELBv2Backend, subnet_ids: list[str], subnet_mappings: list[dict[str, Any]] | None) -> str | None:
    """The VPC of the first subnet that exists, or None (moto then answers SubnetNotFound)."""
    for subnet_id in list(subnet_ids or []) + [m.get("SubnetId") for m in subnet_mappings or []]:
        subnet = backend.ec2_backend.get_subnet(subnet_id) if subnet_id else None
        if subnet is not None:
            return str(subnet.vpc_id)
    return None


def _check_groups(backend: ELBv2Backend, groups: list[str], vpc_id: str | None) -> None:
    if len(groups) > MAX_GROUPS:
        raise ELBClientError(
            "InvalidConfigurationRequest", "The maximum number of security groups per load balancer has been reached."
        )
    for group_id in groups:
        group = backend.ec2_backend.get_security_group_from_id(group_id)
        if group is None:
            raise ELBClientError("InvalidSecurityGroup", f"The security group '{group_id}' does not exist")
        if vpc_id is not None and group.vpc_id != vpc_id:
            raise ELBClientError(
                "InvalidConfigurationRequest", f"Security group '{group_id}' does not belong to VPC '{vpc_id}'"
            )


def _check_enforce(value: str | None) -> None:
    if value is not None and value not in ENFORCE_VALUES:
        raise ELBClientError(
            "ValidationError",
            f"1 validation error detected: Value '{value}' at 'enforceSecurityGroupInboundRulesOnPrivateLinkTraffic' "
            "failed to satisfy constraint: Member must satisfy enum value set: [on, off]",
        )


def _groups_in_use(account: str, region: str, group_id: str) -> list[str]:
    """ARNs of the account's load balancers in the region that use the group (no backend is made)."""
    per_account = dict.get(elbv2_backends, account)
    backend = dict.get(per_account, region) if per_account is not None else None
    if backend is None:
        return []
    return [lb.arn for lb in list(backend.load_balancers.values()) if group_id in (lb.security_groups or [])]


def install() -> None:
    original_create = ELBv2Backend.create_load_balancer

    def create_load_balancer(
        self: ELBv2Backend, name: str, security_groups: list[str], subnet_ids: list[str], **kwargs: Any
    ) -> FakeLoadBalancer:
        groups = list(security_groups or [])
        network = (kwargs.get("loadbalancer_type") or "application") == "network"
        if network and groups:
            _check_groups(self, groups, _vpc_of(self, subnet_ids, kwargs.get("subnet_mappings")))
        lb = original_create(self, name, groups, subnet_ids, **kwargs)
        if lb.type == "network" and ENFORCE not in lb.__dict__:
            # A new NLB (an idempotent repeat returns the existing one with its setting).
            setattr(lb, ENFORCE, "on" if lb.security_groups else None)
        return lb

    ELBv2Backend.create_load_balancer = create_load_balancer  # type: ignore[method-assign]

    original_set = ELBv2Backend.set_security_groups

    def set_security_groups(
        self: ELBv2Backend, arn: str, sec_groups: list[str], enforce: str | None = None
    ) -> FakeLoadBalancer:
        lb = self.load_balancers.get(arn)
        if lb is None:
            raise LoadBalancerNotFoundError()
        groups = list(sec_groups or [])
        if lb.type != "network":
            original_set(self, arn, groups)
            return lb
        if not lb.security_groups:
            raise ELBClientError(
                "InvalidConfigurationRequest",
                "You cannot set security groups on a Network Load Balancer which was created without any "
                "security groups.",
            )
        if not groups:
            raise ELBClientError(
                "ValidationError",
                "You cannot remove all security groups from a Network Load Balancer which was created with "
                "security groups.",
            )
        _check_enforce(enforce)
        _check_groups(self, groups, lb.vpc_id)
        lb.security_groups = groups
        if enforce is not None:
            setattr(lb, ENFORCE, enforce)
        elif getattr(lb, ENFORCE, None) is None:
            setattr(lb, ENFORCE, "on")
        return lb

    ELBv2Backend.set_security_groups = set_security_groups  # type: ignore[method-assign]

    def set_security_groups_response(self: ELBV2Response) -> ActionResult:
        arn = self._get_param("LoadBalancerArn")
        groups = self._get_param("SecurityGroups", []) or []
        enforce = self._get_param("EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic")
        lb = self.elbv2_backend.set_security_groups(arn, groups, enforce)
        result: dict[str, Any] = {"SecurityGroupIds": list(lb.security_groups or [])}
        if lb.type == "network":
            result["EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic"] = getattr(lb, ENFORCE, None)
        return ActionResult(result)

    ELBV2Response.set_security_groups = set_security_groups_response  # type: ignore[method-assign]

    # A load balancer without groups has no SecurityGroups member (moto writes an empty list).
    ELBV2Response.RESPONSE_KEY_PATH_TO_TRANSFORMER["LoadBalancers.LoadBalancer.SecurityGroups"] = return_if_not_empty

    original_delete_group = EC2Backend._delete_security_group

    def _delete_security_group(self: EC2Backend, vpc_id: str | None, group_id: str) -> None:
        if _groups_in_use(self.account_id, self.region_name, group_id):
            # EC2 API reference, DeleteSecurityGroup: a group still associated with a network interface
            # (a load balancer's included) fails with DependencyViolation.
            raise DependencyViolationError(f"resource {group_id} has a dependent object")
        original_delete_group(self, vpc_id, group_id)

    EC2Backend._delete_security_group = _delete_security_group  # type: ignore[method-assign]
