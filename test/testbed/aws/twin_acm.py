"""ACM certificates for Network Load Balancer TLS listeners.

moto 5.2.1 implements ACM (ImportCertificate, DescribeCertificate, ListCertificates, DeleteCertificate)
and answers a CreateListener whose ACM certificate does not exist with `CertificateNotFoundException`
"Supplied certificate was not found" (ELB Classic's code). It accepts a TLS listener with no certificate
at all, lets DeleteCertificate remove a certificate a listener still uses, and refuses ModifyListener with
Protocol TLS (`UnsupportedProtocol`) while ignoring Certificates on a TLS listener. Here, as the ELBv2 API
reference and the "TLS listeners for your Network Load Balancer" guide describe them:

* CreateListener/ModifyListener with Protocol TLS need exactly one certificate (`Certificates`, the
  default certificate); without one: `ValidationError` "A certificate must be specified for TLS listeners".
  A certificate ARN that is neither an ACM certificate of the listener's account and region nor an IAM
  server certificate of the account: `CertificateNotFound` (HTTP 400). An `SslPolicy` that is not a
  predefined policy: `SSLPolicyNotFound`. Without one a TLS listener gets ELBSecurityPolicy-2016-08, the
  API's default ("Security policies for your Network Load Balancer": the console picks a TLS 1.3 policy,
  other methods ELBSecurityPolicy-2016-08). ModifyListener may switch a listener to TLS and replace its
  default certificate.
* DeleteCertificate of a certificate a listener of the account and region uses: `ResourceInUseException`
  (ACM API reference, DeleteCertificate).
* GET /_twin/acm/certificate?arn=<certificate ARN> (test bed only, not an AWS API): the imported
  certificate, its chain as imported and its private key, PEM, for the network twin to terminate TLS
  with. 404 when the certificate does not exist.
"""

from __future__ import annotations

import re
from typing import Any

from moto.acm.models import AWS_ROOT_CA, AWSCertificateManagerBackend, acm_backends
from moto.core.exceptions import AWSError
from moto.elbv2.exceptions import ELBClientError
from moto.elbv2.models import ELBv2Backend, elbv2_backends
from moto.elbv2.ssl_policies import SSL_POLICIES

import twin_core

# arn:<partition>:acm:<region>:<account>:certificate/<id>
ACM_ARN = re.compile(r"^arn:aws[a-z-]*:acm:([a-z0-9-]+):(\d{12}):certificate/[A-Za-z0-9-]+$")

# The API's default for TLS listeners made by any method but the console (see the module docstring).
DEFAULT_TLS_POLICY = "ELBSecurityPolicy-2016-08"


class ResourceInUse(AWSError):
    TYPE = "ResourceInUseException"


def _certificate_missing(arn: str) -> ELBClientError:
    return ELBClientError("CertificateNotFound", f"Certificate '{arn}' not found")


def _tls_certificate(backend: ELBv2Backend, certificates: list[dict[str, Any]] | None) -> str:
    """The default certificate of a TLS listener, checked; raises as ELBv2 does."""
    arns = [c.get("CertificateArn") for c in certificates or [] if c.get("CertificateArn")]
    if not arns:
        raise ELBClientError("ValidationError", "A certificate must be specified for TLS listeners")
    arn = str(arns[0])
    if not backend._certificate_exists(certificate_arn=arn):
        raise _certificate_missing(arn)
    return arn


def _check_policy(ssl_policy: str | None) -> None:
    if ssl_policy and ssl_policy not in SSL_POLICIES:
        raise ELBClientError("SSLPolicyNotFound", f"Policy {ssl_policy} not found")


def _listeners_using(account: str, region: str, arn: str) -> list[str]:
    """ARNs of the account's listeners in the region whose certificates include `arn` (no backend made)."""
    per_account = dict.get(elbv2_backends, account)
    backend = dict.get(per_account, region) if per_account is not None else None
    if backend is None:
        return []
    out = []
    for lb in list(backend.load_balancers.values()):
        for listener in list(lb.listeners.values()):
            if arn in (listener.certificates or []) or listener.certificate == arn:
                out.append(listener.arn)
    return out


def certificate_query(query: dict[str, str]) -> tuple[int, Any]:
    """GET /_twin/acm/certificate?arn=: {certificateArn, certificate, certificateChain, privateKey}."""
    arn = query.get("arn", "")
    match = ACM_ARN.match(arn)
    if not match:
        raise ValueError(f"arn must be an ACM certificate ARN: {arn!r}")
    region, account = match.group(1), match.group(2)
    per_account = dict.get(acm_backends, account)
    backend = dict.get(per_account, region) if per_account is not None else None
    certificates = getattr(backend, "_certificates", {}) if backend is not None else {}
    bundle = certificates.get(arn)
    if bundle is None:
        return 404, {"error": f"CertificateNotFound: Certificate '{arn}' not found"}
    # moto appends an Amazon CA to every chain (what DescribeCertificate/GetCertificate answer); a
    # listener serves the chain that was imported.
    chain = bundle.chain
    suffix = AWS_ROOT_CA + b"\n"
    if chain.endswith(suffix):
        chain = chain[: -len(suffix)]
    return 200, {
        "certificateArn": arn,
        "type": bundle.type,
        "status": bundle.status,
        "certificate": bundle.cert.decode(),
        "certificateChain": chain.decode().strip(),
        "privateKey": bundle.key.decode(),
    }


def install() -> None:
    # ACM speaks awsJson1_1: injected faults and throttling answer in its format.
    twin_core.PROTOCOLS.setdefault("acm", "json")
    twin_core.THROTTLE_ERRORS.setdefault("acm", ("ThrottlingException", 400))

    original_create = ELBv2Backend.create_listener

    def create_listener(
        self: ELBv2Backend,
        load_balancer_arn: str,
        protocol: str,
        port: str,
        ssl_policy: str | None = None,
        certificate: str | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        if str(protocol or "").upper() == "TLS":
            _check_policy(ssl_policy)
            certificate = _tls_certificate(self, [{"CertificateArn": certificate}] if certificate else [])
            ssl_policy = ssl_policy or DEFAULT_TLS_POLICY
        return original_create(self, load_balancer_arn, protocol, port, ssl_policy, certificate, *args, **kwargs)

    ELBv2Backend.create_listener = create_listener  # type: ignore[method-assign]

    original_modify = ELBv2Backend.modify_listener

    def modify_listener(
        self: ELBv2Backend,
        arn: str,
        port: str | None = None,
        protocol: str | None = None,
        ssl_policy: str | None = None,
        certificates: list[dict[str, Any]] | None = None,
        actions: list[dict[str, Any]] | None = None,
    ) -> Any:
        listener = self.describe_listeners(load_balancer_arn=None, listener_arns=[arn])[0]
        becomes = str(protocol or listener.protocol or "").upper()
        if becomes != "TLS":
            return original_modify(self, arn, port, protocol, ssl_policy, certificates, actions or [])
        _check_policy(ssl_policy)
        default = _tls_certificate(self, certificates) if certificates else None
        if default is None and not listener.certificates:
            raise ELBClientError("ValidationError", "A certificate must be specified for TLS listeners")
        # moto refuses Protocol TLS here and ignores Certificates for anything but HTTPS: it changes
        # the rest, the twin the protocol and certificates.
        out = original_modify(self, arn, port, None, ssl_policy, [], actions or [])
        out.protocol = "TLS"
        if default is not None:
            out.certificate = default
            out.certificates = [c["CertificateArn"] for c in certificates or [] if c.get("CertificateArn")]
        if not out.ssl_policy:
            out.ssl_policy = DEFAULT_TLS_POLICY
        return out

    ELBv2Backend.modify_listener = modify_listener  # type: ignore[method-assign]

    original_delete = AWSCertificateManagerBackend.delete_certificate

    def delete_certificate(self: AWSCertificateManagerBackend, arn: str) -> None:
        users = _listeners_using(self.account_id, self.region_name, arn)
        if users:
            raise ResourceInUse(f"Certificate {arn} in account {self.account_id} is in use.")
        original_delete(self, arn)

    AWSCertificateManagerBackend.delete_certificate = delete_certificate  # type: ignore[method-assign]

