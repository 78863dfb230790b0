"""MSK gaps: ListNodes, GetBootstrapBrokers, SDK-parsable timestamps, ACTIVE state, seeding, added brokers.

moto 5.2.1 has no ListNodes/GetBootstrapBrokers, writes creationTime without a time zone
(AWS SDK v3 rejects it) and leaves clusters CREATING (moto 5.2.1's source). Configurations and
UpdateClusterConfiguration are in twin_msk_config.py.
"""

from __future__ import annotations

import json
import random
import string
import time
import uuid
from datetime import datetime, timezone
from typing import Any
from urllib.parse import unquote

from moto.kafka.exceptions import BadRequestException, NotFoundException
from moto.kafka.models import FakeKafkaCluster, KafkaBackend, kafka_backends
from moto.kafka.responses import KafkaResponse

from twin_state import STATE

# MSK client ports (MSK developer guide, "Port information"): plaintext, TLS, SASL/SCRAM, IAM.
PORT_PLAINTEXT, PORT_TLS, PORT_SCRAM, PORT_IAM = 9092, 9094, 9096, 9098


def utc_iso(dt: datetime | None = None) -> str:
    """ISO 8601 with milliseconds and Z, as MSK answers and SDK v3 parses."""
    dt = dt or datetime.now(timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def _short_id() -> str:
    return "".join(random.choice(string.ascii_lowercase + string.digits) for _ in range(6))


def _cluster(backend: KafkaBackend, arn: str) -> FakeKafkaCluster:
    cluster = backend.clusters.get(arn)
    if cluster is None:
        raise NotFoundException(f"The specified cluster was not found: {arn}")
    _maybe_activate(cluster)
    return cluster


def _maybe_activate(cluster: FakeKafkaCluster) -> None:
    # Clusters created through the API go CREATING -> ACTIVE after the MSK delay.
    created = getattr(cluster, "_twin_created", None)
    if cluster.state == "CREATING" and created is not None:
        if time.monotonic() - created >= STATE.delay_s("mskActiveMs"):
            cluster.state = "ACTIVE"


def _arn_from_path(response: KafkaResponse, suffix: str) -> str:
    match = getattr(response, "uri_match", None)
    if match is not None and "clusterArn" in match.groupdict():
        return unquote(match.group("clusterArn"))
    path = response.raw_path
    return unquote(path.split("/clusters/", 1)[-1].removesuffix(suffix))


# --- seeding -----------------------------------------------------------------


def seed_cluster(spec: dict[str, Any]) -> dict[str, Any]:
    account = str(spec.get("account", "111111111111"))
    region = str(spec.get("region", "us-east-1"))
    name = str(spec["clusterName"])
    serverless = bool(spec.get("serverless", False))
    backend: KafkaBackend = kafka_backends[account][region]

    mode = str(spec.get("metadataMode", "ZOOKEEPER")).upper()
    version = str(spec.get("kafkaVersion", "3.9.x"))
    # KRaft clusters say so in the version string, e.g. "3.7.x.kraft" (MSK developer guide, "KRaft mode").
    if mode == "KRAFT" and not version.endswith(".kraft"):
        version += ".kraft"
    broker_type = str(spec.get("brokerType", "standard")).lower()
    if broker_type not in ("standard", "express"):
        raise ValueError("brokerType must be standard or express")
    instance_type = str(
        spec.get("instanceType", "express.m7g.large" if broker_type == "express" else "kafka.m5.large")
    )
    short = str(spec.get("shortId") or _short_id())
    cell = int(spec.get("cell", 2))
    brokers_in = list(spec.get("brokers", []))
    if not serverless and not brokers_in:
        raise ValueError("a provisioned cluster needs brokers")

    client_broker = str(spec.get("clientBroker", "TLS_PLAINTEXT"))
    auth_in = spec.get("auth", {}) or {}
    auth = {
        "sasl": {
            "scram": {"enabled": bool(auth_in.get("scram", False))},
            "iam": {"enabled": bool(auth_in.get("iam", serverless))},
        },
        "tls": {"enabled": bool(auth_in.get("tls", False))},
        "unauthenticated": {"enabled": bool(auth_in.get("unauthenticated", not serverless))},
    }

    brokers = []
    for entry in brokers_in:
        broker_id = int(entry["id"])
        endpoint = entry.get("endpoint") or f"b-{broker_id}.{name}.{short}.c{cell}.kafka.{region}.amazonaws.com"
        brokers.append(
            {
                "id": broker_id,
                "endpoint": endpoint,
                "clientVpcIp": str(entry["clientVpcIp"]),
                "clientSubnet": str(entry["clientSubnet"]),
                "eniId": entry.get("eniId") or f"eni-{uuid.uuid4().hex[:17]}",
            }
        )

    cluster = FakeKafkaCluster(
        cluster_name=name,
        account_id=account,
        region_name=region,
        cluster_type="SERVERLESS" if serverless else "PROVISIONED",
        tags=spec.get("tags") or {},
        broker_node_group_info=None
        if serverless
        else {
            "brokerAZDistribution": "DEFAULT",
            "clientSubnets": sorted({b["clientSubnet"] for b in brokers}),
            "instanceType": instance_type,
            "securityGroups": list(spec.get("securityGroups", [])),
            "storageInfo": {"ebsStorageInfo": {"volumeSize": 100}},
        },
        kafka_version=None if serverless else version,
        number_of_broker_nodes=None if serverless else len(brokers),
        serverless_config={
            "vpcConfigs": [
                {
                    "subnetIds": list(spec.get("subnets", [])),
                    "securityGroupIds": list(spec.get("securityGroups", [])),
                }
            ],
            "clientAuthentication": {"sasl": {"iam": {"enabled": True}}},
        }
        if serverless
        else None,
        encryption_info=None
        if serverless
        else {"encryptionInTransit": {"clientBroker": client_broker, "inCluster": True}},
        client_authentication=None if serverless else auth,
        state=str(spec.get("state", "ACTIVE")),
        zookeeper_connect_string=None
        if mode == "KRAFT" or serverless
        else ",".join(f"z-{i}.{name}.{short}.c{cell}.kafka.{region}.amazonaws.com:2181" for i in (1, 2, 3)),
        zookeeper_connect_string_tls=None
        if mode == "KRAFT" or serverless
        else ",".join(f"z-{i}.{name}.{short}.c{cell}.kafka.{region}.amazonaws.com:2182" for i in (1, 2, 3)),
    )
    # MSK ARNs carry the cluster name and a UUID with a revision suffix.
    kind = "serverless-cluster" if serverless else "cluster"
    cluster.cluster_id = f"{uuid.uuid4()}-{cell}"
    cluster.arn = f"arn:aws:kafka:{region}:{account}:{kind}/{name}/{cluster.cluster_id}"
    cluster._twin = {  # type: ignore[attr-defined]
        "brokers": brokers,
        "brokerType": broker_type,
        "metadataMode": mode,
        "instanceType": instance_type,
        "clientBroker": client_broker,
        "short": short,
        "cell": cell,
        "bootstrap": spec.get("bootstrap"),
    }
    extra: dict[str, Any] = {}
    if not serverless:
        import twin_msk_config  # imports this module

        # The starting configuration (MSK's default when absent); refused before the cluster exists.
        extra = twin_msk_config.on_seed(backend, cluster, spec.get("configuration"))
    backend.clusters[cluster.arn] = cluster
    if spec.get("tags"):
        backend.tag_resource(cluster.arn, dict(spec["tags"]))
    return {"clusterArn": cluster.arn, "brokers": brokers, **extra}


def move_broker(spec: dict[str, Any]) -> dict[str, Any]:
    """A broker whose client IP changed: MSK replaced its node (same id and DNS name, a new network
    interface). AWS advises clients to use the brokers' DNS names because their IPs can change
    (MSK developer guide, "Get the bootstrap brokers"); ListNodes then reports the new address."""
    arn = str(spec["clusterArn"])
    parts = arn.split(":")
    backend: KafkaBackend = kafka_backends[parts[4]][parts[3]]
    cluster = _cluster(backend, arn)
    twin = getattr(cluster, "_twin", None)
    broker_id = int(spec["brokerId"])
    for b in (twin or {}).get("brokers", []):
        if b["id"] == broker_id:
            b["clientVpcIp"] = str(spec["clientVpcIp"])
            b["eniId"] = f"eni-{uuid.uuid4().hex[:17]}"
            return {"brokerId": broker_id, "clientVpcIp": b["clientVpcIp"], "eniId": b["eniId"]}
    raise ValueError(f"cluster {arn} has no broker {broker_id}")


def add_broker(spec: dict[str, Any]) -> dict[str, Any]:
    """A broker added to a seeded cluster (the end state of MSK's UpdateBrokerCount): ListNodes and
    NumberOfBrokerNodes grow, the broker lands in the subnet with the fewest brokers (the seeding's round
    robin) and gets the custom advertised listeners of the cluster's configuration, as MSK gives brokers
    added later (MSK developer guide, "Configure custom domain names for your Amazon MSK cluster")."""
    import twin_msk_config  # imports this module

    arn = str(spec["clusterArn"])
    parts = arn.split(":")
    backend: KafkaBackend = kafka_backends[parts[4]][parts[3]]
    cluster = _cluster(backend, arn)
    twin = getattr(cluster, "_twin", None)
    if twin is None or cluster.cluster_type == "SERVERLESS":
        raise ValueError(f"cluster {arn} is not a seeded provisioned cluster")
    twin_msk_config.advance(cluster)
    if cluster.state != "ACTIVE":
        raise ValueError(f"cluster {arn} is {cluster.state}; MSK adds brokers only to an ACTIVE cluster")
    brokers = twin["brokers"]
    broker_id = int(spec.get("brokerId") or max((b["id"] for b in brokers), default=0) + 1)
    if any(b["id"] == broker_id for b in brokers):
        raise ValueError(f"cluster {arn} already has broker {broker_id}")
    subnet = spec.get("clientSubnet")
    if not subnet:
        order = list(dict.fromkeys(b["clientSubnet"] for b in brokers))
        subnet = min(order, key=lambda s: (sum(b["clientSubnet"] == s for b in brokers), order.index(s)))
    advertised = twin_msk_config.advertised_for(cluster, broker_id)
    region = cluster.region_name
    broker = {
        "id": broker_id,
        "endpoint": spec.get("endpoint")
        or f"b-{broker_id}.{cluster.cluster_name}.{twin['short']}.c{twin['cell']}.kafka.{region}.amazonaws.com",
        "clientVpcIp": str(spec["clientVpcIp"]),
        "clientSubnet": str(subnet),
        "eniId": spec.get("eniId") or f"eni-{uuid.uuid4().hex[:17]}",
        "added": utc_iso(),
    }
    brokers.append(broker)
    cluster.number_of_broker_nodes = len(brokers)
    group = cluster.broker_node_group_info or {}
    group["clientSubnets"] = sorted({b["clientSubnet"] for b in brokers})
    cluster.current_version = twin_msk_config.new_version()
    import twin_msk_vpc  # imports this module

    # With multi-VPC private connectivity on, the new broker gets its listeners too (twin_msk_vpc.py).
    vpc = twin_msk_vpc.vpc_listeners_for(cluster, broker_id)
    twin_msk_config.set_advertised(cluster, broker_id, advertised, vpc)
    return {
        **{k: v for k, v in broker.items() if k != "added"},
        "advertised": advertised,
        **({"vpcListeners": vpc} if vpc else {}),
    }


# --- answers -----------------------------------------------------------------


def bootstrap_strings(cluster: FakeKafkaCluster) -> dict[str, str]:
    twin = getattr(cluster, "_twin", None)
    if twin is None:
        return {}
    if twin.get("bootstrap"):
        return dict(twin["bootstrap"])
    if cluster.cluster_type == "SERVERLESS":
        host = f"boot-{twin['short']}.c{twin['cell']}.kafka-serverless.{cluster.region_name}.amazonaws.com"
        return {"bootstrapBrokerStringSaslIam": f"{host}:{PORT_IAM}"}

    def joined(port: int) -> str:
        return ",".join(f"{b['endpoint']}:{port}" for b in twin["brokers"])

    out: dict[str, str] = {}
    auth = cluster.client_authentication or {}
    unauth = auth.get("unauthenticated", {}).get("enabled", False)
    tls_auth = auth.get("tls", {}).get("enabled", False)
    client_broker = twin["clientBroker"]
    if client_broker in ("PLAINTEXT", "TLS_PLAINTEXT") and unauth:
        out["bootstrapBrokerString"] = joined(PORT_PLAINTEXT)
    if client_broker in ("TLS", "TLS_PLAINTEXT") and (unauth or tls_auth):
        out["bootstrapBrokerStringTls"] = joined(PORT_TLS)
    if auth.get("sasl", {}).get("scram", {}).get("enabled"):
        out["bootstrapBrokerStringSaslScram"] = joined(PORT_SCRAM)
    if auth.get("sasl", {}).get("iam", {}).get("enabled"):
        out["bootstrapBrokerStringSaslIam"] = joined(PORT_IAM)
    return out


def _node_infos(cluster: FakeKafkaCluster) -> list[dict[str, Any]]:
    twin = getattr(cluster, "_twin", None)
    if twin is None:
        return []
    nodes = []
    for b in twin["brokers"]:
        nodes.append(
            {
                "addedToClusterTime": b.get("added", cluster.creation_time),
                "brokerNodeInfo": {
                    "attachedENIId": b["eniId"],
                    "brokerId": float(b["id"]),
                    "clientSubnet": b["clientSubnet"],
                    "clientVpcIpAddress": b["clientVpcIp"],
                    "currentBrokerSoftwareInfo": {"kafkaVersion": cluster.kafka_version},
                    "endpoints": [b["endpoint"]],
                },
                "instanceType": twin["instanceType"],
                "nodeARN": f"arn:aws:kafka:{cluster.region_name}:{cluster.account_id}:broker/"
                f"{cluster.cluster_name}/{cluster.cluster_id}/{b['id']}",
                "nodeType": "BROKER",
            }
        )
    return nodes


def list_nodes(self: KafkaResponse) -> str:
    cluster = _cluster(self.kafka_backend, _arn_from_path(self, "/nodes"))
    if cluster.cluster_type == "SERVERLESS":
        raise BadRequestException("This operation cannot be performed on serverless clusters.")
    nodes = _node_infos(cluster)
    max_results = int(self._get_param("maxResults") or 100)
    start = int(self._get_param("nextToken") or 0)
    page = nodes[start : start + max_results]
    body: dict[str, Any] = {"nodeInfoList": page}
    if start + max_results < len(nodes):
        body["nextToken"] = str(start + max_results)
    return json.dumps(body)


def get_bootstrap_brokers(self: KafkaResponse) -> str:
    cluster = _cluster(self.kafka_backend, _arn_from_path(self, "/bootstrap-brokers"))
    return json.dumps(bootstrap_strings(cluster))


def install() -> None:
    KafkaResponse.list_nodes = list_nodes  # type: ignore[attr-defined]
    KafkaResponse.get_bootstrap_brokers = get_bootstrap_brokers  # type: ignore[attr-defined]

    original_init = FakeKafkaCluster.__init__

    def init(self: FakeKafkaCluster, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        self.creation_time = utc_iso()
        self._twin_created = time.monotonic()  # type: ignore[attr-defined]

    FakeKafkaCluster.__init__ = init  # type: ignore[method-assign]

    for name in ("describe_cluster", "describe_cluster_v2"):
        original = getattr(KafkaBackend, name)

        def wrapped(self: KafkaBackend, cluster_arn: str, _orig: Any = original) -> Any:
            cluster = _cluster(self, cluster_arn)
            info = _orig(self, cluster_arn)
            twin = getattr(cluster, "_twin", None)
            if twin is not None and twin["metadataMode"] == "KRAFT":
                target = info.get("provisioned", info)
                target.pop("zookeeperConnectString", None)
                target.pop("zookeeperConnectStringTls", None)
            # moto invents an activeOperationArn; AWS omits it when nothing is running.
            info.pop("activeOperationArn", None)
            return info

        setattr(KafkaBackend, name, wrapped)

    # moto ignores the list filters; MSK treats clusterNameFilter as a name prefix.
    original_list = KafkaBackend.list_clusters
    original_list_v2 = KafkaBackend.list_clusters_v2

    def list_clusters(self: KafkaBackend, cluster_name_filter: str | None, *args: Any, **kwargs: Any) -> Any:
        for cluster in self.clusters.values():
            _maybe_activate(cluster)
        rows = original_list(self, cluster_name_filter, *args, **kwargs)
        return [r for r in rows if r["clusterName"].startswith(cluster_name_filter or "")]

    def list_clusters_v2(
        self: KafkaBackend, cluster_name_filter: str | None, cluster_type_filter: str | None, *args: Any, **kwargs: Any
    ) -> Any:
        rows, token = original_list_v2(self, cluster_name_filter, cluster_type_filter, *args, **kwargs)
        rows = [
            r
            for r in rows
            if r["clusterName"].startswith(cluster_name_filter or "")
            and (not cluster_type_filter or r["clusterType"] == cluster_type_filter)
        ]
        return rows, token

    KafkaBackend.list_clusters = list_clusters  # type: ignore[method-assign]
    KafkaBackend.list_clusters_v2 = list_clusters_v2  # type: ignore[method-assign]
