"""VPC Lattice resource gateways and resource configurations (PrivateLink "VPC resources").

moto 5.2.1 has VPC Lattice services, service networks and target groups but no resource
gateways or resource configurations (moto 5.2.1's source, moto/vpclattice). The twin adds
them with the shapes, constraints and errors of the botocore model vpc-lattice/2022-11-30 and
the behaviour of the VPC Lattice user guide, "Resource configurations for VPC resources" and
"Resource gateways in VPC Lattice".

State is process-wide (like twin_ec2's cross-account lookups): a consumer account reads a
configuration that another account shared with it through RAM (twin_ram), and EC2 resource
endpoints (twin_ec2) refer to configurations by ARN. All calls run under twin_core.MOTO_LOCK.
"""

from __future__ import annotations

import ipaddress
import json
import re
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable
from urllib.parse import parse_qs, unquote

import moto.vpclattice.urls as lattice_urls
from moto.core.exceptions import JsonRESTError
from moto.ec2.models import ec2_backends
from moto.vpclattice.responses import VPCLatticeResponse

from twin_state import STATE

SERVICE_CODE = "vpc-lattice"
# Quotas ("Amazon VPC Lattice endpoints and quotas", service quotas table).
QUOTA_CHILDREN_PER_GROUP = ("L-9BC96FEF", 60)  # Child Resource Configurations per Group Resource Configuration
QUOTA_CONFIGS_PER_REGION = ("L-5FF8F9B9", 2000)  # Resource configurations per AWS Region
MAX_SECURITY_GROUPS = 5  # model: CreateResourceGatewayRequestSecurityGroupIdsList max 5
MAX_TAGS = 50  # the usual AWS limit of 50 user tags per resource

# Shapes from the botocore model.
GATEWAY_NAME = re.compile(r"(?!rgw-)(?![-])(?!.*[-]$)(?!.*[-]{2})[a-z0-9-]+")
CONFIG_NAME = re.compile(r"(?!rcfg-)(?![-])(?!.*[-]$)(?!.*[-]{2})[a-z0-9-]+")
VPC_ID = re.compile(r"vpc-(([0-9a-z]{8})|([0-9a-z]{17}))")
SG_ID = re.compile(r"sg-(([0-9a-z]{8})|([0-9a-z]{17}))")
GATEWAY_IDENT = re.compile(
    r"((rgw-[0-9a-z]{17})|(arn:[a-z0-9\-]+:vpc-lattice:[a-zA-Z0-9\-]+:\d{12}:resourcegateway/rgw-[0-9a-z]{17}))"
)
CONFIG_IDENT = re.compile(
    r"((rcfg-[0-9a-z]{17})|(arn:[a-z0-9\-]+:vpc-lattice:[a-zA-Z0-9\-]+:\d{12}:resourceconfiguration/rcfg-[0-9a-z]{17}))"
)
DV_IDENT = re.compile(
    r"((dv-[0-9a-z]{17})|(arn:[a-z0-9\-]+:vpc-lattice:[a-zA-Z0-9\-]+:\d{12}:domainverification/dv-[a-fA-F0-9]{17}))"
)
PORT_RANGE = re.compile(r"((\d{1,5}\-\d{1,5})|(\d+))")
DOMAIN_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
CLIENT_TOKEN = re.compile(r".*[!-~]+.*")
GATEWAY_IP_TYPES = ("IPV4", "IPV6", "DUALSTACK")
DNS_RESOLUTION = ("IN_VPC", "PUBLIC")
CONFIG_TYPES = ("GROUP", "CHILD", "SINGLE", "ARN")
# "Resource definition": IPv4 targets must be private addresses from these ranges. The testbed's
# brokers stand in for VPC addresses on loopback (their ClientVpcIpAddress is 127.x), so the twin
# also admits 127.0.0.0/8, which no real VPC can hold.
PRIVATE_V4 = [
    ipaddress.ip_network(n)
    for n in ("10.0.0.0/8", "100.64.0.0/10", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8")
]


# --- errors (model shapes: required members included) --------------------------------


class LatticeError(JsonRESTError):
    """A VPC Lattice error with its model status and members (ConflictException needs
    resourceId/resourceType, ServiceQuotaExceededException serviceCode/quotaCode, ...)."""

    def __init__(self, code: str, status: int, message: str, **members: Any) -> None:
        super().__init__(code, message)
        self.code = status  # type: ignore[assignment]  # werkzeug's HTTP status
        body = {"message": message, **{k: v for k, v in members.items() if v is not None}}
        self.description = json.dumps(body)


def validation(name: str, message: str) -> LatticeError:
    return LatticeError(
        "ValidationException", 400, message, reason="fieldValidationFailed", fieldList=[{"name": name, "message": message}]
    )


def not_found(resource_type: str, resource_id: str) -> LatticeError:
    return LatticeError(
        "ResourceNotFoundException", 404, f"{resource_type} {resource_id} not found",
        resourceId=resource_id, resourceType=resource_type,
    )


def conflict(resource_type: str, resource_id: str, message: str) -> LatticeError:
    return LatticeError("ConflictException", 409, message, resourceId=resource_id, resourceType=resource_type)


def quota(resource_type: str, code_limit: tuple[str, int], what: str) -> LatticeError:
    code, limit = code_limit
    return LatticeError(
        "ServiceQuotaExceededException", 402, f"{what} quota ({limit}) exceeded",
        resourceType=resource_type, serviceCode=SERVICE_CODE, quotaCode=code,
    )


# --- model ---------------------------------------------------------------------------


def iso_now() -> str:
    """ISO 8601 with milliseconds and Z (model Timestamp has timestampFormat iso8601)."""
    now = datetime.now(timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def _new_id(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(9)[:17]}"


@dataclass
class Gateway:
    id: str
    arn: str
    name: str
    account: str
    region: str
    vpc_id: str
    subnet_ids: list[str]
    security_group_ids: list[str]
    ip_address_type: str
    ipv4_per_eni: int | None
    dns_resolution: str | None
    client_token: str | None
    params: tuple[Any, ...]  # what clientToken idempotency compares
    tags: dict[str, str]
    created_at: str = field(default_factory=iso_now)
    updated_at: str = field(default_factory=iso_now)
    phase: str = "CREATE_IN_PROGRESS"
    until: float | None = None  # monotonic time the phase ends

    @property
    def status(self) -> str:
        if self.phase == "CREATE_IN_PROGRESS" and (self.until is None or time.monotonic() >= self.until):
            self.phase = "ACTIVE"
        return self.phase

    def gone(self) -> bool:
        return self.phase == "DELETE_IN_PROGRESS" and self.until is not None and time.monotonic() >= self.until

    def base(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "id": self.id,
            "arn": self.arn,
            "status": self.status,
            "subnetIds": list(self.subnet_ids),
            "securityGroupIds": list(self.security_group_ids),
            "ipAddressType": self.ip_address_type,
        }
        if self.ipv4_per_eni is not None:
            out["ipv4AddressesPerEni"] = self.ipv4_per_eni
        if self.dns_resolution is not None:
            out["resourceConfigDnsResolution"] = self.dns_resolution
        return out

    def create_view(self) -> dict[str, Any]:  # CreateResourceGatewayResponse
        return {**self.base(), "vpcIdentifier": self.vpc_id}

    def summary(self) -> dict[str, Any]:  # ResourceGatewaySummary
        return {**self.base(), "vpcIdentifier": self.vpc_id, "createdAt": self.created_at, "lastUpdatedAt": self.updated_at}

    def get_view(self) -> dict[str, Any]:  # GetResourceGatewayResponse (vpcId, not vpcIdentifier)
        return {**self.base(), "vpcId": self.vpc_id, "createdAt": self.created_at, "lastUpdatedAt": self.updated_at}


@dataclass
class Config:
    id: str
    arn: str
    name: str
    account: str
    region: str
    type: str
    port_ranges: list[str] | None
    protocol: str | None
    gateway_id: str | None
    group_id: str | None
    definition: dict[str, Any] | None
    allow_shareable: bool | None
    custom_domain: str | None
    group_domain: str | None
    client_token: str | None
    params: tuple[Any, ...]
    tags: dict[str, str]
    created_at: str = field(default_factory=iso_now)
    updated_at: str = field(default_factory=iso_now)
    # Resource configurations are ACTIVE as soon as they are created (no provisioning).
    status: str = "ACTIVE"

    def group(self) -> Config | None:
        return CONFIGS.get(self.group_id) if self.group_id else None

    def effective(self) -> dict[str, Any]:
        """A CHILD inherits its gateway, protocol, shareable flag and (when unset) ports from its
        group (CreateResourceConfiguration API reference: "For a child resource configuration,
        this value is inherited from the parent resource configuration")."""
        group = self.group()
        if self.type != "CHILD" or group is None:
            return {
                "gateway_id": self.gateway_id,
                "protocol": self.protocol,
                "allow": self.allow_shareable,
                "ports": self.port_ranges,
            }
        return {
            "gateway_id": group.gateway_id,
            "protocol": group.protocol,
            "allow": group.allow_shareable,
            "ports": self.port_ranges or group.port_ranges,
        }

    def view(self, kind: str) -> dict[str, Any]:
        eff = self.effective()
        out: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "arn": self.arn,
            "type": self.type,
            "status": self.status,
            "resourceGatewayId": eff["gateway_id"],
            "resourceConfigurationGroupId": self.group_id,
            "createdAt": self.created_at,
            # customDomainName is never verified here (the twin has no domain verification),
            # so domainVerificationId/Arn/Status are left out, as for an unverified domain.
            "customDomainName": self.custom_domain,
            "groupDomain": self.group_domain,
        }
        if kind == "summary":  # ResourceConfigurationSummary
            out.update({"amazonManaged": False, "lastUpdatedAt": self.updated_at})
        else:  # Create/Get/UpdateResourceConfigurationResponse
            out.update(
                {
                    "portRanges": list(eff["ports"] or []),
                    "protocol": eff["protocol"],
                    "resourceConfigurationDefinition": self.definition,
                    "allowAssociationToShareableServiceNetwork": bool(eff["allow"]),
                }
            )
            if kind == "get":
                out.update({"amazonManaged": False, "lastUpdatedAt": self.updated_at})
        return {k: v for k, v in out.items() if v is not None}


GATEWAYS: dict[str, Gateway] = {}
CONFIGS: dict[str, Config] = {}


def reset() -> None:
    GATEWAYS.clear()
    CONFIGS.clear()


def _purge() -> None:
    # A deleted gateway is listed DELETE_IN_PROGRESS for endpointDeleteMs, then it is gone.
    for gid, gateway in list(GATEWAYS.items()):
        if gateway.gone():
            GATEWAYS.pop(gid, None)


# --- lookups used by twin_ram and twin_ec2 ----------------------------------------------


def config_by_arn(arn: str) -> Config | None:
    rid = arn.rsplit("/", 1)[-1]
    config = CONFIGS.get(rid)
    return config if config is not None and config.arn == arn else None


def config_children(config: Config) -> list[Config]:
    return [c for c in CONFIGS.values() if c.group_id == config.id]


def gateway_of(config: Config) -> Gateway | None:
    gid = config.effective()["gateway_id"]
    return GATEWAYS.get(gid) if gid else None


def endpoints_using(arn: str, region: str) -> list[str]:
    """Ids of resource endpoints (any account) that use this configuration and are not deleted."""
    out = []
    for per_account in list(ec2_backends.values()):
        backend = dict.get(per_account, region)
        if backend is None:
            continue
        for endpoint in list(backend.vpc_end_points.values()):
            if getattr(endpoint, "_tw_rcfg_arn", None) == arn and endpoint.state != "deleted":
                out.append(endpoint.id)
    return out


# --- request helpers -----------------------------------------------------------------


def _body(resp: VPCLatticeResponse) -> dict[str, Any]:
    raw = resp.body
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8")
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise LatticeError("ValidationException", 400, "Request body is not valid JSON", reason="cannotParse") from exc
    return data if isinstance(data, dict) else {}


def _query(resp: VPCLatticeResponse) -> dict[str, list[str]]:
    # moto's querystring falls back to the request headers when there is no query: read the URL.
    return parse_qs(resp.parsed_url.query, keep_blank_values=True)


def _ident_from_path(resp: VPCLatticeResponse, collection: str) -> str:
    path = resp.raw_path or resp.path
    return unquote(path.split(f"/{collection}/", 1)[-1].rstrip("/"))


def _json(payload: dict[str, Any], status: int = 200) -> tuple[str, dict[str, Any]]:
    # The model's responseCode (201 for creates, 204 for DeleteResourceConfiguration).
    return json.dumps(payload), {"status": status, "Content-Type": "application/json"}


def _page(items: list[Any], query: dict[str, list[str]]) -> tuple[list[Any], str | None]:
    raw_max = (query.get("maxResults") or [None])[0]
    max_results = 100
    if raw_max is not None:
        if not raw_max.isdigit() or not 1 <= int(raw_max) <= 100:
            raise validation("maxResults", "maxResults must be between 1 and 100")
        max_results = int(raw_max)
    token = (query.get("nextToken") or [None])[0]
    start = 0
    if token is not None:
        if not token.isdigit() or int(token) > len(items):
            raise validation("nextToken", "Invalid nextToken")
        start = int(token)
    end = start + max_results
    return items[start:end], (str(end) if end < len(items) else None)


def _string(body: dict[str, Any], key: str, lo: int, hi: int, pattern: re.Pattern[str] | None = None) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not lo <= len(value) <= hi or (pattern is not None and not pattern.fullmatch(value)):
        raise validation(key, f"Invalid {key}: {value!r}")
    return value


def _tags(body: dict[str, Any]) -> dict[str, str]:
    tags = body.get("tags") or {}
    if not isinstance(tags, dict) or len(tags) > MAX_TAGS:
        raise validation("tags", f"At most {MAX_TAGS} tags")
    for key, value in tags.items():
        if not 1 <= len(key) <= 128 or len(str(value)) > 256 or key.lower().startswith("aws:"):
            raise validation("tags", f"Invalid tag {key!r}")
    return {str(k): str(v) for k, v in tags.items()}


def _token(body: dict[str, Any]) -> str | None:
    return _string(body, "clientToken", 1, 64, CLIENT_TOKEN)


def _ec2(account: str, region: str) -> Any:
    return ec2_backends[account][region]


# --- resource gateways ---------------------------------------------------------------


def _gateway(resp: VPCLatticeResponse, ident: str) -> Gateway:
    """By id or ARN, in the caller's account and region (ResourceNotFoundException otherwise)."""
    if not GATEWAY_IDENT.fullmatch(ident):
        raise validation("resourceGatewayIdentifier", f"Invalid resource gateway identifier {ident!r}")
    gateway = GATEWAYS.get(ident.rsplit("/", 1)[-1])
    if (
        gateway is None
        or gateway.account != resp.current_account
        or gateway.region != resp.region
        or (ident.startswith("arn:") and ident != gateway.arn)
    ):
        raise not_found("RESOURCE_GATEWAY", ident)
    return gateway


def _validate_security_groups(ec2: Any, vpc_id: str, ids: Any) -> list[str]:
    if ids is None:
        return []
    if not isinstance(ids, list) or len(ids) > MAX_SECURITY_GROUPS:
        raise validation("securityGroupIds", f"At most {MAX_SECURITY_GROUPS} security groups")
    for sg_id in ids:
        if not isinstance(sg_id, str) or not SG_ID.fullmatch(sg_id):
            raise validation("securityGroupIds", f"Invalid security group id {sg_id!r}")
        group = ec2.get_security_group_from_id(sg_id)
        if group is None:
            raise not_found("SECURITY_GROUP", sg_id)
        # "The security groups must be in the same VPC" (CreateResourceGateway API reference).
        if group.vpc_id != vpc_id:
            raise validation("securityGroupIds", f"Security group {sg_id} is not in VPC {vpc_id}")
    return list(dict.fromkeys(ids))


def create_resource_gateway(self: VPCLatticeResponse) -> Any:
    _purge()
    body = _body(self)
    account, region = self.current_account, self.region
    name = _string(body, "name", 3, 40, GATEWAY_NAME)
    if name is None:
        raise validation("name", "name is required")
    token = _token(body)
    vpc_id = _string(body, "vpcIdentifier", 5, 50, VPC_ID)
    if vpc_id is None:
        raise validation("vpcIdentifier", "vpcIdentifier is required")
    subnet_ids = body.get("subnetIds")
    if not isinstance(subnet_ids, list) or not subnet_ids:
        raise validation("subnetIds", "At least one subnet is required")
    ip_type = body.get("ipAddressType") or "IPV4"
    if ip_type not in GATEWAY_IP_TYPES:
        raise validation("ipAddressType", f"ipAddressType must be one of {', '.join(GATEWAY_IP_TYPES)}")
    per_eni = body.get("ipv4AddressesPerEni")
    if per_eni is not None and (not isinstance(per_eni, int) or not 1 <= per_eni <= 62):
        raise validation("ipv4AddressesPerEni", "ipv4AddressesPerEni must be between 1 and 62")
    if per_eni is not None and ip_type == "IPV6":
        raise validation("ipv4AddressesPerEni", "ipv4AddressesPerEni does not apply to an IPV6 resource gateway")
    dns_resolution = body.get("resourceConfigDnsResolution")
    if dns_resolution is not None and dns_resolution not in DNS_RESOLUTION:
        raise validation("resourceConfigDnsResolution", "resourceConfigDnsResolution must be IN_VPC or PUBLIC")
    tags = _tags(body)

    ec2 = _ec2(account, region)
    if vpc_id not in ec2.vpcs:
        raise not_found("VPC", vpc_id)
    for subnet_id in subnet_ids:
        subnet = _find_subnet(ec2, str(subnet_id))
        if subnet is None:
            raise not_found("SUBNET", str(subnet_id))
        if subnet.vpc_id != vpc_id:
            raise validation("subnetIds", f"Subnet {subnet_id} is not in VPC {vpc_id}")
    sg_ids = _validate_security_groups(ec2, vpc_id, body.get("securityGroupIds"))
    params = (name, vpc_id, tuple(sorted(subnet_ids)), tuple(sorted(sg_ids)), ip_type, per_eni, dns_resolution)

    mine = [g for g in GATEWAYS.values() if g.account == account and g.region == region]
    if token:
        # "If you retry a request that completed successfully using the same client token and
        # parameters, the retry succeeds without performing any actions. If the parameters
        # aren't identical, the retry fails." (CreateResourceGateway API reference)
        for gateway in mine:
            if gateway.client_token == token:
                if gateway.params != params:
                    raise conflict("RESOURCE_GATEWAY", gateway.id, "clientToken was used with different parameters")
                return _json(gateway.create_view(), 201)
    for gateway in mine:
        if gateway.name == name:
            raise conflict("RESOURCE_GATEWAY", gateway.id, f"A resource gateway named {name} already exists")

    gid = _new_id("rgw")
    delay = STATE.delay_s("resourceGatewayActiveMs")
    gateway = Gateway(
        id=gid,
        arn=f"arn:aws:vpc-lattice:{region}:{account}:resourcegateway/{gid}",
        name=name,
        account=account,
        region=region,
        vpc_id=vpc_id,
        subnet_ids=list(dict.fromkeys(subnet_ids)),
        security_group_ids=sg_ids,
        ip_address_type=ip_type,
        ipv4_per_eni=per_eni,
        dns_resolution=dns_resolution,
        client_token=token,
        params=params,
        tags=tags,
        until=time.monotonic() + delay,
    )
    GATEWAYS[gid] = gateway
    return _json(gateway.create_view(), 201)


def _find_subnet(ec2: Any, subnet_id: str) -> Any:
    for per_az in ec2.subnets.values():
        if subnet_id in per_az:
            return per_az[subnet_id]
    return None


def get_resource_gateway(self: VPCLatticeResponse) -> Any:
    _purge()
    return _json(_gateway(self, _ident_from_path(self, "resourcegateways")).get_view())


def list_resource_gateways(self: VPCLatticeResponse) -> Any:
    _purge()
    mine = [g for g in GATEWAYS.values() if g.account == self.current_account and g.region == self.region]
    page, token = _page(mine, _query(self))
    out: dict[str, Any] = {"items": [g.summary() for g in page]}
    if token:
        out["nextToken"] = token
    return _json(out)


def update_resource_gateway(self: VPCLatticeResponse) -> Any:
    _purge()
    gateway = _gateway(self, _ident_from_path(self, "resourcegateways"))
    if gateway.status == "DELETE_IN_PROGRESS":
        raise conflict("RESOURCE_GATEWAY", gateway.id, f"Resource gateway {gateway.id} is being deleted")
    body = _body(self)
    if "securityGroupIds" in body:
        ec2 = _ec2(gateway.account, gateway.region)
        gateway.security_group_ids = _validate_security_groups(ec2, gateway.vpc_id, body.get("securityGroupIds"))
        gateway.updated_at = iso_now()
    view = gateway.get_view()
    out = {k: view[k] for k in ("name", "id", "arn", "status", "vpcId", "subnetIds", "securityGroupIds")}
    # UpdateResourceGatewayResponse.ipAddressType is the IpAddressType enum (IPV4 | IPV6).
    out["ipAddressType"] = "IPV6" if gateway.ip_address_type == "IPV6" else "IPV4"
    return _json(out)


def delete_resource_gateway(self: VPCLatticeResponse) -> Any:
    _purge()
    gateway = _gateway(self, _ident_from_path(self, "resourcegateways"))
    if gateway.status != "DELETE_IN_PROGRESS":
        users = [c.id for c in CONFIGS.values() if c.gateway_id == gateway.id]
        if users:
            # A gateway that resource configurations still use cannot be deleted.
            raise conflict(
                "RESOURCE_GATEWAY", gateway.id,
                f"Resource gateway {gateway.id} is used by resource configurations: {', '.join(sorted(users))}",
            )
        gateway.phase = "DELETE_IN_PROGRESS"
        gateway.until = time.monotonic() + STATE.delay_s("endpointDeleteMs")
        gateway.updated_at = iso_now()
        _purge()
    return _json({"id": gateway.id, "arn": gateway.arn, "name": gateway.name, "status": "DELETE_IN_PROGRESS"})


# --- resource configurations ---------------------------------------------------------


def _config(resp: VPCLatticeResponse, ident: str, field_name: str = "resourceConfigurationIdentifier", shared_ok: bool = False) -> Config:
    """By id or ARN in the caller's account; by ARN also one shared with the caller through an
    accepted RAM share (read-only: shared resource configurations are visible to consumers,
    "Sharing resource configurations through AWS RAM")."""
    if not CONFIG_IDENT.fullmatch(ident):
        raise validation(field_name, f"Invalid resource configuration identifier {ident!r}")
    config = CONFIGS.get(ident.rsplit("/", 1)[-1])
    if config is None or (ident.startswith("arn:") and ident != config.arn) or config.region != resp.region:
        raise not_found("RESOURCE_CONFIGURATION", ident)
    if config.account == resp.current_account:
        return config
    if shared_ok and ident.startswith("arn:"):
        import twin_ram  # late: twin_ram imports this module

        if twin_ram.shared_with(config.arn, resp.current_account, resp.region):
            return config
    raise not_found("RESOURCE_CONFIGURATION", ident)


def _domain(value: Any, key: str) -> str:
    if not isinstance(value, str) or not 3 <= len(value) <= 255:
        raise validation(key, f"Invalid domain name {value!r}")
    name = value.lower().rstrip(".")
    labels = name.split(".")
    if len(labels) < 2 or not all(DOMAIN_LABEL.match(label) for label in labels):
        raise validation(key, f"Invalid domain name {value!r}")
    return name


def _port_ranges(value: Any) -> list[str]:
    if not isinstance(value, list) or not value:
        raise validation("portRanges", "portRanges must list at least one port or range")
    for item in value:
        if not isinstance(item, str) or not 1 <= len(item) <= 11 or not PORT_RANGE.fullmatch(item):
            raise validation("portRanges", f"Invalid port range {item!r}")
        lo, _, hi = item.partition("-")
        low, high = int(lo), int(hi or lo)
        if not 1 <= low <= high <= 65535:
            raise validation("portRanges", f"Invalid port range {item!r}: ports are 1-65535, low to high")
    return list(value)


def _definition(value: Any) -> dict[str, Any]:
    """ResourceConfigurationDefinition is a union: exactly one member (botocore model)."""
    if not isinstance(value, dict):
        raise validation("resourceConfigurationDefinition", "resourceConfigurationDefinition must be an object")
    members = [k for k, v in value.items() if v is not None]
    if len(members) != 1 or members[0] not in ("dnsResource", "ipResource", "arnResource"):
        raise validation(
            "resourceConfigurationDefinition", "Specify exactly one of dnsResource, ipResource, arnResource"
        )
    kind = members[0]
    inner = value[kind]
    if not isinstance(inner, dict):
        raise validation("resourceConfigurationDefinition", f"{kind} must be an object")
    if kind == "arnResource":
        raise validation(
            "resourceConfigurationDefinition", "arnResource (type ARN) is not modelled by the AWS twin"
        )
    if kind == "dnsResource":
        domain = _domain(inner.get("domainName"), "resourceConfigurationDefinition.dnsResource.domainName")
        ip_type = inner.get("ipAddressType") or "IPV4"
        # DnsResource.ipAddressType: "Dualstack is currently not supported."
        if ip_type not in ("IPV4", "IPV6"):
            raise validation("resourceConfigurationDefinition.dnsResource.ipAddressType", "ipAddressType must be IPV4 or IPV6")
        return {"dnsResource": {"domainName": domain, "ipAddressType": ip_type}}
    raw_ip = inner.get("ipAddress")
    try:
        ip = ipaddress.ip_address(raw_ip)  # type: ignore[arg-type]
    except (ValueError, TypeError) as exc:
        raise validation("resourceConfigurationDefinition.ipResource.ipAddress", f"Invalid IP address {raw_ip!r}") from exc
    # "Resource definition": IPv4 from the private ranges only; public IPs aren't supported.
    if ip.version == 4 and not any(ip in net for net in PRIVATE_V4):
        raise validation(
            "resourceConfigurationDefinition.ipResource.ipAddress",
            f"{ip} is not a private IPv4 address (10.0.0.0/8, 100.64.0.0/10, 172.16.0.0/12, 192.168.0.0/16)",
        )
    return {"ipResource": {"ipAddress": str(ip)}}


def _not_for(body: dict[str, Any], keys: tuple[str, ...], kind: str) -> None:
    for key in keys:
        if body.get(key) is not None:
            raise validation(key, f"{key} is not allowed for a resource configuration of type {kind}")


def create_resource_configuration(self: VPCLatticeResponse) -> Any:
    body = _body(self)
    account, region = self.current_account, self.region
    name = _string(body, "name", 3, 40, CONFIG_NAME)
    if name is None:
        raise validation("name", "name is required")
    kind = body.get("type")
    if kind not in CONFIG_TYPES:
        raise validation("type", f"type must be one of {', '.join(CONFIG_TYPES)}")
    if kind == "ARN":
        raise validation("type", "Resource configurations of type ARN are not modelled by the AWS twin")
    token = _token(body)
    tags = _tags(body)
    if body.get("domainVerificationIdentifier") is not None:
        ident = body["domainVerificationIdentifier"]
        if not isinstance(ident, str) or not DV_IDENT.fullmatch(ident):
            raise validation("domainVerificationIdentifier", f"Invalid domain verification identifier {ident!r}")
        # The twin has no StartDomainVerification, so no verification can exist.
        raise not_found("DOMAIN_VERIFICATION", ident)

    # Which member goes with which type: the (SINGLE, GROUP, CHILD, ARN) notes of the
    # CreateResourceConfiguration API reference and "Types of resource configurations".
    gateway: Gateway | None = None
    group: Config | None = None
    definition: dict[str, Any] | None = None
    protocol = body.get("protocol")
    ports: list[str] | None = None
    custom = body.get("customDomainName")
    group_domain = body.get("groupDomain")
    allow = body.get("allowAssociationToShareableServiceNetwork")
    if allow is not None and not isinstance(allow, bool):
        raise validation("allowAssociationToShareableServiceNetwork", "must be a boolean")
    if kind in ("SINGLE", "GROUP"):
        _not_for(body, ("resourceConfigurationGroupIdentifier",), kind)
        ident = body.get("resourceGatewayIdentifier")
        if not ident:
            raise validation("resourceGatewayIdentifier", f"resourceGatewayIdentifier is required for type {kind}")
        _purge()
        gateway = _gateway(self, str(ident))
        if gateway.status == "DELETE_IN_PROGRESS":
            raise conflict("RESOURCE_GATEWAY", gateway.id, f"Resource gateway {gateway.id} is being deleted")
        if protocol is None:
            raise validation("protocol", f"protocol is required for type {kind}")
        ports = _port_ranges(body.get("portRanges"))
    if protocol is not None and protocol != "TCP":
        # "Currently, only the TCP protocol is supported." (user guide, "Protocol")
        raise validation("protocol", "protocol must be TCP")
    if kind == "SINGLE":
        _not_for(body, ("groupDomain",), kind)
        if body.get("resourceConfigurationDefinition") is None:
            raise validation("resourceConfigurationDefinition", "resourceConfigurationDefinition is required for type SINGLE")
        definition = _definition(body["resourceConfigurationDefinition"])
        if custom is not None:
            custom = _domain(custom, "customDomainName")
    elif kind == "GROUP":
        # A group holds children; it has no definition of its own and a group domain, not a
        # custom domain name.
        _not_for(body, ("resourceConfigurationDefinition", "customDomainName"), kind)
        if group_domain is not None:
            group_domain = _domain(group_domain, "groupDomain")
    else:  # CHILD
        _not_for(body, ("resourceGatewayIdentifier", "protocol", "groupDomain", "allowAssociationToShareableServiceNetwork"), kind)
        group_ident = body.get("resourceConfigurationGroupIdentifier")
        if not group_ident:
            raise validation("resourceConfigurationGroupIdentifier", "resourceConfigurationGroupIdentifier is required for type CHILD")
        group = _config(self, str(group_ident), "resourceConfigurationGroupIdentifier")
        if group.type != "GROUP":
            raise validation("resourceConfigurationGroupIdentifier", f"{group.id} is a {group.type} resource configuration, not a GROUP")
        if body.get("resourceConfigurationDefinition") is None:
            raise validation("resourceConfigurationDefinition", "resourceConfigurationDefinition is required for type CHILD")
        definition = _definition(body["resourceConfigurationDefinition"])
        if body.get("portRanges") is not None:
            ports = _port_ranges(body["portRanges"])
        if custom is not None:
            custom = _domain(custom, "customDomainName")
            # "For resource configurations of type group and child, ... the child resource
            # configurations can have custom domains that are subdomains of the group domain."
            # Without a group domain any custom domain is accepted ("Custom domain names for
            # resource providers").
            if group.group_domain and not custom.endswith("." + group.group_domain):
                raise validation(
                    "customDomainName", f"{custom} is not a subdomain of the group domain {group.group_domain}"
                )

    params = (
        name, kind, tuple(ports or ()), protocol, gateway.id if gateway else None, group.id if group else None,
        json.dumps(definition, sort_keys=True), allow, custom, group_domain,
    )
    mine = [c for c in CONFIGS.values() if c.account == account and c.region == region]
    if token:
        for config in mine:
            if config.client_token == token:
                if config.params != params:
                    raise conflict("RESOURCE_CONFIGURATION", config.id, "clientToken was used with different parameters")
                return _json(config.view("create"), 201)
    for config in mine:
        # "The name must be unique within the account." (CreateResourceConfiguration)
        if config.name == name:
            raise conflict("RESOURCE_CONFIGURATION", config.id, f"A resource configuration named {name} already exists")
    if len(mine) >= QUOTA_CONFIGS_PER_REGION[1]:
        raise quota("RESOURCE_CONFIGURATION", QUOTA_CONFIGS_PER_REGION, "Resource configurations per AWS Region")
    if group is not None and len(config_children(group)) >= QUOTA_CHILDREN_PER_GROUP[1]:
        raise quota("RESOURCE_CONFIGURATION", QUOTA_CHILDREN_PER_GROUP, "Child Resource Configurations per Group Resource Configuration")

    cid = _new_id("rcfg")
    config = Config(
        id=cid,
        arn=f"arn:aws:vpc-lattice:{region}:{account}:resourceconfiguration/{cid}",
        name=name,
        account=account,
        region=region,
        type=kind,
        port_ranges=ports,
        protocol=protocol if kind != "CHILD" else None,
        gateway_id=gateway.id if gateway else None,
        group_id=group.id if group else None,
        definition=definition,
        allow_shareable=(bool(allow) if kind != "CHILD" else None),
        custom_domain=custom,
        group_domain=group_domain,
        client_token=token,
        params=params,
        tags=tags,
    )
    CONFIGS[cid] = config
    return _json(config.view("create"), 201)


def get_resource_configuration(self: VPCLatticeResponse) -> Any:
    config = _config(self, _ident_from_path(self, "resourceconfigurations"), shared_ok=True)
    return _json(config.view("get"))


def list_resource_configurations(self: VPCLatticeResponse) -> Any:
    _purge()
    query = _query(self)
    items = [c for c in CONFIGS.values() if c.account == self.current_account and c.region == self.region]
    gw_ident = (query.get("resourceGatewayIdentifier") or [None])[0]
    if gw_ident:
        gateway = _gateway(self, gw_ident)
        items = [c for c in items if c.effective()["gateway_id"] == gateway.id]
    group_ident = (query.get("resourceConfigurationGroupIdentifier") or [None])[0]
    if group_ident:
        group = _config(self, group_ident, "resourceConfigurationGroupIdentifier")
        items = [c for c in items if c.group_id == group.id]
    dv_ident = (query.get("domainVerificationIdentifier") or [None])[0]
    if dv_ident:
        if not DV_IDENT.fullmatch(dv_ident):
            raise validation("domainVerificationIdentifier", f"Invalid domain verification identifier {dv_ident!r}")
        items = []  # no configuration is ever verified in the twin
    page, token = _page(items, query)
    out: dict[str, Any] = {"items": [c.view("summary") for c in page]}
    if token:
        out["nextToken"] = token
    return _json(out)


def update_resource_configuration(self: VPCLatticeResponse) -> Any:
    config = _config(self, _ident_from_path(self, "resourceconfigurations"))
    body = _body(self)
    if body.get("resourceConfigurationDefinition") is not None:
        if config.type == "GROUP":
            raise validation("resourceConfigurationDefinition", "A GROUP resource configuration has no definition")
        config.definition = _definition(body["resourceConfigurationDefinition"])
    if body.get("portRanges") is not None:
        config.port_ranges = _port_ranges(body["portRanges"])
    allow = body.get("allowAssociationToShareableServiceNetwork")
    if allow is not None:
        if not isinstance(allow, bool):
            raise validation("allowAssociationToShareableServiceNetwork", "must be a boolean")
        if config.type == "CHILD":
            raise validation(
                "allowAssociationToShareableServiceNetwork", "Not allowed for a CHILD: it inherits its group's setting"
            )
        config.allow_shareable = allow
    config.updated_at = iso_now()
    view = config.view("update")
    view.pop("createdAt", None)
    view.pop("customDomainName", None)
    view.pop("groupDomain", None)
    return _json(view)


def delete_resource_configuration(self: VPCLatticeResponse) -> Any:
    config = _config(self, _ident_from_path(self, "resourceconfigurations"))
    children = config_children(config)
    if children:
        raise conflict(
            "RESOURCE_CONFIGURATION", config.id,
            f"Resource configuration {config.id} has {len(children)} child resource configurations; delete them first",
        )
    users = endpoints_using(config.arn, config.region)
    if users:
        raise conflict(
            "RESOURCE_CONFIGURATION", config.id,
            f"Resource configuration {config.id} is in use by VPC endpoints: {', '.join(sorted(users))}",
        )
    CONFIGS.pop(config.id, None)
    import twin_ram  # late: twin_ram imports this module

    twin_ram.resource_deleted(config.arn)
    return "", {"status": 204}


# --- tags ----------------------------------------------------------------------------

_original_tag = VPCLatticeResponse.tag_resource
_original_untag = VPCLatticeResponse.untag_resource
_original_list_tags = VPCLatticeResponse.list_tags_for_resource


def _tagged(resp: VPCLatticeResponse) -> Gateway | Config | None:
    """The twin's resource named by /tags/{resourceArn}, or None for moto's own resources."""
    arn = unquote((resp.raw_path or resp.path).split("/tags/", 1)[-1])
    if ":resourcegateway/" in arn:
        _purge()
        gateway = GATEWAYS.get(arn.rsplit("/", 1)[-1])
        if gateway is None or gateway.arn != arn or gateway.account != resp.current_account:
            raise not_found("RESOURCE_GATEWAY", arn)
        return gateway
    if ":resourceconfiguration/" in arn:
        config = config_by_arn(arn)
        if config is None or config.account != resp.current_account:
            raise not_found("RESOURCE_CONFIGURATION", arn)
        return config
    return None


def tag_resource(self: VPCLatticeResponse) -> Any:
    target = _tagged(self)
    if target is None:
        return _original_tag(self)
    tags = _tags(_body(self))
    if len(set(target.tags) | set(tags)) > MAX_TAGS:
        raise validation("tags", f"At most {MAX_TAGS} tags per resource")
    target.tags.update(tags)
    return _json({})


def untag_resource(self: VPCLatticeResponse) -> Any:
    target = _tagged(self)
    if target is None:
        return _original_untag(self)
    for key in _query(self).get("tagKeys", []):
        target.tags.pop(key, None)
    return _json({})


def list_tags_for_resource(self: VPCLatticeResponse) -> Any:
    target = _tagged(self)
    if target is None:
        return _original_list_tags(self)
    return _json({"tags": dict(target.tags)})


# --- install -------------------------------------------------------------------------

ROUTES = {
    # ARNs in the path arrive URL-decoded in PATH_INFO (slashes included), hence ".+".
    "{0}/resourcegateways$": VPCLatticeResponse.dispatch,
    "{0}/resourcegateways/(?P<resourceGatewayIdentifier>.+)$": VPCLatticeResponse.dispatch,
    "{0}/resourceconfigurations$": VPCLatticeResponse.dispatch,
    "{0}/resourceconfigurations/(?P<resourceConfigurationIdentifier>.+)$": VPCLatticeResponse.dispatch,
}

HANDLERS: dict[str, Callable[..., Any]] = {
    "create_resource_gateway": create_resource_gateway,
    "get_resource_gateway": get_resource_gateway,
    "list_resource_gateways": list_resource_gateways,
    "update_resource_gateway": update_resource_gateway,
    "delete_resource_gateway": delete_resource_gateway,
    "create_resource_configuration": create_resource_configuration,
    "get_resource_configuration": get_resource_configuration,
    "list_resource_configurations": list_resource_configurations,
    "update_resource_configuration": update_resource_configuration,
    "delete_resource_configuration": delete_resource_configuration,
    "tag_resource": tag_resource,
    "untag_resource": untag_resource,
    "list_tags_for_resource": list_tags_for_resource,
}


def install() -> None:
    # Routes must be in moto's url_paths before the vpclattice flask app is built (warm()).
    lattice_urls.url_paths.update(ROUTES)
    for name, handler in HANDLERS.items():
        setattr(VPCLatticeResponse, name, handler)
