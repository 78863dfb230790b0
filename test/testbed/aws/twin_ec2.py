"""EC2 gaps around PrivateLink: endpoint connections, acceptance, lifecycle, validation, and
resource endpoints (VpcEndpointType=Resource) for VPC Lattice resource configurations.

moto 5.2.1 makes every endpoint `available` at once, accepts any service name, ignores the
service's allowed principals, keeps deleted endpoints listed and has no
Accept/Reject/DescribeVpcEndpointConnections (moto 5.2.1's source).
Endpoints live in the consumer account's backend and services in the provider's, so the
lookups here walk every account's backend for the region.

Cross-Region PrivateLink (AWS, November 2024): an endpoint service lists SupportedRegions (its host
Region always among them); a consumer in another supported Region creates an interface endpoint
with ServiceRegion set to the service's Region. moto keeps one backend per account and Region, so
those lookups walk every Region's backends. Sources: AWS PrivateLink guide, "Share your services
through AWS PrivateLink" (Cross-Region access), "Configure an endpoint service" (Modify the
supported Regions), "Create a service powered by AWS PrivateLink"; EC2 API reference
(CreateVpcEndpointServiceConfiguration, ModifyVpcEndpointServiceConfiguration,
DescribeVpcEndpointServices, CreateVpcEndpoint).
"""

from __future__ import annotations

import hashlib
import random
import re
import string
import time
from functools import lru_cache
from typing import Any

import botocore.session
from moto.core.responses import ActionResult
from moto.ec2.exceptions import (
    EC2ClientError,
    InvalidParameter,
    InvalidSecurityGroupNotFoundError,
    InvalidServiceName,
    MissingParameterError,
)
from moto.ec2.models import EC2Backend, ec2_backends
from moto.ec2.models.vpc_service_configuration import VPCServiceConfiguration
from moto.ec2.models.vpcs import MAX_NUMBER_OF_ENDPOINT_SERVICES_RESULTS, VPCEndPoint
from moto.ec2.responses import EC2Response
from moto.ec2.utils import add_tag_specification, tag_filter_matches

import twin_lattice
import twin_ram
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


def _all_backends() -> list[tuple[str, str, Any]]:
    """(account, region, backend) for every EC2 backend that exists, in any Region."""
    out = []
    for account, per_account in list(ec2_backends.items()):
        for region, backend in list(dict.items(per_account)):
            out.append((account, region, backend))
    return out


def find_service(service_name: str, region: str) -> tuple[str, VPCServiceConfiguration] | None:
    for account, backend in _backends_in(region):
        for config in list(backend.configurations.values()):
            if config.service_name == service_name:
                return account, config
    return None


# --- cross-Region access (SupportedRegions, ServiceRegion) ------------------------------


@lru_cache(maxsize=1)
def _known_regions() -> frozenset[str]:
    """Region codes EC2 has in botocore's endpoint data (every partition)."""
    session = botocore.session.get_session()
    regions: set[str] = set()
    for partition in session.get_available_partitions():
        regions.update(session.get_available_regions("ec2", partition_name=partition))
    return frozenset(regions)


def _check_regions(regions: list[str], parameter: str) -> None:
    for region in regions:
        if region not in _known_regions():
            raise EC2ClientError("InvalidParameterValue", f"Invalid Region '{region}' in {parameter}.")


def _host_region(config: VPCServiceConfiguration) -> str:
    return config.ec2_backend.region_name


def _normalise_supported(config: VPCServiceConfiguration) -> None:
    """The host Region first and always present, no duplicates ("You can't remove the host Region
    from the set of supported Regions", "Share your services", Cross-Region access)."""
    host = _host_region(config)
    names = [host, *(r for r in config._supported_region_names if r != host)]
    config._supported_region_names = list(dict.fromkeys(names))


def supports(config: VPCServiceConfiguration, region: str) -> bool:
    """Whether consumers in `region` may create new endpoints to the service."""
    return region == _host_region(config) or region in config._supported_region_names


def _remote_access_enabled(self: VPCServiceConfiguration) -> bool:
    # "Indicates whether consumers can access the service from a Region other than the Region
    # where the service is hosted" (ServiceConfiguration, EC2 API reference).
    host = _host_region(self)
    return any(r != host for r in self._supported_region_names)


_original_config_to_dict = VPCServiceConfiguration.to_dict


def _config_to_dict(self: VPCServiceConfiguration) -> dict[str, Any]:
    """ServiceDetail (DescribeVpcEndpointServices) with ServiceRegion, the Region hosting it."""
    out = _original_config_to_dict(self)
    out["ServiceRegion"] = _host_region(self)
    return out


_original_create_service = EC2Response.create_vpc_endpoint_service_configuration
_original_modify_service = EC2Response.modify_vpc_endpoint_service_configuration


def create_vpc_endpoint_service_configuration(self: EC2Response) -> ActionResult:
    """SupportedRegion.N: known Region codes only; the host Region is always supported (added when
    the list leaves it out, which the API reference does not say AWS does: the twin's choice)."""
    _check_regions(self._get_param("SupportedRegions", []) or [], "SupportedRegion")
    result = _original_create_service(self)
    config = result.result["ServiceConfiguration"] if isinstance(result, ActionResult) else None
    if isinstance(config, VPCServiceConfiguration):
        _normalise_supported(config)
    return result


def modify_vpc_endpoint_service_configuration(self: EC2Response) -> ActionResult:
    """AddSupportedRegion.N / RemoveSupportedRegion.N, checked before anything changes: the host
    Region cannot be removed ("Configure an endpoint service", Modify the supported Regions: "You
    can't remove the Region that hosts your endpoint service"); a Region to remove that is not
    supported, or one both added and removed, is refused (error codes are the twin's choice). Removing
    a Region leaves existing endpoints that use it as they are: only new endpoints are refused."""
    add = list(self._get_param("AddSupportedRegions", []) or [])
    remove = list(self._get_param("RemoveSupportedRegions", []) or [])
    if add or remove:
        service_id = self._get_param("ServiceId")
        config = self.ec2_backend.describe_vpc_endpoint_service_configurations([service_id])[0]  # NotFound
        _check_regions(add, "AddSupportedRegion")
        _check_regions(remove, "RemoveSupportedRegion")
        host = _host_region(config)
        both = sorted(set(add) & set(remove))
        if both:
            raise EC2ClientError(
                "InvalidParameter", f"Region(s) {', '.join(both)} cannot be both added and removed in one request."
            )
        if host in remove:
            raise EC2ClientError(
                "InvalidParameter", f"You can't remove the Region that hosts the endpoint service ({host})."
            )
        missing = [r for r in dict.fromkeys(remove) if r not in config._supported_region_names]
        if missing:
            raise EC2ClientError(
                "InvalidParameter", f"Region(s) {', '.join(missing)} are not supported Regions of {service_id}."
            )
        final = [r for r in config._supported_region_names if r not in remove]
        final += [r for r in dict.fromkeys(add) if r not in final]
        # moto appends every added Region (duplicates too) and removes one occurrence of each
        # removed one (present, checked above); its list is replaced by the clean one after.
        result = _original_modify_service(self)
        config._supported_region_names = final
        _normalise_supported(config)
        return result
    return _original_modify_service(self)


# The ServiceRegion of the CreateVpcEndpoint request being served (moto's response handler does
# not pass it to the backend; twin_core serves moto calls one at a time).
_REQUEST_SERVICE_REGION: list[str | None] = [None]


def _endpoint_service_region(self: VPCEndPoint) -> str | None:
    """ServiceRegion of an endpoint (DescribeVpcEndpoints): the Region hosting its service; the
    endpoint's own Region for same-Region endpoints; none for resource endpoints."""
    if getattr(self, "_tw_rcfg_arn", None) is not None:
        return None
    return self.__dict__.get("_tw_service_region") or self.ec2_backend.region_name


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
        if (endpoint_type or "").lower() == "resource":
            # Validated, made idempotent and given its lifecycle by create_resource_endpoint.
            return original_create(self, vpc_id, service_name, endpoint_type, *args, **kwargs)
        account = self.account_id
        region = self.region_name
        service_region = _REQUEST_SERVICE_REGION[0] or region
        _REQUEST_SERVICE_REGION[0] = None
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
                        and _endpoint_service_region(existing) == service_region
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
            # The service is looked up in its Region (ServiceRegion, default the caller's): one
            # hosted elsewhere is not found without it (terraform-provider-aws#40583: "service
            # name does not exist" until the service Region is set).
            found = find_service(service_name, service_region)
            # AWS answers a service the caller may not use exactly as one that does not
            # exist: "InvalidServiceName: The Vpc Endpoint Service '...' does not exist"
            # (seen in aws/aws-cdk#28851 and terraform reports for non-allowed principals).
            # A service that does not (or no longer) list the caller's Region among its
            # SupportedRegions is answered the same way ("service consumers can't select that
            # Region as the service Region when they create new endpoints"; the error code is
            # not documented).
            if (
                found is None
                or not principal_allows(found[1], found[0], account)
                or not supports(found[1], region)
            ):
                raise InvalidServiceName(service_name)
        elif service_region != region:
            # Cross-Region access to AWS services (November 2025) is not modelled.
            raise InvalidServiceName(service_name)
        elif not _is_aws_service(self, service_name, region):
            raise InvalidServiceName(service_name)

        endpoint = original_create(self, vpc_id, service_name, endpoint_type, *args, **kwargs)
        interface = (endpoint_type or "").lower() == "interface"
        if interface or found is not None:
            endpoint._tw_service_region = service_region  # type: ignore[attr-defined]
        if found is not None:
            config = found[1]
            # "endpoint_id.endpoint_service_id.service_region.vpce.amazonaws.com" ("Share your
            # services through AWS PrivateLink", DNS hostnames): the service's Region.
            suffix = f"{config.id}.{service_region}.vpce.amazonaws.com"
            rand = _random_suffix()
            zone_id = f"Z{service_region.replace('-', '').upper()[:8]}VPCE"
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
                if _is_resource_endpoint(endpoint):
                    # moto removes network interfaces for interface endpoints only.
                    for eni_id in endpoint.network_interface_ids:
                        self.enis.pop(eni_id, None)
        _purge(self)
        return result

    def describe_vpc_endpoints(self: Any, vpc_end_point_ids: list[str] | None, filters: Any = None) -> Any:
        _purge(self)
        endpoints = original_describe(self, vpc_end_point_ids, filters)
        for endpoint in endpoints:
            if _is_resource_endpoint(endpoint):
                endpoint.dns_entries = _resource_dns_entries(endpoint)
        return endpoints

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


def _connections(provider: str, region: str) -> list[tuple[VPCEndPoint, VPCServiceConfiguration, str, str]]:
    """(endpoint, service, endpoint owner, endpoint Region) for every endpoint to the provider's
    services in `region`, from any Region: cross-Region endpoints show up in the provider's
    DescribeVpcEndpointConnections like same-Region ones (VpcEndpointRegion tells them apart)."""
    own = dict.get(ec2_backends.get(provider, {}), region)
    if own is None:
        return []
    by_name = {c.service_name: c for c in own.configurations.values()}
    if not by_name:
        return []
    out = []
    for account, endpoint_region, backend in _all_backends():
        _purge(backend)
        for endpoint in list(backend.vpc_end_points.values()):
            config = by_name.get(endpoint.service_name)
            if config is not None and _endpoint_service_region(endpoint) == region:
                out.append((endpoint, config, account, endpoint_region))
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
    for endpoint, config, owner, endpoint_region in _connections(self.current_account, self.region):
        row = _connection_dict(endpoint, config, owner, endpoint_region)
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
        for endpoint, cfg, _, _ in _connections(self.current_account, self.region)
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
    live = {cfg.id for ep, cfg, _, _ in _connections(self.current_account, self.region) if ep.state in LIVE_STATES}
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


def _filter_values(item: dict[str, Any]) -> list[str]:
    # moto's parsed filters carry "Value" (botocore's member name), the API "Values".
    return list(item.get("Value", []) or []) + list(item.get("Values", []) or [])


def describe_vpc_endpoint_services(self: EC2Response) -> ActionResult:
    """Services the caller may create an endpoint to: AWS services and its own and other accounts'
    services that allow it, hosted in the caller's Region; with ServiceRegions, those hosted in
    the given Regions instead, endpoint services only where they list the caller's Region among
    their SupportedRegions (AWS PrivateLink guide, "Cross-region enabled AWS services": "aws ec2
    describe-vpc-endpoint-services --region us-east-1 --service-region us-west-2" lists us-west-2
    services). Every answer carries ServiceRegion; a service in another Region lists no
    AvailabilityZones (its zones are not the caller's; terraform-provider-aws#44186 reports
    an empty list from AWS). Filters service-region and owner are applied here, the rest by moto."""
    backend = self.ec2_backend
    caller, here = self.current_account, self.region
    requested = list(dict.fromkeys(self._get_param("ServiceRegions", []) or []))
    _check_regions(requested, "ServiceRegion")
    regions = requested or [here]
    service_names = self._get_param("ServiceNames", []) or []
    filters = self._get_param("Filters", []) or []
    own_filters = {
        f["Name"]: _filter_values(f) for f in filters if f.get("Name") in ("service-region", "owner")
    }
    moto_filters = [f for f in filters if f.get("Name") not in ("service-region", "owner")]

    services: list[dict[str, Any]] = []
    for region in regions:
        if region == here:
            for default in EC2Backend._collect_default_endpoint_services(caller, here):
                services.append({**default, "ServiceRegion": here})
            own_ids = set(backend.configurations)
            services.extend(c.to_dict() for c in list(backend.configurations.values()))
            for owner, other in _backends_in(here):
                if owner == caller:
                    continue
                for config in list(other.configurations.values()):
                    if config.id not in own_ids and principal_allows(config, owner, caller):
                        services.append(config.to_dict())
            continue
        # Cross-Region: endpoint services only (AWS services in other Regions are not modelled).
        for owner, other in _backends_in(region):
            for config in list(other.configurations.values()):
                if supports(config, here) and principal_allows(config, owner, caller):
                    services.append({**config.to_dict(), "AvailabilityZones": []})

    known = {x["ServiceName"] for x in services}
    for name in service_names:
        if name not in known:
            raise InvalidServiceName(name)
    filtered = sorted(
        EC2Backend._filter_endpoint_services(service_names, moto_filters, services),
        key=lambda x: x["ServiceName"],
    )
    if "service-region" in own_filters:
        filtered = [x for x in filtered if x.get("ServiceRegion") in own_filters["service-region"]]
    if "owner" in own_filters:
        filtered = [x for x in filtered if x.get("Owner") in own_filters["owner"]]

    # Paging as moto pages (NextToken is the ServiceId to start at).
    start = 0
    next_token = self._get_param("NextToken")
    ids = [x.get("ServiceId") for x in filtered]
    if next_token:
        if next_token not in ids:
            raise EC2ClientError("InvalidNextToken", f"The token '{next_token}' is invalid")
        start = ids.index(next_token)
    max_results = self._get_int_param("MaxResults")
    if not max_results or max_results > MAX_NUMBER_OF_ENDPOINT_SERVICES_RESULTS:
        max_results = MAX_NUMBER_OF_ENDPOINT_SERVICES_RESULTS
    page = filtered[start : start + max_results]
    more = filtered[start + max_results : start + max_results + 1]
    return ActionResult(
        {
            "ServiceNames": [x["ServiceName"] for x in page],
            "ServiceDetails": page,
            "NextToken": more[0].get("ServiceId") if more else None,
        }
    )


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


# --- resource endpoints (VpcEndpointType=Resource) -------------------------------------
#
# A resource endpoint connects a VPC to a VPC Lattice resource configuration (twin_lattice)
# that the caller owns or that was shared with it through an accepted RAM share (twin_ram).
# Sources: AWS PrivateLink guide, "Access a resource through a resource VPC endpoint"; VPC
# Lattice user guide, "Custom domain names for resource consumers"; EC2 API reference,
# CreateVpcEndpoint/ModifyVpcEndpoint/DnsOptionsSpecification.

PRIVATE_DNS_PREFERENCES = (
    "VERIFIED_DOMAINS_ONLY",
    "ALL_DOMAINS",
    "VERIFIED_DOMAINS_AND_SPECIFIED_DOMAINS",
    "SPECIFIED_DOMAINS_ONLY",
)
SPECIFIED_PREFERENCES = ("VERIFIED_DOMAINS_AND_SPECIFIED_DOMAINS", "SPECIFIED_DOMAINS_ONLY")
MAX_SPECIFIED_DOMAINS = 10  # model: PrivateDnsSpecifiedDomainSet max 10
# "my.example.com" or a wildcard such as "*.example.com" ("Custom domain names for resource consumers").
SPECIFIED_DOMAIN = re.compile(r"^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
# Generated names look like vpce-019b90d6f16d4f958.rcfg-07129f3acded87625.4232ccc.vpc-lattice-rsc.us-east-2.on.aws
# (AWS CLI example for describe-vpc-endpoint-associations; "4232ccc" is the same in every
# example found, across accounts and regions).
LATTICE_DNS_LABEL = "4232ccc"


def _is_resource_endpoint(endpoint: VPCEndPoint) -> bool:
    return getattr(endpoint, "_tw_rcfg_arn", None) is not None


def _lattice_zone_id(region: str) -> str:
    digest = hashlib.sha256(f"vpc-lattice-rsc.{region}".encode()).hexdigest().upper()
    return "Z" + "".join(c for c in digest if c.isalnum())[:20]


def _resource_dns_entries(endpoint: VPCEndPoint) -> list[dict[str, str]]:
    """One generated name per resource behind the endpoint: the configuration itself for a
    SINGLE, each child for a GROUP (children added later appear too)."""
    region = endpoint.ec2_backend.region_name
    config = twin_lattice.config_by_arn(endpoint._tw_rcfg_arn)  # type: ignore[attr-defined]
    if config is None:
        ids = [endpoint._tw_rcfg_arn.rsplit("/", 1)[-1]]  # type: ignore[attr-defined]
    elif config.type == "GROUP":
        ids = [child.id for child in twin_lattice.config_children(config)]
    else:
        ids = [config.id]
    zone = _lattice_zone_id(region)
    return [
        {"dns_name": f"{endpoint.id}.{rid}.{LATTICE_DNS_LABEL}.vpc-lattice-rsc.{region}.on.aws", "hosted_zone_id": zone}
        for rid in ids
    ]


def _dns_options(private_dns: bool, options: dict[str, Any], current: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """Validated DnsOptions of a resource endpoint (None when private DNS is off)."""
    if options.get("PrivateDnsOnlyForInboundResolverEndpoint"):
        raise InvalidParameter("PrivateDnsOnlyForInboundResolverEndpoint is only supported for Interface type VPC Endpoints.")
    preference = options.get("PrivateDnsPreference")
    domains = options.get("PrivateDnsSpecifiedDomains")
    if not private_dns:
        # "Only supported when private DNS is enabled" (DnsOptionsSpecification).
        if preference is not None or domains:
            raise InvalidParameter("PrivateDnsPreference and PrivateDnsSpecifiedDomains require PrivateDnsEnabled.")
        return None
    current = current or {}
    if preference is None:
        # Default: "By default, the private DNS preference is set to VERIFIED_DOMAINS_ONLY."
        preference = current.get("PrivateDnsPreference") or "VERIFIED_DOMAINS_ONLY"
    if preference not in PRIVATE_DNS_PREFERENCES:
        raise InvalidParameter(
            f"Invalid PrivateDnsPreference '{preference}'. Valid values: {', '.join(PRIVATE_DNS_PREFERENCES)}."
        )
    if domains is None:
        domains = list(current.get("PrivateDnsSpecifiedDomains") or []) if preference in SPECIFIED_PREFERENCES else []
    domains = [str(d).lower() for d in domains]
    if domains and preference not in SPECIFIED_PREFERENCES:
        raise InvalidParameter(
            "PrivateDnsSpecifiedDomains is only supported with the VERIFIED_DOMAINS_AND_SPECIFIED_DOMAINS or "
            "SPECIFIED_DOMAINS_ONLY private DNS preference."
        )
    if preference in SPECIFIED_PREFERENCES and not domains:
        raise InvalidParameter(f"PrivateDnsPreference {preference} needs at least one PrivateDnsSpecifiedDomains entry.")
    if len(domains) > MAX_SPECIFIED_DOMAINS:
        raise InvalidParameter(f"At most {MAX_SPECIFIED_DOMAINS} PrivateDnsSpecifiedDomains.")
    for domain in domains:
        if not SPECIFIED_DOMAIN.match(domain):
            raise InvalidParameter(f"Invalid domain name '{domain}' in PrivateDnsSpecifiedDomains.")
    out: dict[str, Any] = {"PrivateDnsPreference": preference}
    if domains:
        out["PrivateDnsSpecifiedDomains"] = list(dict.fromkeys(domains))
    return out


def _endpoint_subnets(backend: Any, vpc_id: str, subnet_ids: list[str], existing: list[str] | None = None) -> None:
    zones: dict[str, str] = {}
    for subnet_id in [*(existing or []), *subnet_ids]:
        subnet = backend.get_subnet(subnet_id)  # InvalidSubnetID.NotFound
        if subnet.vpc_id != vpc_id:
            raise InvalidParameter(f"The subnet '{subnet_id}' does not belong to VPC '{vpc_id}'.")
        other = zones.get(subnet.availability_zone)
        if other is not None and other != subnet_id:
            raise EC2ClientError(
                "DuplicateSubnetsInSameZone",
                f"Found another VPC endpoint subnet in the availability zone of {subnet_id}. VPC endpoint subnets "
                f"should be in different availability zones.",
            )
        zones[subnet.availability_zone] = subnet_id


def _endpoint_groups(backend: Any, vpc_id: str, group_ids: list[str]) -> None:
    for group_id in group_ids:
        group = backend.get_security_group_from_id(group_id)
        if group is None:
            raise InvalidSecurityGroupNotFoundError(group_id)
        if group.vpc_id != vpc_id:
            raise InvalidParameter(f"The security group '{group_id}' does not belong to VPC '{vpc_id}'.")


def _resource_config_for(account: str, region: str, arn: str) -> Any:
    """The configuration if the caller may use it: it owns it, or an ACTIVE RAM share holds it
    and the caller accepted the invitation ("Prerequisites": "If a resource configuration is
    shared with you from another account, you must review and accept the resource share")."""
    config = twin_lattice.config_by_arn(arn)
    if config is None or config.region != region or (
        config.account != account and not twin_ram.shared_with(arn, account, region)
    ):
        # Like InvalidServiceName for endpoint services, the caller learns nothing about a
        # configuration it may not use.
        raise InvalidParameter(
            f"The resource configuration '{arn}' does not exist or is not shared with account {account}."
        )
    if config.type == "CHILD":
        # "you specify a resource configuration of type single, group, or ARN" (PrivateLink guide).
        raise InvalidParameter(
            f"Resource configuration {config.id} is of type CHILD; a resource endpoint needs a SINGLE, GROUP or "
            f"ARN resource configuration."
        )
    return config


def _check_zone_overlap(backend: Any, config: Any, subnet_ids: list[str]) -> None:
    # "At least one Availability Zone of the VPC endpoint and the resource gateway have to
    # overlap." (VPC Lattice user guide, "Resource gateways in VPC Lattice", Considerations).
    # The twin compares zone names, which moto keeps the same in every account.
    gateway = twin_lattice.gateway_of(config)
    if gateway is None:
        return
    owner = dict.get(ec2_backends.get(gateway.account, {}), gateway.region)
    if owner is None:
        return
    gateway_zones = {owner.get_subnet(s).availability_zone for s in gateway.subnet_ids}
    endpoint_zones = {backend.get_subnet(s).availability_zone for s in subnet_ids}
    if gateway_zones and not gateway_zones & endpoint_zones:
        raise InvalidParameter(
            f"At least one Availability Zone of the VPC endpoint ({', '.join(sorted(endpoint_zones))}) and the resource "
            f"gateway ({', '.join(sorted(gateway_zones))}) have to overlap."
        )


def _add_enis(backend: Any, endpoint: VPCEndPoint, subnet_ids: list[str]) -> None:
    for subnet_id in subnet_ids:
        eni = backend.create_network_interface(
            subnet_id, None, group_ids=list(endpoint.security_group_ids), description=f"VPC Endpoint Interface {endpoint.id}"
        )
        endpoint.network_interface_ids.append(eni.id)
        endpoint.__dict__.setdefault("_tw_enis", {})[subnet_id] = eni.id


def create_resource_endpoint(self: EC2Response) -> ActionResult:
    backend = self.ec2_backend
    account, region = self.current_account, self.region
    vpc_id = self._get_param("VpcId")
    arn = self._get_param("ResourceConfigurationArn")
    if self._get_param("ServiceName"):
        raise InvalidParameter("ServiceName is not supported for Resource type VPC Endpoints; specify ResourceConfigurationArn.")
    if self._get_param("ServiceNetworkArn"):
        raise InvalidParameter("ServiceNetworkArn is only supported for ServiceNetwork type VPC Endpoints.")
    if not arn:
        raise MissingParameterError("ResourceConfigurationArn")
    if self._get_param("RouteTableIds"):
        raise InvalidParameter("Route table IDs are only supported for Gateway type VPC Endpoints.")
    if self._get_param("PolicyDocument"):
        raise InvalidParameter("Endpoint policies are only supported for Interface and Gateway type VPC Endpoints.")
    subnet_ids = list(dict.fromkeys(self._get_param("SubnetIds", []) or []))
    group_ids = list(dict.fromkeys(self._get_param("SecurityGroupIds", []) or []))
    # The API reference documents PrivateDnsEnabled's default for interface endpoints only;
    # the twin leaves private DNS off for resource endpoints unless asked.
    private_dns = bool(self._get_param("PrivateDnsEnabled", False))
    options = self._get_param("DnsOptions") or {}
    ip_type = self._get_param("IpAddressType") or "ipv4"
    if ip_type not in ("ipv4", "dualstack", "ipv6"):
        raise InvalidParameter(f"Invalid IpAddressType '{ip_type}'.")
    token = self._get_param("ClientToken")
    tags = add_tag_specification(self._get_param("TagSpecifications", []))

    backend.get_vpc(vpc_id)  # InvalidVpcID.NotFound
    dns_options = _dns_options(private_dns, options)
    params = (vpc_id, arn, tuple(sorted(subnet_ids)), tuple(sorted(group_ids)), private_dns, repr(dns_options), ip_type)
    if token:
        # Same idempotency rule as the other endpoint types ("Ensuring idempotency").
        for existing in backend.vpc_end_points.values():
            if existing.client_token == token:
                if getattr(existing, "_tw_params", None) != params:
                    raise EC2ClientError(
                        "IdempotentParameterMismatch",
                        "The client token you have provided is associated with a resource that is already deleted "
                        "or has different parameters.",
                    )
                return ActionResult({"VpcEndpoint": existing, "ClientToken": token})
    config = _resource_config_for(account, region, arn)
    if not subnet_ids:
        raise InvalidParameter("A Resource type VPC Endpoint needs at least one subnet.")
    _endpoint_subnets(backend, vpc_id, subnet_ids)
    if group_ids:
        _endpoint_groups(backend, vpc_id, group_ids)
    else:
        # "If you do not specify a security group, we associate the default security group for the VPC."
        default = backend.get_default_security_group(vpc_id)
        group_ids = [default.id] if default is not None else []
    _check_zone_overlap(backend, config, subnet_ids)

    endpoint = backend.create_vpc_endpoint(
        vpc_id=vpc_id,
        service_name=None,
        endpoint_type="Resource",
        policy_document=None,
        route_table_ids=[],
        subnet_ids=list(subnet_ids),
        client_token=token,
        security_group_ids=list(group_ids),
        tags=tags,
        private_dns_enabled=private_dns,
    )
    endpoint.policy_document = None  # resource endpoints have no endpoint policy
    endpoint._tw_rcfg_arn = arn  # type: ignore[attr-defined]
    endpoint._tw_params = params  # type: ignore[attr-defined]
    endpoint.resource_configuration_arn = arn  # type: ignore[attr-defined]
    endpoint.dns_options = dns_options  # type: ignore[attr-defined]
    endpoint.ip_address_type = ip_type  # type: ignore[attr-defined]
    endpoint.requester_managed = False  # type: ignore[attr-defined]
    _add_enis(backend, endpoint, subnet_ids)
    endpoint.dns_entries = _resource_dns_entries(endpoint)
    # No acceptance step: pending -> available after endpointAvailableMs.
    _move(endpoint, "pending", "endpointAvailableMs")
    result: dict[str, Any] = {"VpcEndpoint": endpoint}
    if token:
        result["ClientToken"] = token
    return ActionResult(result)


def modify_resource_endpoint(self: EC2Response, endpoint: VPCEndPoint) -> ActionResult:
    """What ModifyVpcEndpoint may change on a resource endpoint: subnets, security groups and
    DnsOptions. PrivateDnsEnabled cannot change ("The private DNS enabled parameter cannot be
    changed", VPC Lattice user guide, "Custom domain names for resource consumers"; the API
    reference documents it for interface endpoints only)."""
    backend = self.ec2_backend
    if endpoint.state in ("deleting", "deleted"):
        raise EC2ClientError("IncorrectState", f"Vpc Endpoint {endpoint.id} is in {endpoint.state} state.")
    for name in ("AddRouteTableIds", "RemoveRouteTableIds"):
        if self._get_param(name):
            raise InvalidParameter("Route table IDs are only supported for Gateway type VPC Endpoints.")
    if self._get_param("PolicyDocument") or self._get_param("ResetPolicy"):
        raise InvalidParameter("Endpoint policies are only supported for Interface and Gateway type VPC Endpoints.")
    private_dns = self._get_param("PrivateDnsEnabled")
    if private_dns is not None and bool(private_dns) != bool(endpoint.private_dns_enabled):
        raise InvalidParameter("PrivateDnsEnabled cannot be modified for a Resource type VPC Endpoint.")
    add_subnets = [s for s in self._get_param("AddSubnetIds", []) or [] if s not in (endpoint.subnet_ids or [])]
    remove_subnets = list(self._get_param("RemoveSubnetIds", []) or [])
    add_groups = list(self._get_param("AddSecurityGroupIds", []) or [])
    remove_groups = list(self._get_param("RemoveSecurityGroupIds", []) or [])
    options = self._get_param("DnsOptions")

    for subnet_id in remove_subnets:
        if subnet_id not in (endpoint.subnet_ids or []):
            raise InvalidParameter(f"The subnet '{subnet_id}' is not associated with {endpoint.id}.")
    kept = [s for s in endpoint.subnet_ids or [] if s not in remove_subnets]
    if add_subnets:
        _endpoint_subnets(backend, endpoint.vpc_id, add_subnets, kept)
    if not kept and not add_subnets:
        raise InvalidParameter("A Resource type VPC Endpoint needs at least one subnet.")
    if add_groups:
        _endpoint_groups(backend, endpoint.vpc_id, add_groups)
    groups = [g for g in endpoint.security_group_ids if g not in remove_groups]
    groups += [g for g in add_groups if g not in groups]
    if not groups:
        raise InvalidParameter("A VPC endpoint needs at least one security group.")
    new_options = endpoint.dns_options  # type: ignore[attr-defined]
    if options is not None:
        new_options = _dns_options(bool(endpoint.private_dns_enabled), options, endpoint.dns_options)  # type: ignore[attr-defined]
    if add_subnets:
        config = twin_lattice.config_by_arn(endpoint._tw_rcfg_arn)  # type: ignore[attr-defined]
        if config is not None:
            _check_zone_overlap(backend, config, [*kept, *add_subnets])

    enis = endpoint.__dict__.setdefault("_tw_enis", {})
    for subnet_id in remove_subnets:
        eni_id = enis.pop(subnet_id, None)
        if eni_id is not None:
            backend.enis.pop(eni_id, None)
            endpoint.network_interface_ids.remove(eni_id)
    endpoint.subnet_ids = [*kept, *add_subnets]
    endpoint.security_group_ids = groups
    endpoint.dns_options = new_options  # type: ignore[attr-defined]
    _add_enis(backend, endpoint, add_subnets)
    return ActionResult({"Return": True})


_original_create_endpoint = EC2Response.create_vpc_endpoint
_original_modify_endpoint = EC2Response.modify_vpc_endpoint


def create_vpc_endpoint(self: EC2Response) -> ActionResult:
    kind = (self._get_param("VpcEndpointType") or "").lower()
    if kind == "resource":
        if self._get_param("ServiceRegion"):
            # No cross-Region access is documented for resource endpoints (VPC Lattice resource
            # configurations); the twin refuses it rather than guess.
            raise InvalidParameter("ServiceRegion is not supported for Resource type VPC Endpoints.")
        return create_resource_endpoint(self)
    if kind == "servicenetwork":
        raise InvalidParameter("ServiceNetwork type VPC Endpoints are not modelled by the AWS twin.")
    if self._get_param("ResourceConfigurationArn"):
        raise InvalidParameter("ResourceConfigurationArn is only supported for Resource type VPC Endpoints.")
    service_region = self._get_param("ServiceRegion")
    if service_region:
        _check_regions([service_region], "ServiceRegion")
    _REQUEST_SERVICE_REGION[0] = service_region or None
    try:
        return _original_create_endpoint(self)
    finally:
        _REQUEST_SERVICE_REGION[0] = None


def modify_vpc_endpoint(self: EC2Response) -> ActionResult:
    endpoint = self.ec2_backend.vpc_end_points.get(self._get_param("VpcEndpointId"))
    if endpoint is not None and _is_resource_endpoint(endpoint):
        return modify_resource_endpoint(self, endpoint)
    return _original_modify_endpoint(self)


_original_filter_value = VPCEndPoint.get_filter_value


def _endpoint_filter_value(self: VPCEndPoint, filter_name: str, method_name: str | None = None) -> Any:
    # DescribeVpcEndpoints' vpc-endpoint-id filter (EC2 API reference); moto 5.2.1 has none.
    if filter_name == "vpc-endpoint-id":
        return self.id
    if filter_name == "service-region":
        return _endpoint_service_region(self)
    return _original_filter_value(self, filter_name, method_name)


# CreateSecurityGroup's GroupDescription (EC2 API reference, CreateSecurityGroup): up to 255
# characters of a-z, A-Z, 0-9, spaces and ._-:/()#,@[]+=&;{}!$*. moto 5.2.1 takes any text, so a
# description AWS refuses (an apostrophe) went unnoticed here.
_GROUP_DESCRIPTION = re.compile(r"^[a-zA-Z0-9 ._\-:/()#,@\[\]+=&;{}!$*]{0,255}$")
_original_create_security_group = EC2Response.create_security_group


def create_security_group(self: EC2Response) -> Any:
    description = self._get_param("Description") or ""
    if not _GROUP_DESCRIPTION.match(description):
        raise EC2ClientError(
            "InvalidParameterValue",
            f"Value ({description}) for parameter GroupDescription is invalid. Character sets beyond ASCII are not supported.",
        )
    return _original_create_security_group(self)


def _permission_id(service_id: str, principal: str) -> str:
    """AWS names each allowed principal of a service with an id (`vpce-svc-perm-` and 17 hex
    digits in AWS's answers); here stable for a service and principal, so a re-read matches."""
    return "vpce-svc-perm-" + hashlib.sha256(f"{service_id}|{principal}".encode()).hexdigest()[:17]


def _principal_type(principal: str) -> str:
    """EC2 API reference, AllowedPrincipal PrincipalType: All | Service | OrganizationUnit |
    Account | User | Role."""
    if principal == "*":
        return "All"
    if principal.endswith(".amazonaws.com"):
        return "Service"
    if ":role/" in principal:
        return "Role"
    if ":user/" in principal:
        return "User"
    if ":organizations:" in principal:
        return "OrganizationUnit"
    return "Account"


def _allowed_principal(service_id: str, principal: str) -> dict[str, Any]:
    return {
        "Principal": principal,
        "PrincipalType": _principal_type(principal),
        "ServicePermissionId": _permission_id(service_id, principal),
        "ServiceId": service_id,
    }


def describe_vpc_endpoint_service_permissions(self: EC2Response) -> ActionResult:
    """AllowedPrincipals with their type, permission id and service (EC2 API reference,
    AllowedPrincipal); moto answers the principal only. Terraform's
    aws_vpc_endpoint_service_allowed_principal keeps the permission id as its own."""
    service_id = self._get_param("ServiceId")
    principals = self.ec2_backend.describe_vpc_endpoint_service_permissions(service_id)
    return ActionResult({"AllowedPrincipals": [_allowed_principal(service_id, p) for p in principals]})


_original_modify_permissions = EC2Response.modify_vpc_endpoint_service_permissions


def modify_vpc_endpoint_service_permissions(self: EC2Response) -> ActionResult:
    """AddedPrincipals: each principal the call added, as DescribeVpcEndpointServicePermissions
    answers it (EC2 API reference, ModifyVpcEndpointServicePermissions)."""
    service_id = self._get_param("ServiceId")
    add = self._get_param("AddAllowedPrincipals", []) or []
    _original_modify_permissions(self)
    return ActionResult({"ReturnValue": True, "AddedPrincipals": [_allowed_principal(service_id, p) for p in add]})


def install() -> None:
    _install_lifecycle()
    EC2Response.create_security_group = create_security_group  # type: ignore[method-assign]
    VPCEndPoint.get_filter_value = _endpoint_filter_value  # type: ignore[method-assign]
    VPCEndPoint.service_region = property(_endpoint_service_region)  # type: ignore[attr-defined]
    VPCServiceConfiguration.remote_access_enabled = property(_remote_access_enabled)  # type: ignore[attr-defined]
    VPCServiceConfiguration.to_dict = _config_to_dict  # type: ignore[method-assign]
    EC2Response.create_vpc_endpoint_service_configuration = create_vpc_endpoint_service_configuration  # type: ignore[method-assign]
    EC2Response.modify_vpc_endpoint_service_configuration = modify_vpc_endpoint_service_configuration  # type: ignore[method-assign]
    EC2Response.create_vpc_endpoint = create_vpc_endpoint  # type: ignore[method-assign]
    EC2Response.modify_vpc_endpoint = modify_vpc_endpoint  # type: ignore[method-assign]
    EC2Response.describe_vpc_endpoint_connections = describe_vpc_endpoint_connections  # type: ignore[attr-defined]
    EC2Response.accept_vpc_endpoint_connections = accept_vpc_endpoint_connections  # type: ignore[attr-defined]
    EC2Response.reject_vpc_endpoint_connections = reject_vpc_endpoint_connections  # type: ignore[attr-defined]
    EC2Response.delete_vpc_endpoint_service_configurations = delete_vpc_endpoint_service_configurations  # type: ignore[method-assign]
    EC2Response.describe_vpc_endpoint_services = describe_vpc_endpoint_services  # type: ignore[method-assign]
    EC2Response.describe_vpc_endpoint_service_configurations = describe_vpc_endpoint_service_configurations  # type: ignore[method-assign]
    EC2Response.describe_vpc_endpoint_service_permissions = describe_vpc_endpoint_service_permissions  # type: ignore[method-assign]
    EC2Response.modify_vpc_endpoint_service_permissions = modify_vpc_endpoint_service_permissions  # type: ignore[method-assign]
