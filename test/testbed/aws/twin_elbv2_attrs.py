"""Listener attributes of Network Load Balancers: the TCP idle timeout, as AWS documents it.

moto 5.2.1 keeps `{"tcp.idle_timeout.seconds": "350"}` on every listener and lets
ModifyListenerAttributes store any key and any value on any listener (moto 5.2.1's source). Here,
for listeners of Network Load Balancers:

* ModifyListenerAttributes takes one key, `tcp.idle_timeout.seconds` (ELBv2 API reference,
  ListenerAttribute: "The following attribute is supported by Network Load Balancers, and Gateway
  Load Balancers"); any other key is refused.
* Only on TCP listeners: "The connection idle timeout for TLS listeners is 350 seconds and can't be
  modified", and the console's attributes tab "is not present" for a protocol other than TCP (ELB
  user guide, "Update the TCP idle timeout for your Network Load Balancer listener"). TLS, UDP and
  TCP_UDP listeners are refused.
* The value is a whole number of seconds from 60 to 6000 ("Enter a value for TCP idle timeout from
  60-6000 seconds", same page; ListenerAttribute: "The valid range is 60-6000 seconds. The default
  is 350 seconds").
* Cross-Region access "is not supported for Network Load Balancers with a custom value configured
  for the TCP idle timeout" (AWS PrivateLink guide, "Share your services through AWS PrivateLink",
  Cross-Region access, Considerations). The twin enforces it both ways: ModifyListenerAttributes with
  a value other than 350 on a listener of an NLB whose endpoint service supports another Region, and
  CreateVpcEndpointServiceConfiguration / ModifyVpcEndpointServiceConfiguration that would make a
  service with such an NLB support another Region. AWS does not document which call refuses, nor
  with what: the twin refuses the call that would combine them. 350 itself counts as the default.

Every attribute of a request is checked before any is stored. The error is
`InvalidConfigurationRequest` ("The requested configuration is not valid", the one error the
ModifyListenerAttributes API reference names besides ListenerNotFound; moto answers it for unknown
load balancer attributes too) and `InvalidParameter` on the EC2 side; the messages are the twin's.
Listeners of other load balancer types keep moto's behaviour.
"""

from __future__ import annotations

from typing import Any

from moto.core.responses import ActionResult
from moto.ec2.exceptions import EC2ClientError
from moto.ec2.models.vpc_service_configuration import VPCServiceConfiguration
from moto.ec2.responses import EC2Response
from moto.elbv2.exceptions import ELBClientError
from moto.elbv2.models import ELBv2Backend, FakeListener, FakeLoadBalancer, elbv2_backends

IDLE_TIMEOUT = "tcp.idle_timeout.seconds"
IDLE_DEFAULT = 350
IDLE_MIN, IDLE_MAX = 60, 6000


def _invalid(message: str) -> ELBClientError:
    return ELBClientError("InvalidConfigurationRequest", message)


def _balancer_of(backend: ELBv2Backend, listener: FakeListener) -> FakeLoadBalancer | None:
    return backend.load_balancers.get(listener.load_balancer_arn)


def _custom(listener: FakeListener) -> bool:
    """Whether the listener has a TCP idle timeout other than the default."""
    return str(listener.attributes.get(IDLE_TIMEOUT, IDLE_DEFAULT)) != str(IDLE_DEFAULT)


def _other_regions(config: VPCServiceConfiguration) -> list[str]:
    host = config.ec2_backend.region_name
    return [r for r in getattr(config, "_supported_region_names", []) or [] if r != host]


def _cross_region_services(backend: ELBv2Backend, nlb_arn: str) -> list[str]:
    """Ids of the endpoint services of the NLB that support a Region other than their own."""
    return [
        str(config.id)
        for config in backend.ec2_backend.configurations.values()
        if nlb_arn in (config.network_load_balancer_arns or []) and _other_regions(config)
    ]


def _check_seconds(value: Any) -> int:
    text = str(value).strip()
    if not text.isdigit() or not IDLE_MIN <= int(text) <= IDLE_MAX:
        raise _invalid(
            f"The value of '{IDLE_TIMEOUT}' must be a whole number of seconds from {IDLE_MIN} to {IDLE_MAX}, "
            f"not '{value}'."
        )
    return int(text)


def _check(backend: ELBv2Backend, listener: FakeListener, attrs: list[dict[str, str]]) -> None:
    balancer = _balancer_of(backend, listener)
    for attr in attrs:
        key = attr.get("Key")
        if key != IDLE_TIMEOUT:
            raise _invalid(f"Listener attribute key '{key}' is not valid for a Network Load Balancer listener.")
        if listener.protocol != "TCP":
            fixed = " (the idle timeout of TLS listeners is fixed at 350 seconds)" if listener.protocol == "TLS" else ""
            raise _invalid(
                f"The attribute '{IDLE_TIMEOUT}' can be set only on TCP listeners, not on a "
                f"{listener.protocol} listener{fixed}."
            )
        seconds = _check_seconds(attr.get("Value"))
        if seconds != IDLE_DEFAULT and balancer is not None:
            services = _cross_region_services(backend, balancer.arn)
            if services:
                raise _invalid(
                    f"Cross-Region access is not supported for Network Load Balancers with a custom TCP idle "
                    f"timeout: load balancer '{balancer.arn}' serves endpoint service(s) {', '.join(services)} "
                    f"that support other Regions."
                )


def _custom_listeners(account: str, region: str, nlb_arns: list[str]) -> list[str]:
    """ARNs of listeners with a custom TCP idle timeout on those NLBs of the account and Region."""
    backend = elbv2_backends[account][region]
    out: list[str] = []
    for arn in nlb_arns:
        balancer = backend.load_balancers.get(arn)
        if balancer is None:
            continue
        out.extend(listener.arn for listener in balancer.listeners.values() if _custom(listener))
    return out


def _refuse_cross_region(listeners: list[str]) -> None:
    raise EC2ClientError(
        "InvalidParameter",
        "Cross-Region access is not supported for Network Load Balancers with a custom TCP idle timeout "
        f"(listener(s) {', '.join(listeners)}).",
    )


def install() -> None:
    original_modify = ELBv2Backend.modify_listener_attributes

    def modify_listener_attributes(self: ELBv2Backend, listener_arn: str, attrs: list[dict[str, str]]) -> Any:
        listener = self.describe_listeners(load_balancer_arn=None, listener_arns=[listener_arn])[0]  # NotFound
        balancer = _balancer_of(self, listener)
        if balancer is not None and balancer.type == "network":
            _check(self, listener, attrs)
            attrs = [{"Key": a["Key"], "Value": str(int(str(a["Value"]).strip()))} for a in attrs]
        return original_modify(self, listener_arn, attrs)

    ELBv2Backend.modify_listener_attributes = modify_listener_attributes  # type: ignore[method-assign]

    # Installed after twin_ec2, whose SupportedRegions handling these wrap.
    original_create_service = EC2Response.create_vpc_endpoint_service_configuration
    original_modify_service = EC2Response.modify_vpc_endpoint_service_configuration

    def create_vpc_endpoint_service_configuration(self: EC2Response) -> ActionResult:
        host = self.region
        others = [r for r in self._get_param("SupportedRegions", []) or [] if r != host]
        if others:
            nlbs = list(self._get_param("NetworkLoadBalancerArns", []) or [])
            custom = _custom_listeners(self.current_account, host, nlbs)
            if custom:
                _refuse_cross_region(custom)
        return original_create_service(self)

    def modify_vpc_endpoint_service_configuration(self: EC2Response) -> ActionResult:
        add = [r for r in self._get_param("AddSupportedRegions", []) or [] if r != self.region]
        more_nlbs = list(self._get_param("AddNetworkLoadBalancerArns", []) or [])
        if add or more_nlbs:
            service_id = self._get_param("ServiceId")
            config = self.ec2_backend.describe_vpc_endpoint_service_configurations([service_id])[0]  # NotFound
            removed = set(self._get_param("RemoveSupportedRegions", []) or [])
            cross = bool(add) or any(r not in removed for r in _other_regions(config))
            nlbs = list(config.network_load_balancer_arns or []) + more_nlbs
            custom = _custom_listeners(self.current_account, self.region, nlbs) if cross else []
            if custom:
                _refuse_cross_region(custom)
        return original_modify_service(self)

    EC2Response.create_vpc_endpoint_service_configuration = create_vpc_endpoint_service_configuration  # type: ignore[method-assign]
    EC2Response.modify_vpc_endpoint_service_configuration = modify_vpc_endpoint_service_configuration  # type: ignore[method-assign]
