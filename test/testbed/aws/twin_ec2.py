"""EC2 gaps around PrivateLink: endpoint connections, acceptance, lifecycle, validation.

moto 5.2.1 makes every endpoint `available` at once, accepts any service name, ignores the
service's allowed principals, keeps deleted endpoints listed and has no
Accept/Reject/DescribeVpcEndpointConnections (moto 5.2.1's source).
Endpoints live in the consumer account's backend and services in the provider's, so the
lookups here walk every account's backend for the region.
"""

from __future__ import annotations

import random
import string
import time
from typing import Any

from moto.core.responses import ActionResult
from moto.ec2.exceptions import EC2ClientError, InvalidServiceName
from moto.ec2.models import EC2Backend, ec2_backends
from moto.ec2.models.vpc_service_configuration import VPCServiceConfiguration
from moto.ec2.models.vpcs import VPCEndPoint
from moto.ec2.responses import EC2Response
from moto.ec2.utils import tag_filter_matches

from twin_state import STATE

CUSTOM_SERVICE_PREFIX = "com.amazonaws.vpce."
# Endpoint states in which a connection counts as existing (not rejected/deleted).
LIVE_STATES = ("pendingAcceptance", "pending", "available")


def _backends_in(region: str) -> list[tuple[str, Any]]:
    """Every account's EC2 backend for a region that already exists (never creates one)."""
    out = []
    for account, per_account in list(ec2_backends.items()):
        backend = dict.get(per_account, region)
        if backend is not None:
            out.append((account, backend))
    return out


def find_service(service_name: str, region: str) -> tuple[str, VPCServiceConfiguration] | None:
    for account, backend in _backends_in(region):
        for config in list(backend.configurations.values()):
            if config.service_name == service_name:
                return account, config
    return None


def principal_allows(config: VPCServiceConfiguration, owner: str, account: str) -> bool:
    """AWS: a service is usable only by its owner and the principals it allows.

    Principals are ARNs (account root, role or user) or "*". The twin knows the caller's
    account, not its exact role, so any principal in the caller's account allows it.
    """
    if account == owner:
        return True
    for principal in config.principals:
        if principal == "*" or principal == account:
            return True
        parts = principal.split(":")
        if len(parts) >= 5 and parts[4] == account:
            return True
    return False


def _random_suffix() -> str:
    return "".join(random.choice(string.ascii_lowercase + string.digits) for _ in range(8))


# --- endpoint lifecycle --------------------------------------------------------------


def _state_get(self: VPCEndPoint) -> str:
    phase = self.__dict__.get("_tw_phase", "available")
    until = self.__dict__.get("_tw_until")
    if until is not None and time.monotonic() >= until:
        phase = {"pending": "available", "deleting": "deleted"}.get(phase, phase)
        self.__dict__["_tw_phase"] = phase
        self.__dict__["_tw_until"] = None
    return phase


def _state_set(self: VPCEndPoint, value: str) -> None:
    self.__dict__["_tw_phase"] = value
    self.__dict__["_tw_until"] = None


def _move(endpoint: VPCEndPoint, phase: str, delay_key: str | None = None) -> None:
    nxt = {"pending": "available", "deleting": "deleted"}
    delay = STATE.delay_s(delay_key) if delay_key else 0
    if phase in nxt and delay <= 0:
        phase = nxt[phase]
    endpoint.__dict__["_tw_phase"] = phase
    endpoint.__dict__["_tw_until"] = time.monotonic() + delay if phase in nxt else None


def _purge(backend: Any) -> None:
    # AWS drops deleted endpoints from describe after a while; the twin after the delay.
    for endpoint_id, endpoint in list(backend.vpc_end_points.items()):
        if endpoint.state == "deleted":
            backend.vpc_end_points.pop(endpoint_id, None)


def _install_lifecycle() -> None:
    VPCEndPoint.state = property(_state_get, _state_set)  # type: ignore[assignment]

    backend_cls = EC2Backend
    original_create = backend_cls.create_vpc_endpoint
    original_delete = backend_cls.delete_vpc_endpoints
    original_describe = backend_cls.describe_vpc_endpoints

    def create_vpc_endpoint(self: Any, vpc_id: str, service_name: str, endpoint_type: str | None, *args: Any, **kwargs: Any) -> Any:
        account = self.account_id
        region = self.region_name
        token = kwargs.get("client_token")
        subnet_ids = sorted(kwargs.get("subnet_ids") or [])
        if token:
            # ClientToken idempotency (EC2 developer guide, "Ensuring idempotency in Amazon EC2 API
            # requests"): same token and same parameters returns the first endpoint; different
            # parameters are refused.
            for existing in self.vpc_end_points.values():
                if existing.client_token == token:
                    same = (
                        existing.vpc_id == vpc_id
                        and existing.service_name == service_name
                        and (existing.vpc_endpoint_type or "").lower() == (endpoint_type or "").lower()
                        and sorted(existing.subnet_ids or []) == subnet_ids
                    )
                    if not same:
                        raise EC2ClientError(
                            "IdempotentParameterMismatch",
                            "The client token you have provided is associated with a resource that is "
                            "already deleted or has different parameters.",
                        )
                    return existing

        found = None
        if service_name.startswith(CUSTOM_SERVICE_PREFIX):
            found = find_service(service_name, region)
            # AWS answers a service the caller may not use exactly as one that does not
            # exist: "InvalidServiceName: The Vpc Endpoint Service '...' does not exist"
            # (seen in aws/aws-cdk#28851 and terraform reports for non-allowed principals).
            if found is None or not principal_allows(found[1], found[0], account):
                raise InvalidServiceName(service_name)
        elif not _is_aws_service(self, service_name, region):
            raise InvalidServiceName(service_name)

        endpoint = original_create(self, vpc_id, service_name, endpoint_type, *args, **kwargs)
        interface = (endpoint_type or "").lower() == "interface"
        if found is not None:
            config = found[1]
            suffix = f"{config.id}.{region}.vpce.amazonaws.com"
            rand = _random_suffix()
            zone_id = f"Z{region.replace('-', '').upper()[:8]}VPCE"
            entries = [{"dns_name": f"{endpoint.id}-{rand}.{suffix}", "hosted_zone_id": zone_id}]
            for subnet_id in endpoint.subnet_ids or []:
                az = self.get_subnet(subnet_id).availability_zone
                entries.append({"dns_name": f"{endpoint.id}-{rand}-{az}.{suffix}", "hosted_zone_id": zone_id})
            endpoint.dns_entries = entries
            endpoint._tw_service_id = config.id  # type: ignore[attr-defined]
            if config.acceptance_required:
                _move(endpoint, "pendingAcceptance")
            else:
                _move(endpoint, "pending", "endpointAvailableMs")
        elif interface:
            _move(endpoint, "pending", "endpointAvailableMs")
        return endpoint

    def delete_vpc_endpoints(self: Any, vpce_ids: list[str] | None = None) -> Any:
        result = original_delete(self, vpce_ids)
        for vpce_id in vpce_ids or []:
            endpoint = self.vpc_end_points.get(vpce_id)
            if endpoint is not None:
                _move(endpoint, "deleting", "endpointDeleteMs")
        _purge(self)
        return result

    def describe_vpc_endpoints(self: Any, vpc_end_point_ids: list[str] | None, filters: Any = None) -> Any:
        _purge(self)
        return original_describe(self, vpc_end_point_ids, filters)

    backend_cls.create_vpc_endpoint = create_vpc_endpoint
    backend_cls.delete_vpc_endpoints = delete_vpc_endpoints
    backend_cls.describe_vpc_endpoints = describe_vpc_endpoints


def warm_default_services() -> None:
    try:
        EC2Backend._collect_default_endpoint_services("123456789012", "us-east-1")
    except Exception:  # noqa: BLE001 - warming is best effort
        pass


def _is_aws_service(backend: Any, service_name: str, region: str) -> bool:
    defaults = backend._collect_default_endpoint_services(backend.account_id, region)
    return any(s.get("ServiceName") == service_name for s in defaults)


# --- provider-side connection calls --------------------------------------------------


def _connections(provider: str, region: str) -> list[tuple[VPCEndPoint, VPCServiceConfiguration, str]]:
    own = dict.get(ec2_backends.get(provider, {}), region)
    if own is None:
        return []
    by_name = {c.service_name: c for c in own.configurations.values()}
    out = []
    for account, backend in _backends_in(region):
        _purge(backend)
        for endpoint in list(backend.vpc_end_points.values()):
            config = by_name.get(endpoint.service_name)
            if config is not None:
                out.append((endpoint, config, account))
    return out


def _connection_dict(endpoint: VPCEndPoint, config: VPCServiceConfiguration, owner: str, region: str) -> dict[str, Any]:
    return {
        "ServiceId": config.id,
        "VpcEndpointId": endpoint.id,
        "VpcEndpointOwner": owner,
        "VpcEndpointState": endpoint.state,
        "CreationTimestamp": endpoint.creation_timestamp,
        "DnsEntries": [
            {"DnsName": e.get("dns_name"), "HostedZoneId": e.get("hosted_zone_id")}
            for e in endpoint.dns_entries or []
        ],
        "NetworkLoadBalancerArns": list(config.network_load_balancer_arns),
        "IpAddressType": "ipv4",
        "VpcEndpointConnectionId": f"vpce-con-{endpoint.id[5:]}",
        "VpcEndpointRegion": region,
    }


def describe_vpc_endpoint_connections(self: EC2Response) -> ActionResult:
    filters = self._filters_from_querystring()
    rows = []
    for endpoint, config, owner in _connections(self.current_account, self.region):
        row = _connection_dict(endpoint, config, owner, self.region)
        checks = {
            "service-id": row["ServiceId"],
            "vpc-endpoint-id": row["VpcEndpointId"],
            "vpc-endpoint-owner": row["VpcEndpointOwner"],
            "vpc-endpoint-state": row["VpcEndpointState"],
        }
        if all(checks.get(name) in values for name, values in filters.items() if name in checks):
            rows.append(row)
    return ActionResult({"VpcEndpointConnections": rows})


def _decide(self: EC2Response, accept: bool) -> ActionResult:
    service_id = self._get_param("ServiceId")
    ids = self._get_param("VpcEndpointIds", [])
    own = self.ec2_backend
    config = own.configurations.get(service_id)
    if config is None:
        raise EC2ClientError(
            "InvalidVpcEndpointServiceId.NotFound", f"The VpcEndpointService Id '{service_id}' does not exist"
        )
    by_id = {
        endpoint.id: endpoint
        for endpoint, cfg, _ in _connections(self.current_account, self.region)
        if cfg.id == service_id
    }
    unsuccessful = []
    for vpce_id in ids:
        endpoint = by_id.get(vpce_id)
        if endpoint is None:
            unsuccessful.append(_failure(vpce_id, "InvalidVpcEndpointId.NotFound", f"The Vpc Endpoint Id '{vpce_id}' does not exist"))
            continue
        state = endpoint.state
        if accept:
            if state != "pendingAcceptance":
                unsuccessful.append(
                    _failure(vpce_id, "InvalidState", f"Vpc Endpoint {vpce_id} is in {state} state, not pendingAcceptance")
                )
                continue
            _move(endpoint, "pending", "endpointAvailableMs")
        else:
            if state not in ("pendingAcceptance", "pending", "available"):
                unsuccessful.append(_failure(vpce_id, "InvalidState", f"Vpc Endpoint {vpce_id} is in {state} state"))
                continue
            _move(endpoint, "rejected")
    return ActionResult({"Unsuccessful": unsuccessful})


def _failure(resource_id: str, code: str, message: str) -> dict[str, Any]:
    return {"ResourceId": resource_id, "Error": {"Code": code, "Message": message}}


def accept_vpc_endpoint_connections(self: EC2Response) -> ActionResult:
    return _decide(self, True)


def reject_vpc_endpoint_connections(self: EC2Response) -> ActionResult:
    return _decide(self, False)


def delete_vpc_endpoint_service_configurations(self: EC2Response) -> ActionResult:
    # AWS refuses to delete a service that still has connections (PrivateLink guide, "Delete an
    # endpoint service").
    service_ids = self._get_param("ServiceIds", [])
    live = {cfg.id for ep, cfg, _ in _connections(self.current_account, self.region) if ep.state in LIVE_STATES}
    unsuccessful = []
    deletable = []
    for sid in service_ids:
        if sid not in self.ec2_backend.configurations:
            unsuccessful.append(
                _failure(sid, "InvalidVpcEndpointService.NotFound", f"The VpcEndpointService Id '{sid}' does not exist")
            )
        elif sid in live:
            unsuccessful.append(
                _failure(sid, "ExistingVpcEndpointConnections", f"Service {sid} has existing active VPC Endpoint connections")
            )
        else:
            deletable.append(sid)
    if deletable:
        self.ec2_backend.delete_vpc_endpoint_service_configurations(deletable)
    return ActionResult({"Unsuccessful": unsuccessful})


def describe_vpc_endpoint_services(self: EC2Response) -> ActionResult:
    """Also lists other accounts' services that allow the caller, as AWS does."""
    backend = self.ec2_backend
    own_ids = set(backend.configurations)
    visible = []
    for owner, other in _backends_in(self.region):
        if owner == self.current_account:
            continue
        for config in list(other.configurations.values()):
            if config.id not in own_ids and principal_allows(config, owner, self.current_account):
                visible.append(config)
    original_configs = backend.configurations
    # describe_vpc_endpoint_services reads backend.configurations; give it the visible
    # set for this one call (safe: twin_core runs moto calls one at a time).
    merged = dict(original_configs)
    merged.update({c.id: c for c in visible})
    backend.configurations = merged
    try:
        return _original_describe_services(self)
    finally:
        backend.configurations = original_configs


_original_describe_services = EC2Response.describe_vpc_endpoint_services


# DescribeVpcEndpointServiceConfigurations' filters (EC2 API reference): moto 5.2.1 ignores them all.
_SERVICE_FILTERS = {
    "service-id": lambda c: [c.id],
    "service-name": lambda c: [c.service_name],
    "service-state": lambda c: [c.service_state],
    "supported-ip-address-types": lambda c: ["ipv4"],
}


def _service_matches(config: VPCServiceConfiguration, filters: dict[str, list[str]]) -> bool:
    for name, values in filters.items():
        if name.startswith("tag:") or name in ("tag-key", "tag-value"):
            if not tag_filter_matches(config, name, values):
                return False
        elif name in _SERVICE_FILTERS:
            if not any(v in values for v in _SERVICE_FILTERS[name](config)):
                return False
        else:
            raise EC2ClientError("InvalidParameterValue", f"The filter '{name}' is invalid")
    return True


def describe_vpc_endpoint_service_configurations(self: EC2Response) -> ActionResult:
    """Honours Filters (service-id, service-name, service-state, supported-ip-address-types,
    tag:<key>, tag-key, tag-value); an unknown filter name is refused as AWS refuses it."""
    filters = self._filters_from_querystring()
    configs = self.ec2_backend.describe_vpc_endpoint_service_configurations(self._get_param("ServiceIds", []))
    return ActionResult({"ServiceConfigurations": [c for c in configs if _service_matches(c, filters)]})


def install() -> None:
    _install_lifecycle()
    EC2Response.describe_vpc_endpoint_connections = describe_vpc_endpoint_connections  # type: ignore[attr-defined]
    EC2Response.accept_vpc_endpoint_connections = accept_vpc_endpoint_connections  # type: ignore[attr-defined]
    EC2Response.reject_vpc_endpoint_connections = reject_vpc_endpoint_connections  # type: ignore[attr-defined]
    EC2Response.delete_vpc_endpoint_service_configurations = delete_vpc_endpoint_service_configurations  # type: ignore[method-assign]
    EC2Response.describe_vpc_endpoint_services = describe_vpc_endpoint_services  # type: ignore[method-assign]
    EC2Response.describe_vpc_endpoint_service_configurations = describe_vpc_endpoint_service_configurations  # type: ignore[method-assign]
