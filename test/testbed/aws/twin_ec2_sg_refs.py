"""Security group rules whose source is another security group, as the EC2 API reference describes them.

moto 5.2.1 keeps such a rule's description with the group pair (DescribeSecurityGroups answers it in
`UserIdGroupPairs`) but DescribeSecurityGroupRules reads it from the rule's IP range, so it answers no
`Description`; ModifySecurityGroupRules with `ReferencedGroupId` writes the new description to that IP range
(the rules API then shows it, DescribeSecurityGroups still the old one) and ignores the referenced group; and
DeleteSecurityGroup deletes a group that another group's rule references; and a second rule admitting the
same group on the same ports with another description (or none) is added beside the first instead of being
refused as a duplicate. Here:

* a rule with a group source has one description, the group pair's: DescribeSecurityGroupRules answers it
  as `Description`, and ModifySecurityGroupRules (`ReferencedGroupId`, `Description`) changes the group pair
  (the referenced group and its description), as DescribeSecurityGroups shows it;
* a rule's identity is its protocol, ports and source: AuthorizeSecurityGroupIngress/Egress of a group pair
  that a rule of the group already admits on those ports is `InvalidPermission.Duplicate`, whatever the
  description (as for CIDRs, whose description moto already leaves out of the comparison);
* DeleteSecurityGroup of a group that a rule of another group in its account and Region references:
  `DependencyViolation` "resource <id> has a dependent object" (EC2 API reference, DeleteSecurityGroup: a
  group "referenced by another security group in the same VPC" fails with DependencyViolation). A group's
  rules referencing the group itself do not hold it.
"""

from __future__ import annotations

from typing import Any

from moto.ec2.exceptions import DependencyViolationError
from moto.ec2.models import EC2Backend
from moto.ec2.models.security_groups import SecurityGroupRule


def _referenced_by_others(backend: EC2Backend, group_id: str) -> bool:
    for groups in list(backend.groups.values()):
        for group in list(groups.values()):
            if group.id == group_id:
                continue
            for rule in list(group.ingress_rules) + list(group.egress_rules):
                if (rule.source_group or {}).get("GroupId") == group_id:
                    return True
    return False


def _group_of(rule: SecurityGroupRule) -> str | None:
    pair = rule.source_group or {}
    return pair.get("GroupId") or pair.get("GroupName")


def install() -> None:
    original_eq = SecurityGroupRule.__eq__

    def __eq__(self: SecurityGroupRule, other: object) -> bool:
        if not isinstance(other, SecurityGroupRule):
            return NotImplemented
        if not self.source_group and not other.source_group:
            return original_eq(self, other)
        # A group pair is the group it names: its description and owner fields are not its identity.
        return (
            _group_of(self) == _group_of(other)
            and self.ip_protocol == other.ip_protocol
            and (self.ip_protocol == "-1" or (self.from_port == other.from_port and self.to_port == other.to_port))
        )

    SecurityGroupRule.__eq__ = __eq__  # type: ignore[method-assign,assignment]

    def description(self: SecurityGroupRule) -> str | None:
        if self.source_group:
            return self.source_group.get("Description")
        return self.ip_range.get("Description")

    SecurityGroupRule.description = property(description)  # type: ignore[method-assign,assignment]

    original_modify = EC2Backend.modify_security_group_rules

    def modify_security_group_rules(self: EC2Backend, group_id: str, rules: dict[str, dict[str, Any]]) -> None:
        group = self.get_security_group_by_name_or_id(group_id)
        before = {rule_id: dict(group.get_rule(rule_id).ip_range) for rule_id in rules if group and group.get_rule(rule_id)}
        original_modify(self, group_id, rules)
        for rule_id, new_rule in rules.items():
            rule = group.get_rule(rule_id) if group else None
            if rule is None or not rule.source_group:
                continue
            # moto wrote the description to the (empty) IP range: it belongs to the group pair.
            rule.ip_range = before.get(rule_id, {})
            referenced = new_rule.get("ReferencedGroupId")
            if referenced:
                rule.source_group["GroupId"] = referenced
            if new_rule.get("Description") is not None:
                rule.source_group["Description"] = new_rule["Description"]

    EC2Backend.modify_security_group_rules = modify_security_group_rules  # type: ignore[method-assign]

    original_delete_group = EC2Backend._delete_security_group

    def _delete_security_group(self: EC2Backend, vpc_id: str | None, group_id: str) -> None:
        if _referenced_by_others(self, group_id):
            raise DependencyViolationError(f"resource {group_id} has a dependent object")
        original_delete_group(self, vpc_id, group_id)

    EC2Backend._delete_security_group = _delete_security_group  # type: ignore[method-assign]
