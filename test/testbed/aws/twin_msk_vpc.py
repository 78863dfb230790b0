"""MSK multi-VPC private connectivity: UpdateConnectivity, cluster policies and managed VPC connections.

moto 5.2.1 has none of UpdateConnectivity, CreateVpcConnection, DescribeVpcConnection, DeleteVpcConnection,
ListVpcConnections, ListClientVpcConnections or RejectClientVpcConnection, and answers VpcConnectivity in
neither DescribeCluster(V2) nor GetBootstrapBrokers; its Put/Get/DeleteClusterPolicy keep a policy but never
evaluate it (moto 5.2.1's source, moto/kafka). The twin adds them with the botocore model's shapes
(kafka/2018-11-14) and the behaviour the MSK developer guide describes:

- "Amazon MSK multi-VPC private connectivity in a single Region" (requirements and limitations: Apache Kafka
  2.7.1 or higher; auth types IAM, TLS and SASL/SCRAM, unauthenticated clusters can't use it; not the t3.small
  instance type; not across Regions; "the same number of client subnets as cluster subnets" with the same
  Availability Zone IDs);
- "Step 1: ... turn on multi-VPC connectivity" (UpdateConnectivity on an ACTIVE cluster, a rolling reboot of
  the brokers, "a new set of bootstrap broker endpoints for each auth type"; "plaintext ... does not support"
  it);
- "Update the authorization schemes on a cluster" (turning a scheme off makes the client side's VPC connections
  INACTIVE; they can only be deleted);
- "Step 2: Attach a cluster policy" / "Permissions for multi-VPC private connectivity" (PutClusterPolicy needs
  currentVersion when updating; the policy grants other accounts kafka:CreateVpcConnection,
  kafka:GetBootstrapBrokers, kafka:DescribeCluster(V2));
- "Step 3: Cross-account user actions to configure client-managed VPC connections" (one auth scheme per
  connection, which the cluster must have turned on; client subnets whose zone IDs match the cluster's; the
  multi-VPC load balancer listens on 14001-14100);
- "Reject a managed VPC connection" (the cluster owner rejects an AVAILABLE one) and "Delete a managed VPC
  connection" (only the connection's owner deletes it).

Broker names and ports of the VpcConnectivity bootstrap strings, `b-<id>.<scheme>.<cluster domain>:<14000+id>`
with scheme `iam` or `scram`, are as public examples of BootstrapBrokerStringVpcConnectivitySaslIam and ...SaslScram
show them; `tls` for ...Tls is assumed by analogy. VPC connection ARNs follow the Service Authorization
Reference: arn:aws:kafka:<region>:<VPC owner>:vpc-connection/<cluster owner>/<cluster name>/<uuid>-<n>.

UpdateConnectivity runs a rolling restart (operation UPDATE_CONNECTIVITY) through twin_msk_config.py's machinery:
each broker step carries the broker's VPC listeners after it (`vpcListeners`, scheme -> advertised host:port), so
the testbed's driver restarts the real broker with them. All calls run under twin_core.MOTO_LOCK.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any
from urllib.parse import unquote

import moto.kafka.urls as kafka_urls
from moto.ec2.exceptions import EC2ClientError
from moto.ec2.models import ec2_backends
from moto.kafka.models import FakeKafkaCluster, KafkaBackend, kafka_backends
from moto.kafka.responses import KafkaResponse

import twin_msk
import twin_msk_config as cfg
from twin_msk import _arn_from_path, _cluster, utc_iso
from twin_state import STATE

# Schemes of VpcConnectivityClientAuthentication and the names MSK uses for them elsewhere.
SCHEMES = ("iam", "scram", "tls")
# CreateVpcConnection's Authentication (MSK API reference: "SASL_IAM, SASL_SCRAM, or TLS").
AUTH_TO_SCHEME = {"SASL_IAM": "iam", "SASL_SCRAM": "scram", "TLS": "tls"}
SCHEME_LABEL = {"iam": "IAM", "scram": "SASL/SCRAM", "tls": "TLS"}
# GetBootstrapBrokers' members per scheme.
BOOTSTRAP_KEYS = {
    "iam": "bootstrapBrokerStringVpcConnectivitySaslIam",
    "scram": "bootstrapBrokerStringVpcConnectivitySaslScram",
    "tls": "bootstrapBrokerStringVpcConnectivityTls",
}
# "The multi-VPC network load balancer is listening on the 14001-14100 port ranges": broker N on 14000+N.
VPC_PORT_BASE = 14000
MIN_KAFKA_VERSION = (2, 7, 1)
UNSUPPORTED_INSTANCE_TYPES = ("kafka.t3.small",)

CONNECTION_STATES_LISTED_BY_OWNER = ("CREATING", "AVAILABLE", "REJECTING", "REJECTED", "DELETING", "FAILED")


def _error(code: str, message: str, status: int, invalid: str | None = None) -> cfg.KafkaError:
    err = cfg.KafkaError(code, message, status)
    if invalid:
        # MSK's error body carries the offending parameter (the model's BadRequestException.invalidParameter).
        err.description = json.dumps({"__type": code, "message": message, "invalidParameter": invalid})
    return err


def bad_request(message: str, invalid: str | None = None) -> cfg.KafkaError:
    return _error("BadRequestException", message, 400, invalid)


def forbidden(caller: str, action: str, resource: str) -> cfg.KafkaError:
    # IAM's wording for a cross-account call no resource-based policy allows.
    return _error(
        "ForbiddenException",
        f"User: arn:aws:iam::{caller}:root is not authorized to perform: kafka:{action} on resource: {resource} "
        f"because no resource-based policy allows the kafka:{action} action",
        403,
    )


def not_found(message: str) -> cfg.KafkaError:
    return _error("NotFoundException", message, 404)


# --- cluster side: connectivity state, broker names ----------------------------------------------------------


def connectivity_of(cluster: FakeKafkaCluster) -> dict[str, bool]:
    """The multi-VPC connectivity schemes in effect (a running UpdateConnectivity changes them when it ends)."""
    return dict(cfg._state(cluster).connectivity)


def connectivity_info(flags: dict[str, bool]) -> dict[str, Any]:
    """ConnectivityInfo as DescribeCluster(V2) shows it: public access off (not modelled), VPC connectivity."""
    return {
        "publicAccess": {"type": "DISABLED"},
        "vpcConnectivity": {
            "clientAuthentication": {
                "sasl": {"scram": {"enabled": bool(flags.get("scram"))}, "iam": {"enabled": bool(flags.get("iam"))}},
                "tls": {"enabled": bool(flags.get("tls"))},
            }
        },
    }


def _broker_endpoint(cluster: FakeKafkaCluster, broker_id: int) -> str:
    twin = getattr(cluster, "_twin", None) or {}
    for b in twin.get("brokers", []):
        if int(b["id"]) == broker_id:
            return str(b["endpoint"])
    short, cell = twin.get("short", "abc123"), twin.get("cell", 2)
    return f"b-{broker_id}.{cluster.cluster_name}.{short}.c{cell}.kafka.{cluster.region_name}.amazonaws.com"


def vpc_broker_name(endpoint: str, scheme: str) -> str:
    """b-1.payments.abc123.c2.kafka.us-east-2.amazonaws.com -> b-1.scram.payments.abc123.c2.kafka.us-east-2..."""
    first, _, rest = endpoint.partition(".")
    return f"{first}.{scheme}.{rest}"


def vpc_listeners_for(
    cluster: FakeKafkaCluster, broker_id: int, flags: dict[str, bool] | None = None
) -> dict[str, str]:
    """scheme -> advertised "b-<id>.<scheme>.<domain>:<14000+id>" for each scheme on (default: in effect)."""
    on = connectivity_of(cluster) if flags is None else flags
    endpoint = _broker_endpoint(cluster, broker_id)
    return {s: f"{vpc_broker_name(endpoint, s)}:{VPC_PORT_BASE + broker_id}" for s in SCHEMES if on.get(s)}


def vpc_bootstrap(cluster: FakeKafkaCluster) -> dict[str, str]:
    """GetBootstrapBrokers' VpcConnectivity strings for the schemes in effect."""
    on = connectivity_of(cluster)
    out: dict[str, str] = {}
    for scheme in SCHEMES:
        if on.get(scheme):
            out[BOOTSTRAP_KEYS[scheme]] = ",".join(
                vpc_listeners_for(cluster, i, {scheme: True})[scheme] for i in cfg.broker_ids(cluster)
            )
    return out


def _cluster_auth(cluster: FakeKafkaCluster) -> dict[str, bool]:
    auth = cluster.client_authentication or {}
    sasl = auth.get("sasl") or {}
    return {
        "iam": bool((sasl.get("iam") or {}).get("enabled")),
        "scram": bool((sasl.get("scram") or {}).get("enabled")),
        "tls": bool((auth.get("tls") or {}).get("enabled")),
    }


def _version_tuple(version: str | None) -> tuple[int, int, int] | None:
    match = re.match(r"^(\d+)\.(\d+)\.(\d+|x)", version or "")
    if not match:
        return None
    patch = match.group(3)
    return int(match.group(1)), int(match.group(2)), 0 if patch == "x" else int(patch)


# --- cluster policies ------------------------------------------------------------------------------------------


@dataclass
class ClusterPolicy:
    text: str
    document: dict[str, Any]
    version: str


def _policy(cluster: FakeKafkaCluster) -> ClusterPolicy | None:
    return getattr(cluster, "_twin_policy", None)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _parse_policy(text: str) -> dict[str, Any]:
    try:
        document = json.loads(text)
    except (TypeError, ValueError) as exc:
        raise bad_request(f"The cluster policy is not valid JSON: {exc}", "policy") from exc
    if not isinstance(document, dict) or not _as_list(document.get("Statement")):
        raise bad_request("The cluster policy must be a JSON object with at least one Statement.", "policy")
    for statement in _as_list(document["Statement"]):
        if not isinstance(statement, dict):
            raise bad_request("Each Statement of the cluster policy must be an object.", "policy")
        if statement.get("Effect") not in ("Allow", "Deny"):
            raise bad_request("Each Statement needs an Effect of Allow or Deny.", "policy")
        if not statement.get("Action") or "Principal" not in statement:
            raise bad_request("Each Statement needs a Principal and an Action.", "policy")
    return document


def _principal_accounts(principal: Any) -> tuple[bool, set[str]]:
    """(anyone, accounts) a statement's Principal names. An account id, its root ARN or any IAM ARN of it counts as
    the account (the twin evaluates no identity policies: principals narrower than an account admit it whole);
    Service principals name no account."""
    if principal == "*":
        return True, set()
    accounts: set[str] = set()
    if isinstance(principal, dict):
        for value in _as_list(principal.get("AWS")):
            text = str(value)
            if text == "*":
                return True, set()
            if re.fullmatch(r"\d{12}", text):
                accounts.add(text)
                continue
            match = re.match(r"^arn:[^:]+:(?:iam|sts)::(\d{12}):", text)
            if match:
                accounts.add(match.group(1))
    return False, accounts


def _matches(patterns: list[Any], value: str, case_insensitive: bool = False) -> bool:
    for pattern in patterns:
        p = str(pattern)
        if case_insensitive:
            if fnmatchcase(value.lower(), p.lower()):
                return True
        elif fnmatchcase(value, p):
            return True
    return False


def policy_allows(cluster: FakeKafkaCluster, caller: str, action: str) -> bool:
    """Whether the cluster policy lets `caller` (another account) do kafka:<action> on the cluster: an Allow
    statement naming the account (or "*") with a matching action and resource, and no matching Deny. Conditions are
    not evaluated."""
    policy = _policy(cluster)
    if policy is None:
        return False
    allowed = False
    for statement in _as_list(policy.document.get("Statement")):
        anyone, accounts = _principal_accounts(statement.get("Principal"))
        if not anyone and caller not in accounts:
            continue
        if not _matches(_as_list(statement.get("Action")), f"kafka:{action}", case_insensitive=True):
            continue
        resources = _as_list(statement.get("Resource")) or ["*"]
        if not _matches(resources, cluster.arn):
            continue
        if statement.get("Effect") == "Deny":
            return False
        allowed = True
    return allowed


def _owner_cluster(self: KafkaResponse, arn: str, action: str) -> FakeKafkaCluster:
    """The cluster an ARN names, for the caller's account or, through the cluster policy, another account's."""
    parts = arn.split(":")
    if len(parts) < 6 or parts[2] != "kafka":
        raise bad_request(f"Invalid cluster ARN: {arn}", "clusterArn")
    owner, region = parts[4], parts[3]
    if owner == self.current_account and region == self.region:
        return _cluster(self.kafka_backend, arn)
    backend = dict.get(kafka_backends.get(owner, {}), region) if region == self.region else None
    cluster = backend.clusters.get(arn) if backend is not None else None
    if cluster is None:
        raise not_found(f"The specified cluster was not found: {arn}")
    twin_msk._maybe_activate(cluster)
    if not policy_allows(cluster, self.current_account, action):
        raise forbidden(self.current_account, action, arn)
    return cluster


def put_cluster_policy(self: KafkaResponse) -> str:
    cluster = _cluster(self.kafka_backend, _arn_from_path(self, "/policy"))
    body = cfg._body(self)
    text = body.get("policy")
    if not text:
        raise bad_request("policy is required", "policy")
    document = _parse_policy(str(text))
    current = _policy(cluster)
    given = body.get("currentVersion")
    if current is not None and given != current.version:
        # "If you're updating the policy, the currentVersion field is required in the request payload."
        raise bad_request(
            "The policy version isn't current. Get the cluster policy's current version and try again."
            if given
            else "currentVersion is required to update an existing cluster policy.",
            "currentVersion",
        )
    policy = ClusterPolicy(str(text), document, cfg.new_version())
    cluster._twin_policy = policy  # type: ignore[attr-defined]
    return json.dumps({"currentVersion": policy.version})


def get_cluster_policy(self: KafkaResponse) -> str:
    arn = _arn_from_path(self, "/policy")
    cluster = _cluster(self.kafka_backend, arn)
    policy = _policy(cluster)
    if policy is None:
        raise not_found(f"The cluster policy for {arn} was not found.")
    return json.dumps({"currentVersion": policy.version, "policy": policy.text})


def delete_cluster_policy(self: KafkaResponse) -> str:
    arn = _arn_from_path(self, "/policy")
    cluster = _cluster(self.kafka_backend, arn)
    if _policy(cluster) is None:
        raise not_found(f"The cluster policy for {arn} was not found.")
    cluster._twin_policy = None  # type: ignore[attr-defined]
    return json.dumps({})


# --- UpdateConnectivity ------------------------------------------------------------------------------------------


def update_connectivity(self: KafkaResponse) -> str:
    cluster = _cluster(self.kafka_backend, _arn_from_path(self, "/connectivity"))
    if cluster.cluster_type == "SERVERLESS":
        raise bad_request("This operation cannot be performed on serverless clusters.")
    cfg.advance(cluster)
    body = cfg._body(self)
    info = body.get("connectivityInfo")
    if not isinstance(info, dict) or not body.get("currentVersion"):
        raise bad_request("connectivityInfo and currentVersion are required", "connectivityInfo")
    if cluster.state != "ACTIVE":
        raise bad_request(f"The cluster is in {cluster.state} state. You can update it only when it is ACTIVE.")
    if body["currentVersion"] != cluster.current_version:
        raise bad_request("The version of the cluster isn\u2019t current. Check the current version and try again.")

    public = info.get("publicAccess")
    if isinstance(public, dict) and public.get("type") not in (None, "DISABLED"):
        raise bad_request(
            "The AWS twin models no public access: only publicAccess.type DISABLED is accepted.",
            "connectivityInfo.publicAccess.type",
        )
    if info.get("networkType") not in (None, "IPV4"):
        raise bad_request("The AWS twin models IPV4 networks only.", "connectivityInfo.networkType")
    if body.get("zookeeperAccess") is not None:
        raise bad_request("The AWS twin does not model zookeeperAccess.", "zookeeperAccess")

    current = connectivity_of(cluster)
    target = dict(current)
    vpc = info.get("vpcConnectivity")
    if vpc is not None:
        if not isinstance(vpc, dict):
            raise bad_request("vpcConnectivity must be an object", "connectivityInfo.vpcConnectivity")
        auth = vpc.get("clientAuthentication") or {}
        sasl = auth.get("sasl") or {}
        # A scheme the request leaves out keeps its state; "enabled": false turns it off.
        for scheme, node in (("iam", sasl.get("iam")), ("scram", sasl.get("scram")), ("tls", auth.get("tls"))):
            if isinstance(node, dict) and "enabled" in node:
                target[scheme] = bool(node["enabled"])
    if target == current:
        raise bad_request(
            "The request doesn't change the cluster's connectivity settings.", "connectivityInfo.vpcConnectivity"
        )

    turned_on = [s for s in SCHEMES if target[s] and not current[s]]
    if turned_on:
        has = _cluster_auth(cluster)
        if not any(has.values()):
            raise bad_request(
                "Multi-VPC private connectivity can't be turned on for an unauthenticated cluster: it supports the "
                "IAM, SASL/SCRAM and TLS client authentication schemes only.",
                "connectivityInfo.vpcConnectivity.clientAuthentication",
            )
        for scheme in turned_on:
            if not has[scheme]:
                where = "tls" if scheme == "tls" else f"sasl.{scheme}"
                raise bad_request(
                    f"You can't turn on multi-VPC private connectivity for {SCHEME_LABEL[scheme]}: "
                    f"{SCHEME_LABEL[scheme]} client authentication isn't turned on for this cluster.",
                    f"connectivityInfo.vpcConnectivity.clientAuthentication.{where}",
                )
        instance_type = str((cluster.broker_node_group_info or {}).get("instanceType") or "")
        if instance_type in UNSUPPORTED_INSTANCE_TYPES:
            raise bad_request(
                f"Multi-VPC private connectivity isn't supported on the {instance_type} instance type.",
                "connectivityInfo.vpcConnectivity",
            )
        version = _version_tuple(cluster.kafka_version)
        if version is not None and version < MIN_KAFKA_VERSION:
            raise bad_request(
                "Multi-VPC private connectivity is supported only on Apache Kafka 2.7.1 or higher; this cluster "
                f"runs {cluster.kafka_version}.",
                "connectivityInfo.vpcConnectivity",
            )

    ids = cfg.broker_ids(cluster)
    state = cfg._state(cluster)
    op = cfg.Operation(
        arn=cluster.arn.replace(":cluster/", ":cluster-operation/", 1) + f"/{uuid.uuid4()}",
        cluster_arn=cluster.arn,
        source=None,
        target=None,
        brokers=len(ids),
        # A rolling reboot, one broker at a time by id: each keeps its advertised listeners and gets the VPC ones.
        steps=[
            cfg.BrokerStep(i, dict(state.advertised.get(i, {})), vpc_listeners_for(cluster, i, target)) for i in ids
        ],
        kind=cfg.CONNECTIVITY_OPERATION_TYPE,
        connectivity=(current, target),
    )
    state.operations.append(op)
    cluster.state = "UPDATING"
    cluster.current_version = cfg.new_version()
    cfg.advance(cluster)
    return json.dumps({"clusterArn": cluster.arn, "clusterOperationArn": op.arn})


def connectivity_done(cluster: FakeKafkaCluster, op: cfg.Operation) -> None:
    """The operation ended: the new schemes are in effect; client VPC connections of schemes turned off go INACTIVE
    ("Update the authorization schemes on a cluster")."""
    assert op.connectivity is not None
    target = op.connectivity[1]
    cfg._state(cluster).connectivity = dict(target)
    now = time.monotonic()
    for conn in CONNECTIONS.values():
        if conn.cluster_arn == cluster.arn and not target.get(AUTH_TO_SCHEME[conn.authentication]):
            _advance(conn, now)
            if conn.state not in ("DELETING", "INACTIVE"):
                conn.set_state("INACTIVE", now)


# --- managed VPC connections -------------------------------------------------------------------------------------


@dataclass
class VpcConnection:
    arn: str
    owner: str  # the account that made it (its VPC's)
    region: str
    cluster_arn: str
    authentication: str
    vpc_id: str
    subnets: list[str]
    security_groups: list[str]
    tags: dict[str, str]
    created: str = field(default_factory=utc_iso)
    state: str = "CREATING"
    state_at: float = field(default_factory=time.monotonic)

    def set_state(self, state: str, now: float | None = None) -> None:
        self.state, self.state_at = state, time.monotonic() if now is None else now

    def cluster_account(self) -> str:
        return self.cluster_arn.split(":")[4]


# By ARN, across accounts (the cluster owner lists its clients' connections); cleared by reset().
CONNECTIONS: dict[str, VpcConnection] = {}


def _delay_s() -> float:
    return STATE.delay_s("mskVpcConnectionMs")


def _advance(conn: VpcConnection, now: float) -> None:
    """CREATING -> AVAILABLE, REJECTING -> REJECTED and DELETING -> gone, each after mskVpcConnectionMs."""
    if now < conn.state_at + _delay_s():
        return
    if conn.state == "CREATING":
        conn.set_state("AVAILABLE", conn.state_at + _delay_s())
    elif conn.state == "REJECTING":
        conn.set_state("REJECTED", conn.state_at + _delay_s())
    elif conn.state == "DELETING":
        CONNECTIONS.pop(conn.arn, None)
        backend = kafka_backends[conn.owner][conn.region]
        backend.untag_resource(conn.arn, list(backend.list_tags_for_resource(conn.arn)))


def _advance_all() -> None:
    # The clusters first: an UpdateConnectivity that ended (by the clock) turns its connections INACTIVE.
    for arn in {c.cluster_arn for c in CONNECTIONS.values()}:
        parts = arn.split(":")
        backend = dict.get(kafka_backends.get(parts[4], {}), parts[3])
        cluster = backend.clusters.get(arn) if backend is not None else None
        if cluster is not None:
            cfg.advance(cluster)
    now = time.monotonic()
    for conn in list(CONNECTIONS.values()):
        _advance(conn, now)


def _tags_of(conn: VpcConnection) -> dict[str, str]:
    """The connection's tags as TagResource/UntagResource left them (kept by its owner's MSK backend)."""
    return dict(kafka_backends[conn.owner][conn.region].list_tags_for_resource(conn.arn))


def _connection_json(conn: VpcConnection, create: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "vpcConnectionArn": conn.arn,
        "state": conn.state,
        "authentication": conn.authentication,
        "vpcId": conn.vpc_id,
        # CreateVpcConnectionResponse calls them clientSubnets, DescribeVpcConnectionResponse subnets.
        ("clientSubnets" if create else "subnets"): list(conn.subnets),
        "securityGroups": list(conn.security_groups),
        "creationTime": conn.created,
        "tags": _tags_of(conn),
    }
    if not create:
        out["targetClusterArn"] = conn.cluster_arn
    return out


def _strings(body: dict[str, Any], name: str) -> list[str]:
    value = body.get(name)
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise bad_request(f"{name} is required: a non-empty list of ids", name)
    return list(dict.fromkeys(value))


def _zone_ids(ec2: Any, subnet_ids: list[str]) -> list[str] | None:
    """AZ IDs of subnets in an EC2 backend; None when one is unknown there (e.g. a cluster seeded with made-up
    subnet ids)."""
    out = []
    for subnet_id in subnet_ids:
        try:
            out.append(str(ec2.get_subnet(subnet_id).availability_zone_id))
        except EC2ClientError:
            return None
    return out


def create_vpc_connection(self: KafkaResponse) -> str:
    body = cfg._body(self)
    arn = body.get("targetClusterArn")
    if not arn:
        raise bad_request("targetClusterArn is required", "targetClusterArn")
    authentication = body.get("authentication")
    if not authentication:
        raise bad_request("authentication is required", "authentication")
    if authentication not in AUTH_TO_SCHEME:
        raise bad_request(
            f"Invalid authentication type {authentication}. Specify one of these auth type strings: "
            "SASL_IAM, SASL_SCRAM, or TLS.",
            "authentication",
        )
    vpc_id = body.get("vpcId")
    if not vpc_id:
        raise bad_request("vpcId is required", "vpcId")
    subnet_ids = _strings(body, "clientSubnets")
    group_ids = _strings(body, "securityGroups")
    tags = body.get("tags") or {}

    parts = str(arn).split(":")
    if len(parts) < 6 or parts[2] != "kafka" or not parts[5].startswith("cluster/"):
        raise bad_request(f"Invalid cluster ARN: {arn}", "targetClusterArn")
    if parts[3] != self.region:
        raise bad_request(
            "Multi-VPC private connectivity isn't supported across AWS Regions: the cluster is in "
            f"{parts[3]}, the request in {self.region}.",
            "targetClusterArn",
        )
    try:
        cluster = _owner_cluster(self, str(arn), "CreateVpcConnection")
    except cfg.KafkaError as exc:
        if exc.error_type == "NotFoundException":
            # CreateVpcConnection's model lists no NotFoundException.
            raise bad_request(exc.message, "targetClusterArn") from None
        raise
    cfg.advance(cluster)
    scheme = AUTH_TO_SCHEME[authentication]
    if not connectivity_of(cluster).get(scheme):
        raise bad_request(
            f"Multi-VPC private connectivity for {SCHEME_LABEL[scheme]} isn't turned on for cluster {arn}. "
            "The cluster owner turns it on with UpdateConnectivity.",
            "authentication",
        )

    # The caller's VPC, subnets and groups.
    ec2 = ec2_backends[self.current_account][self.region]
    try:
        ec2.get_vpc(vpc_id)
    except EC2ClientError:
        raise bad_request(f"The VPC {vpc_id} does not exist.", "vpcId") from None
    for subnet_id in subnet_ids:
        try:
            subnet = ec2.get_subnet(subnet_id)
        except EC2ClientError:
            raise bad_request(f"The subnet {subnet_id} does not exist.", "clientSubnets") from None
        if subnet.vpc_id != vpc_id:
            raise bad_request(f"The subnet {subnet_id} is not in VPC {vpc_id}.", "clientSubnets")
    for group_id in group_ids:
        group = ec2.get_security_group_from_id(group_id)
        if group is None:
            raise bad_request(f"The security group {group_id} does not exist.", "securityGroups")
        if group.vpc_id != vpc_id:
            raise bad_request(f"The security group {group_id} is not in VPC {vpc_id}.", "securityGroups")

    # "the same number of client subnets as cluster subnets ... Availability Zone IDs are same for the client subnet
    # and cluster subnet" (requirements and limitations).
    cluster_subnets = list((cluster.broker_node_group_info or {}).get("clientSubnets") or [])
    owner_ec2 = dict.get(ec2_backends.get(cluster.account_id, {}), cluster.region_name)
    cluster_zones = _zone_ids(owner_ec2, cluster_subnets) if owner_ec2 is not None else None
    client_zones = _zone_ids(ec2, subnet_ids) or []
    if len(subnet_ids) != len(cluster_subnets) or (
        cluster_zones is not None and sorted(client_zones) != sorted(cluster_zones)
    ):
        want = ", ".join(sorted(cluster_zones)) if cluster_zones is not None else f"{len(cluster_subnets)} subnets"
        raise bad_request(
            "The client subnets must match the cluster's: as many subnets as the cluster has, in the same "
            f"Availability Zone IDs (cluster: {want}; client subnets: {', '.join(sorted(client_zones))}).",
            "clientSubnets",
        )

    _advance_all()
    for other in CONNECTIONS.values():
        if (
            other.owner == self.current_account
            and other.vpc_id == vpc_id
            and other.cluster_arn == cluster.arn
            and other.authentication == authentication
            and other.state in ("CREATING", "AVAILABLE")
        ):
            raise bad_request(
                f"A VPC connection from {vpc_id} to this cluster with {authentication} already exists: {other.arn}",
                "vpcId",
            )

    conn_arn = (
        f"arn:aws:kafka:{self.region}:{self.current_account}:vpc-connection/{cluster.account_id}/"
        f"{cluster.cluster_name}/{uuid.uuid4()}-{cluster.cluster_id.rsplit('-', 1)[-1]}"
    )
    conn = VpcConnection(
        arn=conn_arn,
        owner=self.current_account,
        region=self.region,
        cluster_arn=cluster.arn,
        authentication=str(authentication),
        vpc_id=str(vpc_id),
        subnets=subnet_ids,
        security_groups=group_ids,
        tags={str(k): str(v) for k, v in dict(tags).items()},
    )
    CONNECTIONS[conn.arn] = conn
    if conn.tags:
        self.kafka_backend.tag_resource(conn.arn, conn.tags)
    return json.dumps(_connection_json(conn, create=True))


def _connection_for(self: KafkaResponse, arn: str, owner_only: bool = False) -> VpcConnection:
    _advance_all()
    conn = CONNECTIONS.get(arn)
    # Its owner sees it; the cluster owner too (ListClientVpcConnections), but only the owner deletes it.
    if conn is None or (
        self.current_account != conn.owner and (owner_only or self.current_account != conn.cluster_account())
    ):
        raise not_found(f"The specified VPC connection was not found: {arn}")
    return conn


def describe_vpc_connection(self: KafkaResponse) -> str:
    conn = _connection_for(self, cfg._uri(self, "arn"))
    return json.dumps(_connection_json(conn))


def delete_vpc_connection(self: KafkaResponse) -> str:
    conn = _connection_for(self, cfg._uri(self, "arn"), owner_only=True)
    if conn.state in ("CREATING", "DELETING", "REJECTING"):
        raise bad_request(f"The VPC connection is {conn.state}; it can be deleted once that ends.", "arn")
    conn.set_state("DELETING")
    return json.dumps({"vpcConnectionArn": conn.arn, "state": conn.state})


def list_vpc_connections(self: KafkaResponse) -> str:
    _advance_all()
    rows = [
        {
            "vpcConnectionArn": c.arn,
            "targetClusterArn": c.cluster_arn,
            "creationTime": c.created,
            "authentication": c.authentication,
            "vpcId": c.vpc_id,
            "state": c.state,
        }
        for c in CONNECTIONS.values()
        if c.owner == self.current_account and c.region == self.region
    ]
    page, token = cfg._page(self, rows)
    return json.dumps({"vpcConnections": page, **({"nextToken": token} if token else {})})


def list_client_vpc_connections(self: KafkaResponse) -> str:
    cluster = _cluster(self.kafka_backend, _arn_from_path(self, "/client-vpc-connections"))
    _advance_all()
    rows = [
        {
            "authentication": c.authentication,
            "creationTime": c.created,
            "state": c.state,
            "vpcConnectionArn": c.arn,
            "owner": c.owner,
        }
        for c in CONNECTIONS.values()
        # INACTIVE ones lost their cluster side when the scheme was turned off.
        if c.cluster_arn == cluster.arn and c.state in CONNECTION_STATES_LISTED_BY_OWNER
    ]
    page, token = cfg._page(self, rows)
    return json.dumps({"clientVpcConnections": page, **({"nextToken": token} if token else {})})


def reject_client_vpc_connection(self: KafkaResponse) -> str:
    cluster = _cluster(self.kafka_backend, _arn_from_path(self, "/client-vpc-connection"))
    body = cfg._body(self)
    arn = body.get("vpcConnectionArn")
    if not arn:
        raise bad_request("vpcConnectionArn is required", "vpcConnectionArn")
    _advance_all()
    conn = CONNECTIONS.get(str(arn))
    if conn is None or conn.cluster_arn != cluster.arn:
        raise bad_request(
            f"The VPC connection {arn} is not a client VPC connection of this cluster.", "vpcConnectionArn"
        )
    if conn.state != "AVAILABLE":
        # "The client VPC connection must be in the AVAILABLE state to be rejected."
        raise bad_request(
            f"The client VPC connection is {conn.state}; only an AVAILABLE one can be rejected.", "vpcConnectionArn"
        )
    conn.set_state("REJECTING")
    return json.dumps({})


# --- reads other accounts may make through the cluster policy, and VpcConnectivity in them ------------------------


def get_bootstrap_brokers(self: KafkaResponse) -> str:
    cluster = _owner_cluster(self, _arn_from_path(self, "/bootstrap-brokers"), "GetBootstrapBrokers")
    cfg.advance(cluster)
    return json.dumps({**twin_msk.bootstrap_strings(cluster), **vpc_bootstrap(cluster)})


def _describe(self: KafkaResponse, v2: bool) -> str:
    arn = unquote(self.parsed_url.path.split("/clusters/")[-1])
    cluster = _owner_cluster(self, arn, "DescribeClusterV2" if v2 else "DescribeCluster")
    backend = kafka_backends[cluster.account_id][cluster.region_name]
    info = backend.describe_cluster_v2(arn) if v2 else backend.describe_cluster(arn)
    return json.dumps({"clusterInfo": info})


def describe_cluster(self: KafkaResponse) -> str:
    return _describe(self, v2=False)


def describe_cluster_v2(self: KafkaResponse) -> str:
    return _describe(self, v2=True)


def _refuse_vpc_connectivity_at_create(self: KafkaResponse, group: Any) -> None:
    """MSK refuses a new cluster with a VPC connectivity scheme on (its message, as CloudFormation users met it in
    aws-cloudformation/cloudformation-coverage-roadmap#1775)."""
    if not isinstance(group, dict):
        return
    vpc = ((group.get("connectivityInfo") or {}).get("vpcConnectivity") or {}).get("clientAuthentication") or {}
    sasl = vpc.get("sasl") or {}
    nodes = [sasl.get("iam"), sasl.get("scram"), vpc.get("tls")]
    if any(isinstance(n, dict) and n.get("enabled") for n in nodes):
        raise bad_request(
            "When creating a cluster, all vpcConnectivity auth schemes must be disabled ('enabled' : false). "
            "You can enable auth schemes after the cluster is created.",
            "vpcConnectivity.clientAuthentication",
        )


# --- install -------------------------------------------------------------------------------------------------------


ROUTES = {
    # Connection ARNs arrive URL-decoded in PATH_INFO (slashes included), hence ".+" (twin_msk_config.ROUTES).
    "{0}/v1/vpc-connection$": KafkaResponse.dispatch,
    "{0}/v1/vpc-connection/(?P<arn>.+)$": KafkaResponse.dispatch,
    "{0}/v1/vpc-connections$": KafkaResponse.dispatch,
}

HANDLERS = {
    "update_connectivity": update_connectivity,
    "put_cluster_policy": put_cluster_policy,
    "get_cluster_policy": get_cluster_policy,
    "delete_cluster_policy": delete_cluster_policy,
    "create_vpc_connection": create_vpc_connection,
    "describe_vpc_connection": describe_vpc_connection,
    "delete_vpc_connection": delete_vpc_connection,
    "list_vpc_connections": list_vpc_connections,
    "list_client_vpc_connections": list_client_vpc_connections,
    "reject_client_vpc_connection": reject_client_vpc_connection,
    "get_bootstrap_brokers": get_bootstrap_brokers,
    "describe_cluster": describe_cluster,
    "describe_cluster_v2": describe_cluster_v2,
}


def reset() -> None:
    CONNECTIONS.clear()


def install() -> None:
    """After twin_msk_config.install(): replaces GetBootstrapBrokers and DescribeCluster(V2)'s handlers (their
    backend methods keep every earlier patch) and adds ConnectivityInfo to the backend's answers."""
    kafka_urls.url_paths.update(ROUTES)
    for name, handler in HANDLERS.items():
        setattr(KafkaResponse, name, handler)

    for name in ("describe_cluster", "describe_cluster_v2"):
        inner = getattr(KafkaBackend, name)

        def wrapped(self: KafkaBackend, cluster_arn: str, _inner: Any = inner) -> Any:
            info = _inner(self, cluster_arn)
            cluster = self.clusters.get(cluster_arn)
            if cluster is None or cluster.cluster_type == "SERVERLESS":
                return info
            target = info.get("provisioned", info)
            group = target.get("brokerNodeGroupInfo")
            if isinstance(group, dict):
                # A copy: moto hands out the cluster's own dict.
                info_now = connectivity_info(connectivity_of(cluster))
                target["brokerNodeGroupInfo"] = {**group, "connectivityInfo": info_now}
            return info

        setattr(KafkaBackend, name, wrapped)

    original_create = KafkaResponse.create_cluster
    original_create_v2 = KafkaResponse.create_cluster_v2

    def create_cluster(self: KafkaResponse) -> str:
        _refuse_vpc_connectivity_at_create(self, self._get_param("brokerNodeGroupInfo"))
        return original_create(self)

    def create_cluster_v2(self: KafkaResponse) -> str:
        _refuse_vpc_connectivity_at_create(self, (self._get_param("provisioned") or {}).get("brokerNodeGroupInfo"))
        return original_create_v2(self)

    KafkaResponse.create_cluster = create_cluster  # type: ignore[method-assign]
    KafkaResponse.create_cluster_v2 = create_cluster_v2  # type: ignore[method-assign]
