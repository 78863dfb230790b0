"""Shared state of the AWS twin: delays, throttling buckets, faults, latency, call counters.

Everything here is process-wide and guarded by one lock; moto's own state lives in moto.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any

LOCK = threading.RLock()

# Default provisioning delays (ms). Real AWS takes minutes (observed: an NLB a few minutes, an
# endpoint about 2 minutes after acceptance; a Route 53 change within 60 s per the Route 53
# developer guide, "Editing records"); the twin keeps the same state sequence but compresses
# the wait.
DEFAULT_DELAYS_MS: dict[str, int] = {
    "nlbActiveMs": 300,  # ELBv2 load balancer provisioning -> active
    "endpointAvailableMs": 300,  # EC2 interface endpoint pending -> available
    "endpointDeleteMs": 300,  # EC2 endpoint deleting -> gone from describe
    "route53ChangeMs": 300,  # Route 53 change PENDING -> INSYNC
    "mskActiveMs": 300,  # MSK cluster created through the API: CREATING -> ACTIVE
    "resourceGatewayActiveMs": 300,  # VPC Lattice resource gateway CREATE_IN_PROGRESS -> ACTIVE
    "lambdaActiveMs": 300,  # Lambda function Pending -> Active (VPC functions: seconds to a minute)
    "lambdaEniReleaseMs": 1000,  # a deleted VPC function's network interfaces in use -> deleted
    "mskBrokerRestartMs": 300,  # one broker's restart in an MSK rolling restart when no driver does it
    "mskVpcConnectionMs": 300,  # MSK managed VPC connection CREATING -> AVAILABLE, REJECTING -> REJECTED, DELETING -> gone
    "secretDeleteMs": 300,  # a secret force-deleted (no recovery window): its name taken -> free (twin_secrets.py)
    "schedulerMinuteMs": 60000,  # one minute of a rate() schedule when auto-firing (twin_scheduler.py)
}

# Token buckets per account, region and API family: (burst, refill per second).
# Sources: https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html,
# https://docs.aws.amazon.com/elasticloadbalancing/latest/userguide/elb-api-throttling.html,
# https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/throttling-api-requests.html.
# No per-API token buckets are known for VPC Lattice or RAM (the VPC Lattice quotas page lists
# resource quotas only), so their calls are throttled here only when a fault asks for it.
BUCKETS: dict[str, tuple[float, float]] = {
    "ec2-endpoint": (4, 0.3),  # CreateVpcEndpoint / DeleteVpcEndpoints / ModifyVpcEndpoint
    "ec2-endpoint-service": (10, 1),  # endpoint-service create/delete/modify, accept/reject
    "ec2-mutating": (50, 5),  # other EC2 mutating calls
    "ec2-describe": (100, 20),  # EC2 Describe*
    "elbv2-describe": (40, 10),  # ELBv2 Describe*
    # Route 53 since 2026-07-30: all requests of an account, GetChange included, 50 burst and 10 a
    # second (Route 53 developer guide, "Throttling for Amazon Route 53 API requests"; 5 a second
    # before). Its per-action buckets and its change-throughput bucket are not modelled.
    "route53": (50, 10),
}

EC2_ENDPOINT_ACTIONS = {"CreateVpcEndpoint", "DeleteVpcEndpoints", "ModifyVpcEndpoint"}
EC2_ENDPOINT_SERVICE_ACTIONS = {
    "CreateVpcEndpointServiceConfiguration",
    "DeleteVpcEndpointServiceConfigurations",
    "ModifyVpcEndpointServiceConfiguration",
    "ModifyVpcEndpointServicePermissions",
    "AcceptVpcEndpointConnections",
    "RejectVpcEndpointConnections",
}

READ_PREFIXES = ("Describe", "List", "Get")


def is_mutating(action: str) -> bool:
    return not action.startswith(READ_PREFIXES)


def bucket_family(service: str, action: str) -> str | None:
    if service == "ec2":
        if action in EC2_ENDPOINT_ACTIONS:
            return "ec2-endpoint"
        if action in EC2_ENDPOINT_SERVICE_ACTIONS:
            return "ec2-endpoint-service"
        if action.startswith("Describe"):
            return "ec2-describe"
        return "ec2-mutating"
    if service == "elbv2" and action.startswith("Describe"):
        return "elbv2-describe"
    if service == "route53":
        return "route53"
    return None


@dataclass
class Bucket:
    burst: float
    rate: float
    tokens: float
    stamp: float

    def take(self, now: float) -> bool:
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


@dataclass
class Rule:
    """A fault or latency rule. Matches on service/action/account ("*" or missing = any)."""

    service: str
    action: str
    account: str
    count: int | None  # remaining hits; None = unlimited
    probability: float
    payload: dict[str, Any] = field(default_factory=dict)

    def matches(self, service: str, action: str, account: str) -> bool:
        return (
            self.service in ("*", service)
            and self.action in ("*", action)
            and self.account in ("*", account)
        )


class TwinState:
    def __init__(self) -> None:
        self.delays: dict[str, int] = dict(DEFAULT_DELAYS_MS)
        # Twin seconds per AWS second: scales every delay, the refill of every token bucket and
        # injected latency (0.05: AWS's 3 minutes of NLB provisioning take 9 s here).
        self.time_factor = 1.0
        self.throttling = False
        self.buckets: dict[tuple[str, str, str], Bucket] = {}
        self.faults: list[Rule] = []
        self.latency: list[Rule] = []
        # (account, region, service, action) -> {"calls": n, "throttled": n, "faulted": n}
        self.counters: dict[tuple[str, str, str, str], dict[str, int]] = {}
        self.rng = random.Random()

    # --- configuration -------------------------------------------------------
    def delay_s(self, key: str) -> float:
        with LOCK:
            return max(0, self.delays.get(key, 0)) * self.time_factor / 1000.0

    def set_time(self, factor: Any = None) -> dict[str, Any]:
        """The time factor: twin seconds per AWS second (benchmarks set AWS's delays, then a factor)."""
        with LOCK:
            if factor is not None:
                f = float(factor)
                if not 0 < f <= 1000:
                    raise ValueError("factor must be in (0, 1000]")
                self.time_factor = f
                self.buckets.clear()
            return {"factor": self.time_factor, "delaysMs": dict(self.delays)}

    def set_delays(self, values: dict[str, Any]) -> dict[str, int]:
        with LOCK:
            for key, value in values.items():
                if key not in DEFAULT_DELAYS_MS:
                    raise ValueError(f"unknown delay {key!r}; known: {sorted(DEFAULT_DELAYS_MS)}")
                self.delays[key] = int(value)
            return dict(self.delays)

    def set_throttling(self, on: bool) -> None:
        with LOCK:
            self.throttling = on
            self.buckets.clear()

    def reset(self) -> None:
        """Clears run-time state; keeps configuration (delays, throttling switch)."""
        with LOCK:
            self.buckets.clear()
            self.faults.clear()
            self.latency.clear()
            self.counters.clear()

    # --- per-request hooks ---------------------------------------------------
    def count(self, account: str, region: str, service: str, action: str, kind: str) -> None:
        with LOCK:
            entry = self.counters.setdefault(
                (account, region, service, action), {"calls": 0, "throttled": 0, "faulted": 0}
            )
            entry[kind] += 1

    def take_token(self, account: str, region: str, service: str, action: str) -> bool:
        """True when the call may go ahead; False when the bucket is empty."""
        with LOCK:
            if not self.throttling:
                return True
            family = bucket_family(service, action)
            if family is None:
                return True
            burst, rate = BUCKETS[family]
            rate = rate / self.time_factor
            # Route 53 is global: one bucket per account whatever the region.
            key = (account, "global" if family == "route53" else region, family)
            now = time.monotonic()
            bucket = self.buckets.get(key)
            if bucket is None:
                bucket = self.buckets[key] = Bucket(burst, rate, burst, now)
            return bucket.take(now)

    def _pick(self, rules: list[Rule], service: str, action: str, account: str) -> Rule | None:
        for rule in list(rules):
            if not rule.matches(service, action, account):
                continue
            if rule.probability < 1 and self.rng.random() >= rule.probability:
                continue
            if rule.count is not None:
                rule.count -= 1
                if rule.count <= 0:
                    rules.remove(rule)
            return rule
        return None

    def pick_fault(self, service: str, action: str, account: str) -> Rule | None:
        with LOCK:
            return self._pick(self.faults, service, action, account)

    def latency_s(self, rule: Rule) -> float:
        """A latency rule's pause in twin seconds (its ms are AWS time)."""
        return max(0.0, float(rule.payload.get("ms", 0))) * self.time_factor / 1000.0

    def pick_latency(self, service: str, action: str, account: str) -> Rule | None:
        with LOCK:
            return self._pick(self.latency, service, action, account)

    def add_rule(self, kind: str, spec: dict[str, Any]) -> None:
        if not isinstance(spec, dict) or not spec.get("service"):
            raise ValueError("a rule needs a service (or \"*\")")
        if kind == "fault":
            fault_kind = spec.get("kind", "error")
            if fault_kind not in ("error", "throttle", "5xx"):
                raise ValueError("fault kind must be error, throttle or 5xx")
            if fault_kind == "error" and not spec.get("code"):
                raise ValueError("an error fault needs a code")
        count = spec.get("count")
        probability = spec.get("probability", 1.0)
        if count is not None and int(count) <= 0:
            raise ValueError("count must be positive")
        if not 0 < float(probability) <= 1:
            raise ValueError("probability must be in (0, 1]")
        rule = Rule(
            service=str(spec.get("service", "*")),
            action=str(spec.get("action", "*")),
            account=str(spec.get("account", "*")),
            count=None if count is None else int(count),
            probability=float(probability),
            payload=spec,
        )
        with LOCK:
            (self.faults if kind == "fault" else self.latency).append(rule)

    def clear_rules(self) -> None:
        with LOCK:
            self.faults.clear()
            self.latency.clear()

    def counters_list(self, filt: dict[str, str]) -> list[dict[str, Any]]:
        with LOCK:
            out = []
            for (account, region, service, action), entry in sorted(self.counters.items()):
                row = {
                    "account": account,
                    "region": region,
                    "service": service,
                    "action": action,
                    "mutating": is_mutating(action),
                    **entry,
                }
                if all(_text(row.get(k)) == v for k, v in filt.items()):
                    out.append(row)
            return out

    def reset_counters(self) -> None:
        with LOCK:
            self.counters.clear()


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


STATE = TwinState()
