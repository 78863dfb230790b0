"""MSK configurations, UpdateClusterConfiguration and its rolling restart, custom.advertised.listeners.

moto 5.2.1 has no MSK configuration or cluster-operation APIs (moto 5.2.1's source, moto/kafka). The
twin adds CreateConfiguration, DescribeConfiguration(Revision), ListConfigurations,
ListConfigurationRevisions, UpdateConfiguration, DeleteConfiguration, UpdateClusterConfiguration,
DescribeClusterOperation(V2) and ListClusterOperations(V2) with the botocore model's shapes
(kafka/2018-11-14), and validates the `custom.advertised.listeners` property as the MSK developer guide
describes it ("Configure custom domain names for your Amazon MSK cluster",
https://docs.aws.amazon.com/msk/latest/developerguide/custom-domain-names.html):
`LISTENER_NAME://hostname-pattern:port+{broker_id}`, one domain per client listener, `{broker_id}`
required in the port, a unique host:port per broker, applied by a rolling restart one broker at a time.

A rolling restart advances lazily whenever something reads the cluster or the operation: each broker's
step ends after `mskBrokerRestartMs`, or, once a driver registered for the cluster (control route
POST /_twin/msk/driver), when the driver reports it done (the testbed's driver restarts a real broker
with the step's advertised listeners). All calls run under twin_core.MOTO_LOCK.
"""

from __future__ import annotations

import base64
import binascii
import json
import random
import re
import string
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import moto.kafka.urls as kafka_urls
from moto.core.exceptions import JsonRESTError
from moto.kafka.models import FakeKafkaCluster, KafkaBackend, kafka_backends
from moto.kafka.responses import KafkaResponse

from twin_msk import _arn_from_path, _cluster, utc_iso
from twin_state import STATE

PROPERTY = "custom.advertised.listeners"
# MSK's client listeners and ports (MSK developer guide, "Port information"). The public-access ones exist
# but the twin models no public access, so applying them is refused as "not enabled on this cluster".
CLIENT_LISTENERS = {"CLIENT": 9092, "CLIENT_SECURE": 9094, "CLIENT_SASL_SCRAM": 9096, "CLIENT_IAM": 9098}
PUBLIC_LISTENERS = {"CLIENT_SECURE_PUBLIC": 9194, "CLIENT_SASL_SCRAM_PUBLIC": 9196, "CLIENT_IAM_PUBLIC": 9198}
# Resolved addresses are checked for these broker ids when a configuration is created (the cluster's own
# ids are checked when it is applied); MSK's default quota is 30 brokers per cluster.
CHECKED_BROKER_IDS = range(1, 31)

ENTRY = re.compile(r"^(?P<name>[A-Za-z0-9_]+)://(?P<host>[^:/\s]*):(?P<port>[^:/\s]*)$")
PORT = re.compile(r"^(?P<base>\d{1,5})\+\{broker_id\}$")
HOST_LABEL = re.compile(r"^(?:[A-Za-z0-9-]|\{broker_id\})+$")

OPERATION_TYPE = "UPDATE_CLUSTER_CONFIGURATION"
# UpdateConnectivity's operation (twin_msk_vpc.py) runs the same rolling restart.
CONNECTIVITY_OPERATION_TYPE = "UPDATE_CONNECTIVITY"
ACTIVE_STATES = ("PENDING", "UPDATE_IN_PROGRESS")
# Cluster ARNs whose rolling restarts wait for a driver's reports (cleared by reset()).
DRIVERS: set[str] = set()


class KafkaError(JsonRESTError):
    """An MSK error with its HTTP status (moto's kafka exceptions all answer 400)."""

    def __init__(self, code: str, message: str, status: int) -> None:
        super().__init__(code, message)
        self.code = status  # type: ignore[assignment]  # werkzeug's HTTP status


def bad_request(message: str) -> KafkaError:
    return KafkaError("BadRequestException", message, 400)


def not_found(message: str) -> KafkaError:
    return KafkaError("NotFoundException", message, 404)


def conflict(message: str) -> KafkaError:
    return KafkaError("ConflictException", message, 409)


# --- custom.advertised.listeners ------------------------------------------------------


@dataclass(frozen=True)
class ListenerTemplate:
    name: str
    host: str  # may hold {broker_id}
    base: int  # port = base + broker id

    def resolve(self, broker_id: int) -> tuple[str, int]:
        return self.host.replace("{broker_id}", str(broker_id)), self.base + broker_id


def parse_properties(text: str) -> dict[str, str]:
    """Java properties as MSK takes them: key=value (or key: value) lines, # and ! comments."""
    out: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#!":
            continue
        cut = min((i for i in (line.find("="), line.find(":")) if i >= 0), default=-1)
        if cut < 0:
            out[line] = ""
            continue
        out[line[:cut].strip()] = line[cut + 1 :].strip()
    return out


def parse_listeners(value: str) -> list[ListenerTemplate]:
    """Parses and checks the property's format, listener names and per-broker uniqueness (the MSK developer
    guide, "Configure custom domain names for your Amazon MSK cluster"); raises BadRequestException."""
    prefix = f"Invalid {PROPERTY}:"
    entries = [e.strip() for e in value.split(",")]
    if not value.strip() or any(not e for e in entries):
        raise bad_request(f"{prefix} expected LISTENER_NAME://hostname-pattern:port+{{broker_id}}[,...], got {value!r}")
    templates: list[ListenerTemplate] = []
    seen: set[str] = set()
    for entry in entries:
        match = ENTRY.match(entry)
        if not match:
            raise bad_request(f"{prefix} {entry!r} is not LISTENER_NAME://hostname-pattern:port+{{broker_id}}")
        name, host, port = match.group("name"), match.group("host"), match.group("port")
        if name not in CLIENT_LISTENERS and name not in PUBLIC_LISTENERS:
            raise bad_request(
                f"{prefix} unknown listener name {name}; the client listeners are "
                f"{', '.join([*CLIENT_LISTENERS, *PUBLIC_LISTENERS])} (internal and _VPCE listeners are MSK's)"
            )
        if name in seen:
            raise bad_request(f"{prefix} listener {name} appears more than once; each listener takes one domain")
        seen.add(name)
        if "{broker_id}" not in port:
            raise bad_request(
                f"{prefix} the port of {name} must contain {{broker_id}} (base+{{broker_id}}, e.g. 9000+{{broker_id}}) "
                f"so each broker resolves to a unique address; got {port!r}"
            )
        port_match = PORT.match(port)
        if not port_match:
            raise bad_request(f"{prefix} the port of {name} must be base+{{broker_id}}, e.g. 9000+{{broker_id}}; got {port!r}")
        if not host or not all(HOST_LABEL.match(label) for label in host.split(".")):
            raise bad_request(f"{prefix} {host!r} is not a hostname pattern (letters, digits, '-', '.', {{broker_id}})")
        base = int(port_match.group("base"))
        if base + 1 > 65535:
            raise bad_request(f"{prefix} base port {base} of {name} leaves no valid port (1-65535) for broker 1")
        templates.append(ListenerTemplate(name, host.lower(), base))
    for broker_id in CHECKED_BROKER_IDS:
        _check_unique(templates, [broker_id])
    return templates


def _check_unique(templates: list[ListenerTemplate], broker_ids: list[int]) -> None:
    owners: dict[tuple[str, int], tuple[int, str]] = {}
    for broker_id in broker_ids:
        for t in templates:
            address = t.resolve(broker_id)
            other = owners.get(address)
            if other is not None:
                where = f"{other[1]} of broker {other[0]} and {t.name} of broker {broker_id}"
                raise bad_request(
                    f"Invalid {PROPERTY}: {where} both resolve to {address[0]}:{address[1]}; "
                    "every listener of every broker needs a unique host:port"
                )
            owners[address] = (broker_id, t.name)


def listeners_of(server_properties: bytes) -> list[ListenerTemplate]:
    """The property's templates in a revision ([] when absent: MSK's default advertised listeners)."""
    props = parse_properties(server_properties.decode("utf-8", errors="replace"))
    if PROPERTY not in props:
        return []
    return parse_listeners(props[PROPERTY])


def resolve(templates: list[ListenerTemplate], broker_id: int) -> dict[str, str]:
    return {t.name: "{}:{}".format(*t.resolve(broker_id)) for t in templates}


# --- configurations ---------------------------------------------------------------------


@dataclass
class Revision:
    revision: int
    description: str | None
    server_properties: bytes
    created: str = field(default_factory=utc_iso)


@dataclass
class Configuration:
    arn: str
    name: str
    description: str | None
    kafka_versions: list[str]
    revisions: list[Revision]
    created: str = field(default_factory=utc_iso)
    state: str = "ACTIVE"

    @property
    def latest(self) -> Revision:
        return self.revisions[-1]

    def revision(self, number: int) -> Revision | None:
        return next((r for r in self.revisions if r.revision == number), None)


def _configs(backend: KafkaBackend) -> dict[str, Configuration]:
    # Kept on moto's backend, so moto's reset clears them with everything else.
    store = getattr(backend, "_twin_configurations", None)
    if store is None:
        store = {}
        backend._twin_configurations = store  # type: ignore[attr-defined]
    return store


def _config(backend: KafkaBackend, arn: str) -> Configuration:
    config = _configs(backend).get(arn)
    if config is None:
        # MSK answers BadRequestException here, not NotFoundException (Terraform's AWS provider matches
        # "Configuration ARN does not exist" to tell a deleted configuration).
        raise bad_request(f"Configuration ARN does not exist: {arn}")
    return config


def _revision_json(r: Revision) -> dict[str, Any]:
    out: dict[str, Any] = {"creationTime": r.created, "revision": r.revision}
    if r.description is not None:
        out["description"] = r.description
    return out


def _decode_properties(body: dict[str, Any]) -> bytes:
    raw = body.get("serverProperties")
    if not raw:
        raise bad_request("serverProperties is required")
    try:
        data = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise bad_request("serverProperties must be base64") from exc
    if not data.strip():
        raise bad_request("serverProperties must not be empty")
    listeners_of(data)  # format checks
    return data


def create_configuration_in(
    backend: KafkaBackend,
    name: str,
    server_properties: bytes,
    description: str | None = None,
    kafka_versions: list[str] | None = None,
) -> Configuration:
    if not name:
        raise bad_request("name is required")
    store = _configs(backend)
    if any(c.name == name for c in store.values()):
        raise conflict("A resource with this name already exists.")
    listeners_of(server_properties)
    # MSK configuration ARNs: configuration/<name>/<uuid>-<digit>.
    arn = (
        f"arn:aws:kafka:{backend.region_name}:{backend.account_id}:configuration/{name}/"
        f"{uuid.uuid4()}-{random.randint(1, 9)}"
    )
    config = Configuration(
        arn=arn,
        name=name,
        description=description,
        kafka_versions=list(kafka_versions or []),
        revisions=[Revision(1, description, server_properties)],
    )
    store[arn] = config
    return config


def _body(self: KafkaResponse) -> dict[str, Any]:
    try:
        return json.loads(self.body or "{}") or {}
    except ValueError as exc:
        raise bad_request("The request body is not JSON") from exc


def _uri(self: KafkaResponse, name: str) -> str:
    match = getattr(self, "uri_match", None)
    if match is None or name not in match.groupdict():
        raise bad_request(f"missing {name} in the path")
    return unquote(match.group(name))


def _page(self: KafkaResponse, rows: list[Any]) -> tuple[list[Any], str | None]:
    max_results = int(self._get_param("maxResults") or 100)
    if not 1 <= max_results <= 100:
        raise bad_request("maxResults must be between 1 and 100")
    token = self._get_param("nextToken")
    try:
        start = int(token or 0)
    except ValueError as exc:
        raise bad_request("The nextToken is not valid") from exc
    page = rows[start : start + max_results]
    return page, (str(start + max_results) if start + max_results < len(rows) else None)


def create_configuration(self: KafkaResponse) -> str:
    body = _body(self)
    config = create_configuration_in(
        self.kafka_backend,
        str(body.get("name") or ""),
        _decode_properties(body),
        body.get("description"),
        body.get("kafkaVersions"),
    )
    return json.dumps(
        {
            "arn": config.arn,
            "creationTime": config.created,
            "latestRevision": _revision_json(config.latest),
            "name": config.name,
            "state": config.state,
        }
    )


def _configuration_json(config: Configuration) -> dict[str, Any]:
    return {
        "arn": config.arn,
        "creationTime": config.created,
        "description": config.description or "",
        "kafkaVersions": list(config.kafka_versions),
        "latestRevision": _revision_json(config.latest),
        "name": config.name,
        "state": config.state,
    }


def describe_configuration(self: KafkaResponse) -> str:
    return json.dumps(_configuration_json(_config(self.kafka_backend, _uri(self, "arn"))))


def describe_configuration_revision(self: KafkaResponse) -> str:
    config = _config(self.kafka_backend, _uri(self, "arn"))
    raw = _uri(self, "revision")
    revision = config.revision(int(raw)) if raw.isdigit() else None
    if revision is None:
        raise bad_request(f"Revision {raw} of configuration {config.arn} does not exist")
    out = {
        "arn": config.arn,
        **_revision_json(revision),
        "serverProperties": base64.b64encode(revision.server_properties).decode(),
    }
    return json.dumps(out)


def list_configurations(self: KafkaResponse) -> str:
    rows = [_configuration_json(c) for c in _configs(self.kafka_backend).values()]
    page, token = _page(self, rows)
    return json.dumps({"configurations": page, **({"nextToken": token} if token else {})})


def list_configuration_revisions(self: KafkaResponse) -> str:
    config = _config(self.kafka_backend, _uri(self, "arn"))
    page, token = _page(self, [_revision_json(r) for r in config.revisions])
    return json.dumps({"revisions": page, **({"nextToken": token} if token else {})})


def update_configuration(self: KafkaResponse) -> str:
    config = _config(self.kafka_backend, _uri(self, "arn"))
    body = _body(self)
    revision = Revision(config.latest.revision + 1, body.get("description"), _decode_properties(body))
    config.revisions.append(revision)
    return json.dumps({"arn": config.arn, "latestRevision": _revision_json(revision)})


def delete_configuration(self: KafkaResponse) -> str:
    backend = self.kafka_backend
    config = _config(backend, _uri(self, "arn"))
    for cluster in backend.clusters.values():
        advance(cluster)
        targets = [op.target for op in _state(cluster).operations if op.state in ACTIVE_STATES]
        if (cluster.configuration_info or {}).get("arn") == config.arn or any(t and t[0] == config.arn for t in targets):
            raise bad_request(
                "Configuration is in use by one or more clusters. Dissociate the configuration from the clusters."
            )
    # MSK answers DELETING and drops it shortly after; the twin drops it at once.
    del _configs(backend)[config.arn]
    return json.dumps({"arn": config.arn, "state": "DELETING"})


# --- clusters: enabled listeners, advertised addresses, operations ----------------------------


@dataclass
class BrokerStep:
    broker_id: int
    advertised: dict[str, str]
    # Multi-VPC connectivity listeners the broker runs with after this step: scheme (iam, scram, tls) ->
    # advertised "b-<id>.<scheme>.<domain>:<14000+id>" (twin_msk_vpc.py); {} = none.
    vpc: dict[str, str] = field(default_factory=dict)
    status: str = "PENDING"  # PENDING -> IN_PROGRESS -> SUCCESS | FAILED
    mode: str | None = None  # "timed" or "driver", fixed when the step comes up
    offered: float | None = None
    started: float | None = None
    ended: float | None = None


@dataclass
class Operation:
    arn: str
    cluster_arn: str
    source: tuple[str, int] | None  # configuration (arn, revision); None = MSK's default
    target: tuple[str, int] | None
    brokers: int
    steps: list[BrokerStep]
    created_at: float = field(default_factory=time.monotonic)
    created: str = field(default_factory=utc_iso)
    client_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    state: str = "PENDING"
    ended: str | None = None
    error: dict[str, str] | None = None
    # UPDATE_CLUSTER_CONFIGURATION or UPDATE_CONNECTIVITY.
    kind: str = OPERATION_TYPE
    # UPDATE_CONNECTIVITY: the VPC connectivity schemes before and after ({"iam": bool, "scram": bool, "tls": bool}).
    connectivity: tuple[dict[str, bool], dict[str, bool]] | None = None


@dataclass
class ClusterState:
    operations: list[Operation] = field(default_factory=list)
    # broker id -> listener name -> "host:port" now in effect ({} = MSK's defaults)
    advertised: dict[int, dict[str, str]] = field(default_factory=dict)
    # broker id -> multi-VPC connectivity scheme -> advertised "host:port" now in effect ({} = none)
    vpc: dict[int, dict[str, str]] = field(default_factory=dict)
    # Multi-VPC private connectivity in effect (UpdateConnectivity; twin_msk_vpc.py)
    connectivity: dict[str, bool] = field(default_factory=lambda: {"iam": False, "scram": False, "tls": False})


def _state(cluster: FakeKafkaCluster) -> ClusterState:
    state = getattr(cluster, "_twin_config_state", None)
    if state is None:
        state = ClusterState()
        cluster._twin_config_state = state  # type: ignore[attr-defined]
    return state


def new_version() -> str:
    # MSK cluster versions look like "K3AEGXETSR30VB": changed by every update.
    return "K" + "".join(random.choice(string.ascii_uppercase + string.digits) for _ in range(13))


def broker_ids(cluster: FakeKafkaCluster) -> list[int]:
    twin = getattr(cluster, "_twin", None)
    if twin is not None:
        return sorted(int(b["id"]) for b in twin["brokers"])
    return list(range(1, int(cluster.number_of_broker_nodes or 0) + 1))


def enabled_listeners(cluster: FakeKafkaCluster) -> dict[str, int]:
    """Client listeners the cluster has, from its encryption in transit and client authentication (the same
    rules decide GetBootstrapBrokers' strings); MSK's defaults (TLS, unauthenticated) when absent."""
    if cluster.cluster_type == "SERVERLESS":
        return {}
    transit = (cluster.encryption_info or {}).get("encryptionInTransit") or {}
    client_broker = transit.get("clientBroker") or "TLS"
    auth = cluster.client_authentication
    unauth = True if not auth else bool(auth.get("unauthenticated", {}).get("enabled", False))
    auth = auth or {}
    tls_auth = bool(auth.get("tls", {}).get("enabled", False))
    out: dict[str, int] = {}
    if client_broker in ("PLAINTEXT", "TLS_PLAINTEXT") and unauth:
        out["CLIENT"] = CLIENT_LISTENERS["CLIENT"]
    if client_broker in ("TLS", "TLS_PLAINTEXT") and (unauth or tls_auth):
        out["CLIENT_SECURE"] = CLIENT_LISTENERS["CLIENT_SECURE"]
    if auth.get("sasl", {}).get("scram", {}).get("enabled"):
        out["CLIENT_SASL_SCRAM"] = CLIENT_LISTENERS["CLIENT_SASL_SCRAM"]
    if auth.get("sasl", {}).get("iam", {}).get("enabled"):
        out["CLIENT_IAM"] = CLIENT_LISTENERS["CLIENT_IAM"]
    return out


def check_for_cluster(cluster: FakeKafkaCluster, templates: list[ListenerTemplate], ids: list[int]) -> None:
    """What MSK checks when a configuration is applied: only listeners the cluster has, ports in range and
    unique addresses for the cluster's broker ids."""
    enabled = enabled_listeners(cluster)
    for t in templates:
        if t.name not in enabled:
            raise bad_request(
                f"Invalid {PROPERTY}: listener {t.name} is not enabled on this cluster; "
                f"its client listeners are {', '.join(enabled) or 'none'}"
            )
    for broker_id in ids:
        for t in templates:
            port = t.resolve(broker_id)[1]
            if not 1 <= port <= 65535:
                raise bad_request(
                    f"Invalid {PROPERTY}: {t.name} resolves to port {port} for broker {broker_id}, outside 1-65535"
                )
    _check_unique(templates, ids)


def _templates_for(backend: KafkaBackend, info: tuple[str, int] | None) -> list[ListenerTemplate]:
    if info is None:
        return []
    config = _configs(backend).get(info[0])
    revision = config.revision(info[1]) if config else None
    return listeners_of(revision.server_properties) if revision else []


def _backend_of(cluster: FakeKafkaCluster) -> KafkaBackend:
    return kafka_backends[cluster.account_id][cluster.region_name]


def _current(cluster: FakeKafkaCluster) -> tuple[str, int] | None:
    info = cluster.configuration_info or {}
    return (str(info["arn"]), int(info["revision"])) if info.get("arn") else None


def advertised_for(cluster: FakeKafkaCluster, broker_id: int) -> dict[str, str]:
    """The custom advertised listeners a broker gets under the cluster's configuration now in effect (MSK
    applies them to brokers added later too)."""
    templates = _templates_for(_backend_of(cluster), _current(cluster))
    if templates:
        check_for_cluster(cluster, templates, [*broker_ids(cluster), broker_id])
    return resolve(templates, broker_id)


def set_advertised(
    cluster: FakeKafkaCluster, broker_id: int, advertised: dict[str, str], vpc: dict[str, str] | None = None
) -> None:
    _state(cluster).advertised[broker_id] = dict(advertised)
    _state(cluster).vpc[broker_id] = dict(vpc or {})


def on_seed(backend: KafkaBackend, cluster: FakeKafkaCluster, spec: dict[str, Any] | None) -> dict[str, Any]:
    """Seeding: the starting configuration (a new one from serverProperties, an existing {arn, revision}, or
    MSK's default when absent) and the brokers' advertised listeners under it. Raises before the cluster is
    registered when the configuration does not fit the cluster."""
    cluster.current_version = new_version()
    ids = broker_ids(cluster)
    info: tuple[str, int] | None = None
    templates: list[ListenerTemplate] = []
    if spec and spec.get("arn"):
        config = _config(backend, str(spec["arn"]))
        number = int(spec.get("revision") or config.latest.revision)
        if config.revision(number) is None:
            raise ValueError(f"configuration {config.arn} has no revision {number}")
        info = (config.arn, number)
        templates = _templates_for(backend, info)
        check_for_cluster(cluster, templates, ids)
    elif spec:
        properties = str(spec.get("serverProperties") or "").encode()
        templates = listeners_of(properties)
        check_for_cluster(cluster, templates, ids)  # before the configuration exists
        name = str(spec.get("name") or f"{cluster.cluster_name}-{uuid.uuid4().hex[:6]}")
        config = create_configuration_in(backend, name, properties, spec.get("description"), spec.get("kafkaVersions"))
        info = (config.arn, 1)
    cluster.configuration_info = {"arn": info[0], "revision": info[1]} if info else None
    _state(cluster).advertised = {i: resolve(templates, i) for i in ids}
    _state(cluster).vpc = {i: {} for i in ids}
    return {
        "listeners": enabled_listeners(cluster),
        "configuration": {"arn": info[0], "revision": info[1]} if info else None,
        "currentVersion": cluster.current_version,
    }


def active_operation(cluster: FakeKafkaCluster) -> Operation | None:
    return next((op for op in _state(cluster).operations if op.state in ACTIVE_STATES), None)


def _restart_s() -> float:
    return STATE.delay_s("mskBrokerRestartMs")


def advance(cluster: FakeKafkaCluster, now: float | None = None) -> None:
    """Moves the cluster's running operation on: timed steps end after mskBrokerRestartMs each (back to back),
    driver steps wait for the driver's reports."""
    op = active_operation(cluster)
    if op is None:
        return
    now = time.monotonic() if now is None else now
    previous_end = op.created_at
    for step in op.steps:
        if step.status == "SUCCESS":
            previous_end = step.ended if step.ended is not None else previous_end
            continue
        if step.mode is None:
            step.mode = "driver" if op.cluster_arn in DRIVERS else "timed"
            # Timed steps run back to back whenever they are looked at; a driver's starts now.
            step.offered = previous_end if step.mode == "timed" else now
        if step.mode == "driver":
            return
        if step.status == "PENDING":
            step.status, step.started = "IN_PROGRESS", step.offered
            op.state = "UPDATE_IN_PROGRESS"
        assert step.started is not None
        if now < step.started + _restart_s():
            return
        _step_done(cluster, step, step.started + _restart_s())
        previous_end = step.started + _restart_s()
    _complete(cluster, op)


def _step_done(cluster: FakeKafkaCluster, step: BrokerStep, ended: float) -> None:
    step.status, step.ended = "SUCCESS", ended
    _state(cluster).advertised[step.broker_id] = dict(step.advertised)
    _state(cluster).vpc[step.broker_id] = dict(step.vpc)


def _complete(cluster: FakeKafkaCluster, op: Operation) -> None:
    op.state, op.ended = "UPDATE_COMPLETE", utc_iso()
    if op.kind == CONNECTIVITY_OPERATION_TYPE:
        import twin_msk_vpc  # imports this module

        twin_msk_vpc.connectivity_done(cluster, op)
    else:
        cluster.configuration_info = {"arn": op.target[0], "revision": op.target[1]} if op.target else None
    cluster.state = "ACTIVE"


def _fail(cluster: FakeKafkaCluster, op: Operation, step: BrokerStep, message: str) -> None:
    # MSK halts the rollout at the failing broker; the cluster goes back to ACTIVE on its old configuration.
    step.status = "FAILED"
    op.state, op.ended = "UPDATE_FAILED", utc_iso()
    op.error = {"errorCode": "BROKER_RESTART_FAILED", "errorString": f"Broker {step.broker_id}: {message}"}
    cluster.state = "ACTIVE"


def update_cluster_configuration(self: KafkaResponse) -> str:
    backend = self.kafka_backend
    cluster = _cluster(backend, _arn_from_path(self, "/configuration"))
    if cluster.cluster_type == "SERVERLESS":
        raise bad_request("This operation cannot be performed on serverless clusters.")
    advance(cluster)
    body = _body(self)
    info = body.get("configurationInfo") or {}
    if not info.get("arn") or info.get("revision") is None or not body.get("currentVersion"):
        raise bad_request("configurationInfo (arn, revision) and currentVersion are required")
    if cluster.state != "ACTIVE":
        raise bad_request(
            f"The cluster is in {cluster.state} state. You can update it only when it is ACTIVE."
        )
    if body["currentVersion"] != cluster.current_version:
        raise bad_request("The version of the cluster isn\u2019t current. Check the current version and try again.")
    config = _configs(backend).get(str(info["arn"]))
    if config is None:
        raise bad_request("Invalid Configuration ARN.")
    revision = config.revision(int(info["revision"]))
    if revision is None:
        raise bad_request(f"Revision {info['revision']} of configuration {config.arn} does not exist")
    if config.kafka_versions and cluster.kafka_version not in config.kafka_versions:
        raise bad_request(
            f"The configuration supports Apache Kafka versions {', '.join(config.kafka_versions)}; "
            f"the cluster runs {cluster.kafka_version}"
        )
    ids = broker_ids(cluster)
    templates = listeners_of(revision.server_properties)
    check_for_cluster(cluster, templates, ids)

    op = Operation(
        arn=cluster.arn.replace(":cluster/", ":cluster-operation/", 1) + f"/{uuid.uuid4()}",
        cluster_arn=cluster.arn,
        source=_current(cluster),
        target=(config.arn, revision.revision),
        brokers=len(ids),
        # One broker at a time, in broker id order.
        # Brokers keep their multi-VPC connectivity listeners through the restart.
        steps=[BrokerStep(i, resolve(templates, i), dict(_state(cluster).vpc.get(i, {}))) for i in ids],
    )
    _state(cluster).operations.append(op)
    cluster.state = "UPDATING"
    cluster.current_version = new_version()
    advance(cluster)
    return json.dumps({"clusterArn": cluster.arn, "clusterOperationArn": op.arn})


def _cluster_info(op: Operation, which: tuple[str, int] | None, target: bool = False) -> dict[str, Any]:
    if op.kind == CONNECTIVITY_OPERATION_TYPE and op.connectivity is not None:
        import twin_msk_vpc  # imports this module

        # MutableClusterInfo.ConnectivityInfo, before and after.
        return {"connectivityInfo": twin_msk_vpc.connectivity_info(op.connectivity[1 if target else 0])}
    out: dict[str, Any] = {"numberOfBrokerNodes": op.brokers}
    if which:
        out["configurationInfo"] = {"arn": which[0], "revision": which[1]}
    return out


def _steps_json(op: Operation) -> list[dict[str, Any]]:
    # MSK reports coarse steps, not one per broker.
    brokers = "PENDING"
    if op.state == "UPDATE_IN_PROGRESS":
        brokers = "IN_PROGRESS"
    elif op.state == "UPDATE_COMPLETE":
        brokers = "SUCCESS"
    elif op.state == "UPDATE_FAILED":
        brokers = "FAILED"
    steps = [
        ("INITIALIZE_UPDATE", "IN_PROGRESS" if op.state == "PENDING" else "SUCCESS"),
        ("UPDATE_APACHE_KAFKA_BROKERS", brokers),
        ("FINALIZE_UPDATE", "SUCCESS" if op.state == "UPDATE_COMPLETE" else "PENDING"),
    ]
    return [{"stepInfo": {"stepStatus": status}, "stepName": name} for name, status in steps]


def _operation_v1(op: Operation) -> dict[str, Any]:
    out: dict[str, Any] = {
        "clientRequestId": op.client_request_id,
        "clusterArn": op.cluster_arn,
        "creationTime": op.created,
        "operationArn": op.arn,
        "operationState": op.state,
        "operationSteps": _steps_json(op),
        "operationType": op.kind,
        "sourceClusterInfo": _cluster_info(op, op.source),
        "targetClusterInfo": _cluster_info(op, op.target, target=True),
    }
    if op.ended:
        out["endTime"] = op.ended
    if op.error:
        out["errorInfo"] = dict(op.error)
    return out


def _summary_v2(op: Operation) -> dict[str, Any]:
    out: dict[str, Any] = {
        "clusterArn": op.cluster_arn,
        "clusterType": "PROVISIONED",
        "operationArn": op.arn,
        "operationState": op.state,
        "operationType": op.kind,
        "startTime": op.created,
    }
    if op.ended:
        out["endTime"] = op.ended
    return out


def _operation_v2(op: Operation) -> dict[str, Any]:
    out = _summary_v2(op)
    if op.error:
        out["errorInfo"] = dict(op.error)
    out["provisioned"] = {
        "operationSteps": _steps_json(op),
        "sourceClusterInfo": _cluster_info(op, op.source),
        "targetClusterInfo": _cluster_info(op, op.target, target=True),
    }
    return out


def find_operation(backend: KafkaBackend, arn: str) -> tuple[FakeKafkaCluster, Operation]:
    for cluster in backend.clusters.values():
        for op in _state(cluster).operations:
            if op.arn == arn:
                advance(cluster)
                return cluster, op
    raise not_found(f"The specified cluster operation was not found: {arn}")


def describe_cluster_operation(self: KafkaResponse) -> str:
    _, op = find_operation(self.kafka_backend, _uri(self, "clusterOperationArn"))
    return json.dumps({"clusterOperationInfo": _operation_v1(op)})


def describe_cluster_operation_v2(self: KafkaResponse) -> str:
    _, op = find_operation(self.kafka_backend, _uri(self, "clusterOperationArn"))
    return json.dumps({"clusterOperationInfo": _operation_v2(op)})


def _operations_newest_first(self: KafkaResponse, suffix: str) -> list[Operation]:
    cluster = _cluster(self.kafka_backend, _arn_from_path(self, suffix))
    advance(cluster)
    return list(reversed(_state(cluster).operations))


def list_cluster_operations(self: KafkaResponse) -> str:
    page, token = _page(self, [_operation_v1(op) for op in _operations_newest_first(self, "/operations")])
    return json.dumps({"clusterOperationInfoList": page, **({"nextToken": token} if token else {})})


def list_cluster_operations_v2(self: KafkaResponse) -> str:
    page, token = _page(self, [_summary_v2(op) for op in _operations_newest_first(self, "/operations")])
    return json.dumps({"clusterOperationInfoList": page, **({"nextToken": token} if token else {})})


# --- control routes (launcher.py): the driver protocol -------------------------------------------


def _cluster_by_arn(arn: str) -> FakeKafkaCluster:
    parts = arn.split(":")
    if len(parts) < 6 or parts[2] != "kafka":
        raise ValueError(f"not an MSK cluster ARN: {arn}")
    cluster = kafka_backends[parts[4]][parts[3]].clusters.get(arn)
    if cluster is None:
        raise ValueError(f"no MSK cluster {arn}")
    return cluster


def register_driver(body: dict[str, Any]) -> dict[str, Any]:
    arn = str(body["clusterArn"])
    _cluster_by_arn(arn)
    DRIVERS.add(arn)
    return {"clusterArn": arn, "driver": True}


def unregister_driver(body: dict[str, Any]) -> dict[str, Any]:
    arn = str(body["clusterArn"])
    DRIVERS.discard(arn)
    try:
        cluster = _cluster_by_arn(arn)
    except ValueError:
        return {"clusterArn": arn, "driver": False}  # gone already (a reset)
    op = active_operation(cluster)
    if op is not None:
        # A step left waiting for the driver goes on by the clock from now.
        now = time.monotonic()
        for step in op.steps:
            if step.mode == "driver" and step.status in ("PENDING", "IN_PROGRESS"):
                step.mode, step.status, step.started = "timed", "IN_PROGRESS", now
                op.state = "UPDATE_IN_PROGRESS"
        advance(cluster)
    return {"clusterArn": arn, "driver": False}


def _step_json(op: Operation, step: BrokerStep) -> dict[str, Any]:
    return {
        "clusterArn": op.cluster_arn,
        "operationArn": op.arn,
        "brokerId": step.broker_id,
        "advertised": dict(step.advertised),
        # Present only when the broker has multi-VPC connectivity listeners after the step.
        **({"vpcListeners": dict(step.vpc)} if step.vpc else {}),
        "status": step.status,
        "index": op.steps.index(step),
        "total": len(op.steps),
    }


def pending_restarts(query: dict[str, str]) -> dict[str, Any]:
    cluster = _cluster_by_arn(str(query["clusterArn"]))
    advance(cluster)
    op = active_operation(cluster)
    steps = [] if op is None else [s for s in op.steps if s.mode == "driver" and s.status in ("PENDING", "IN_PROGRESS")]
    return {"restarts": [_step_json(op, s) for s in steps] if op else []}


def report_restart(body: dict[str, Any]) -> dict[str, Any]:
    op_arn, broker_id, status = str(body["operationArn"]), int(body["brokerId"]), str(body["status"])
    if status not in ("started", "done", "failed"):
        raise ValueError("status must be started, done or failed")
    parts = op_arn.split(":")
    if len(parts) < 6:
        raise ValueError(f"not an MSK cluster operation ARN: {op_arn}")
    cluster, op = find_operation(kafka_backends[parts[4]][parts[3]], op_arn)
    step = next((s for s in op.steps if s.broker_id == broker_id), None)
    if op.state not in ACTIVE_STATES or step is None or step.mode != "driver" or step.status not in ("PENDING", "IN_PROGRESS"):
        raise ValueError(f"operation {op_arn} is not waiting for broker {broker_id} (state {op.state})")
    if status in ("started", "done") and step.status == "PENDING":
        step.status, step.started = "IN_PROGRESS", time.monotonic()
        op.state = "UPDATE_IN_PROGRESS"
    if status == "done":
        _step_done(cluster, step, time.monotonic())
        advance(cluster)
    elif status == "failed":
        _fail(cluster, op, step, str(body.get("message") or "the broker did not come back"))
    return {"operationArn": op.arn, "operationState": op.state, "step": _step_json(op, step)}


def advertised_query(query: dict[str, str]) -> dict[str, Any]:
    cluster = _cluster_by_arn(str(query["clusterArn"]))
    ids = broker_ids(cluster)
    broker_id = int(query.get("brokerId") or (max(ids, default=0) + 1))
    advance(cluster)
    import twin_msk_vpc  # imports this module

    out: dict[str, Any] = {
        "brokerId": broker_id,
        "advertised": advertised_for(cluster, broker_id),
        "configuration": cluster.configuration_info or None,
        # What each broker runs with now, as far as the twin knows (a failed restart leaves a mix).
        "brokers": {str(i): a for i, a in sorted(_state(cluster).advertised.items())},
    }
    # Multi-VPC connectivity listeners, present only while some are on: what the broker would get under the
    # connectivity in effect (a broker added later gets them), and what each broker runs with now.
    vpc = twin_msk_vpc.vpc_listeners_for(cluster, broker_id)
    if vpc:
        out["vpcListeners"] = vpc
    if any(_state(cluster).vpc.values()):
        out["brokersVpc"] = {str(i): a for i, a in sorted(_state(cluster).vpc.items())}
    return out


def reset() -> None:
    DRIVERS.clear()


# --- install ------------------------------------------------------------------------------


ROUTES = {
    # ARNs in the path arrive URL-decoded in PATH_INFO (slashes included), hence ".+"; the action is matched
    # on the raw (encoded) path by moto against the botocore model.
    "{0}/v1/configurations$": KafkaResponse.dispatch,
    "{0}/v1/configurations/(?P<arn>.+)$": KafkaResponse.dispatch,
    "{0}/v1/operations/(?P<clusterOperationArn>.+)$": KafkaResponse.dispatch,
    "{0}/api/v2/operations/(?P<clusterOperationArn>.+)$": KafkaResponse.dispatch,
}

HANDLERS = {
    "create_configuration": create_configuration,
    "describe_configuration": describe_configuration,
    "describe_configuration_revision": describe_configuration_revision,
    "list_configurations": list_configurations,
    "list_configuration_revisions": list_configuration_revisions,
    "update_configuration": update_configuration,
    "delete_configuration": delete_configuration,
    "update_cluster_configuration": update_cluster_configuration,
    "describe_cluster_operation": describe_cluster_operation,
    "describe_cluster_operation_v2": describe_cluster_operation_v2,
    "list_cluster_operations": list_cluster_operations,
    "list_cluster_operations_v2": list_cluster_operations_v2,
}


def install() -> None:
    """After twin_msk.install(): wraps its DescribeCluster(V2) and ListClusters patches."""
    # Routes must be in moto's url_paths before the kafka flask app is built (warm()).
    kafka_urls.url_paths.update(ROUTES)
    for name, handler in HANDLERS.items():
        setattr(KafkaResponse, name, handler)

    for name in ("describe_cluster", "describe_cluster_v2"):
        inner = getattr(KafkaBackend, name)

        def wrapped(self: KafkaBackend, cluster_arn: str, _inner: Any = inner) -> Any:
            cluster = self.clusters.get(cluster_arn)
            if cluster is not None:
                advance(cluster)
            info = _inner(self, cluster_arn)
            if cluster is None:
                return info
            software = info.get("provisioned", info).get("currentBrokerSoftwareInfo")
            if software is not None:
                # moto fills in "string"/1 for a cluster on MSK's default configuration; MSK leaves them out.
                software.pop("configurationArn", None)
                software.pop("configurationRevision", None)
                current = _current(cluster)
                if current:
                    software["configurationArn"], software["configurationRevision"] = current
            op = active_operation(cluster)
            if op is not None:
                info["activeOperationArn"] = op.arn
            return info

        setattr(KafkaBackend, name, wrapped)

    inner_list = KafkaBackend.list_clusters

    def list_clusters(self: KafkaBackend, *args: Any, **kwargs: Any) -> Any:
        for cluster in self.clusters.values():
            advance(cluster)
        return inner_list(self, *args, **kwargs)

    KafkaBackend.list_clusters = list_clusters  # type: ignore[method-assign]
