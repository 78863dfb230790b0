"""ELBv2 gaps: duplicate listener ports, idempotent creates, `net/` ARNs, provisioning time, 50 tags.

moto 5.2.1 accepts duplicate listener ports (it compares the port with listener ARNs),
refuses a second CreateLoadBalancer with the same name, writes `app/` into NLB ARNs,
activates load balancers on the first describe and allows 10 tags (moto 5.2.1's source).
"""

from __future__ import annotations

import time
from typing import Any

from moto.elbv2.exceptions import (
    DuplicateListenerError,
    DuplicateLoadBalancerName,
    DuplicateTargetGroupName,
    ResourceInUseError,
    TooManyTagsError,
)
from moto.elbv2.models import ELBv2Backend, FakeLoadBalancer

from twin_state import STATE

# ELBv2 quota: 50 tags per resource (ELB user guide, "Tag a Network Load Balancer").
MAX_TAGS = 50


def _activate(self: FakeLoadBalancer) -> None:
    created = getattr(self, "_tw_created", None)
    if self.state != "provisioning":
        return
    if created is None or time.monotonic() - created >= STATE.delay_s("nlbActiveMs"):
        self.state = "active"


def _same_lb(lb: FakeLoadBalancer, kwargs: dict[str, Any], subnet_ids: list[str]) -> bool:
    wanted_subnets = set(subnet_ids) | {m["SubnetId"] for m in kwargs.get("subnet_mappings") or []}
    return (
        lb.type == (kwargs.get("loadbalancer_type") or "application")
        and (lb.scheme or "internet-facing") == (kwargs.get("scheme") or "internet-facing")
        and {s.id for s in lb.subnets} == wanted_subnets
        and sorted(lb.security_groups or []) == sorted(kwargs.get("security_groups") or [])
    )


def install() -> None:
    FakeLoadBalancer.activate = _activate  # type: ignore[method-assign]

    original_create = ELBv2Backend.create_load_balancer

    def create_load_balancer(self: ELBv2Backend, name: str, security_groups: list[str], subnet_ids: list[str], **kwargs: Any) -> FakeLoadBalancer:
        kwargs["security_groups"] = security_groups
        for lb in self.load_balancers.values():
            if lb.name == name:
                # AWS: "If you attempt to create multiple load balancers with the same
                # settings, each call succeeds" (CreateLoadBalancer API reference).
                if _same_lb(lb, kwargs, subnet_ids):
                    return lb
                raise DuplicateLoadBalancerName()
        tags = kwargs.get("tags") or []
        if len(tags) > MAX_TAGS:
            raise TooManyTagsError()
        kwargs.pop("security_groups")
        lb = original_create(self, name, security_groups, subnet_ids, **kwargs)
        if lb.type == "network":
            # NLB ARNs and DNS names: loadbalancer/net/<name>/<id>, <name>-<id>.elb.<region>.amazonaws.com
            old = lb.arn
            lb.arn = old.replace(":loadbalancer/app/", ":loadbalancer/net/")
            lb_id = lb.arn.rsplit("/", 1)[-1]
            lb.dns_name = f"{name}-{lb_id}.elb.{self.region_name}.amazonaws.com"
            self.load_balancers.pop(old, None)
            self.load_balancers[lb.arn] = lb
            moved = self.tagging_service.get_tag_dict_for_resource(old)
            self.tagging_service.delete_all_tags_for_resource(old)
            if moved:
                self.tagging_service.tag_resource(lb.arn, [{"Key": k, "Value": v} for k, v in moved.items()])
        lb._tw_created = time.monotonic()  # type: ignore[attr-defined]
        return lb

    ELBv2Backend.create_load_balancer = create_load_balancer  # type: ignore[method-assign]

    original_listener = ELBv2Backend.create_listener

    def create_listener(self: ELBv2Backend, load_balancer_arn: str, protocol: str, port: str, *args: Any, **kwargs: Any) -> Any:
        balancer = self.load_balancers.get(load_balancer_arn)
        if balancer is not None:
            for listener in balancer.listeners.values():
                if str(listener.port) == str(port):
                    raise DuplicateListenerError()
        return original_listener(self, load_balancer_arn, protocol, port, *args, **kwargs)

    ELBv2Backend.create_listener = create_listener  # type: ignore[method-assign]

    original_tg = ELBv2Backend.create_target_group

    def create_target_group(self: ELBv2Backend, name: str, **kwargs: Any) -> Any:
        # CreateTargetGroup is idempotent for the same settings (API reference).
        for tg in self.target_groups.values():
            if tg.name == name:
                same = (
                    str(tg.protocol) == str(kwargs.get("protocol"))
                    and str(tg.port) == str(kwargs.get("port"))
                    and tg.vpc_id == kwargs.get("vpc_id")
                    and tg.target_type == (kwargs.get("target_type") or "instance")
                )
                if same:
                    return tg
                raise DuplicateTargetGroupName()
        return original_tg(self, name, **kwargs)

    ELBv2Backend.create_target_group = create_target_group  # type: ignore[method-assign]

    original_delete = ELBv2Backend.delete_load_balancer

    def delete_load_balancer(self: ELBv2Backend, arn: str) -> None:
        # An NLB cannot be deleted while an endpoint service uses it (ELB user guide, "Delete a
        # Network Load Balancer").
        for config in self.ec2_backend.configurations.values():
            if arn in config.network_load_balancer_arns:
                raise ResourceInUseError(
                    f"Load balancer '{arn}' cannot be deleted because it is currently associated with "
                    f"another service"
                )
        original_delete(self, arn)

    ELBv2Backend.delete_load_balancer = delete_load_balancer  # type: ignore[method-assign]

    def add_tags(self: ELBv2Backend, resource_arns: list[str], tags: list[dict[str, str]]) -> None:
        tag_dict = self.tagging_service.flatten_tag_list(tags)
        for arn in resource_arns:
            self._get_resource_by_arn(arn)
            existing = self.tagging_service.get_tag_dict_for_resource(arn)
            if len(set(existing) | set(tag_dict)) > MAX_TAGS:
                raise TooManyTagsError()
        for arn in resource_arns:
            self.tagging_service.tag_resource(arn, tags)

    ELBv2Backend.add_tags = add_tags  # type: ignore[method-assign]
