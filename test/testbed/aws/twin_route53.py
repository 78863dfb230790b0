"""Route 53: changes that are PENDING for a while, and PriorRequestNotComplete under throttling.

moto 5.2.1 answers every change INSYNC with one fixed change id. Real changes reach INSYNC
within 60 s (Route 53 developer guide, "Editing records"); a second change to a zone before
the first is done can get PriorRequestNotComplete (Route 53 API reference,
ChangeResourceRecordSets, "Errors").
"""

from __future__ import annotations

import random
import string
import threading
import time
from typing import Any

from moto.core.responses import ActionResult
from moto.route53.responses import Route53

from twin_core import error_response
from twin_state import STATE

_LOCK = threading.Lock()
# change id -> (account, zone id, monotonic time it becomes INSYNC)
_CHANGES: dict[str, tuple[str, str, float]] = {}


def reset() -> None:
    with _LOCK:
        _CHANGES.clear()


def _zone(raw: str | None) -> str:
    return (raw or "").rsplit("/", 1)[-1]


def _pending_for(account: str, zone: str, now: float) -> bool:
    with _LOCK:
        return any(a == account and z == zone and now < ready for a, z, ready in _CHANGES.values())


_original_change = Route53.change_resource_record_sets
_original_create_zone = Route53.create_hosted_zone


def create_hosted_zone(self: Route53) -> Any:
    """A zone created with a VPC is private (Route 53 API reference, CreateHostedZone: the VPC
    element is for private hosted zones only, HostedZoneConfig.PrivateZone optional); moto makes
    it private only when PrivateZone is given, as Terraform's aws_route53_zone does not."""
    if self._get_param("VPC.VPCId") and not self._get_bool_param("HostedZoneConfig.PrivateZone", False):
        given = self._get_bool_param

        def private_by_vpc(name: str, if_none: Any = None) -> Any:
            return True if name == "HostedZoneConfig.PrivateZone" else given(name, if_none)

        self._get_bool_param = private_by_vpc  # type: ignore[method-assign]
    return _original_create_zone(self)
_original_get_change = Route53.get_change


def change_resource_record_sets(self: Route53) -> Any:
    zone = _zone(self._get_param("HostedZoneId"))
    now = time.monotonic()
    if STATE.throttling and _pending_for(self.current_account, zone, now):
        status, headers, body = error_response(
            "route53",
            "PriorRequestNotComplete",
            "The request was rejected because Route 53 was still processing a prior request.",
            400,
        )
        # Inside a response method moto reads the status from the headers.
        headers["status"] = str(status)
        return body, headers
    result = _original_change(self)
    delay = STATE.delay_s("route53ChangeMs")
    change_id = "C" + "".join(random.choice(string.ascii_uppercase + string.digits) for _ in range(20))
    with _LOCK:
        _CHANGES[change_id] = (self.current_account, zone, now + delay)
    if isinstance(result, ActionResult) and isinstance(result.result, dict):
        info = result.result["ChangeInfo"]
        info["Id"] = f"/change/{change_id}"
        info["Status"] = "PENDING" if delay > 0 else "INSYNC"
    return result


def get_change(self: Route53) -> Any:
    change_id = _zone(self._get_param("Id"))
    with _LOCK:
        known = _CHANGES.get(change_id)
    result = _original_get_change(self)
    if known is not None and isinstance(result, ActionResult) and isinstance(result.result, dict):
        info = result.result["ChangeInfo"]
        info["Id"] = f"/change/{change_id}"
        info["Status"] = "PENDING" if time.monotonic() < known[2] else "INSYNC"
    return result


def install() -> None:
    Route53.change_resource_record_sets = change_resource_record_sets  # type: ignore[method-assign]
    Route53.create_hosted_zone = create_hosted_zone  # type: ignore[method-assign]
    Route53.get_change = get_change  # type: ignore[method-assign]
