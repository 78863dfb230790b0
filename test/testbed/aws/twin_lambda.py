"""Lambda without Docker, for `probe --in-vpc`: create a Node.js function in a VPC, invoke it
synchronously, delete it.

moto 5.2.1 stores functions without Docker but runs them only in Docker (Invoke answers
"error running docker"), checks that the role exists but not its trust policy, does not look at
VpcConfig (GetFunction says VpcId "vpc-123abc") and makes functions Active at once. Here:

* CreateFunction validates what Lambda validates for the parts the probe uses (runtime, role
  and its trust policy, zip, VPC subnets and groups), starts `Pending` and turns `Active` after
  `lambdaActiveMs`, and puts one network interface per subnet in the caller's VPC.
* Invoke runs the function's code in a `node` subprocess (lambda_runner.mjs) that sees the DNS
  server registered for the function's VPC (POST /_twin/lambda/resolvers), calls the twin's APIs
  in its own account (AWS_ENDPOINT_URL and the account's key) and finds the AWS SDK as in Lambda's
  Node.js runtime. twin_scheduler.py runs functions the same way for EventBridge Scheduler.
* Every Invoke is logged with its payload as sent and the execution role's inline policies at that
  moment (GET /_twin/lambda/invocations): what a test reads to see what a caller sent a function.
* DeleteFunction removes the function at once; its network interfaces stay in use for
  `lambdaEniReleaseMs`, so deleting their security group or subnet meanwhile fails with
  DependencyViolation, as with Lambda's Hyperplane ENIs.
"""

from __future__ import annotations

import base64
import functools
import io
import ipaddress
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid
import zipfile
from collections import deque
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any
from urllib.parse import unquote

import botocore.loaders
from moto.awslambda.exceptions import CrossAccountNotAllowed, InvalidRoleFormat, LambdaClientError
from moto.awslambda.models import LambdaBackend, LambdaFunction
from moto.awslambda.responses import LambdaResponse
from moto.core.utils import utcnow
from moto.ec2.exceptions import DependencyViolationError, EC2ClientError
from moto.ec2.models import EC2Backend, ec2_backends
from moto.ec2.models.elastic_network_interfaces import NetworkInterface
from moto.iam.models import iam_backends
from moto.utilities.utils import get_partition

import twin_core
from twin_state import STATE

RUNNER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lambda_runner.mjs")
# Lambda's init phase may take up to 10 s on top of the function timeout (Lambda developer
# guide, "Lambda execution environment lifecycle", Init phase); the runner enforces the
# handler's timeout itself, this only bounds a process that stopped answering.
INIT_ALLOWANCE_S = 10.0
LOG_TAIL_BYTES = 4096  # "The last 4 KB of the execution log" (API reference, Invoke, LogResult)

# Runtimes Lambda no longer accepts for new functions (Lambda developer guide, "Lambda
# runtimes", deprecated runtimes whose "Block function create" date has passed).
BLOCKED_RUNTIMES = {
    "nodejs", "nodejs4.3", "nodejs4.3-edge", "nodejs6.10", "nodejs8.10", "nodejs10.x", "nodejs12.x",
    "nodejs14.x", "nodejs16.x", "python2.7", "python3.6", "python3.7", "python3.8", "dotnetcore1.0",
    "dotnetcore2.0", "dotnetcore2.1", "dotnetcore3.1", "dotnet6", "go1.x", "ruby2.5", "ruby2.7",
}
# Hyperplane ENIs show an AWS-owned role's principal id (AROA...) and the account as requester
# (seen on real ENIs, go-to-k/cdkd PR #45); the id itself is made up.
LAMBDA_REQUESTER_ROLE_ID = "AROAZTWINLAMBDAHPENI"


class LambdaError(LambdaClientError):
    """A Lambda error with the model's HTTP status (botocore lambda/2015-03-31 error shapes)."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(code, message)
        self.code = status  # type: ignore[assignment]


def _invalid(message: str) -> LambdaError:
    return LambdaError("InvalidParameterValueException", message)


def _validation(value: Any, member: str, constraint: str) -> LambdaError:
    return LambdaError(
        "ValidationException",
        f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: {constraint}",
    )


# --- DNS servers of the consumers' VPCs (control route) ------------------------------------

_LOCK = threading.RLock()
_RESOLVERS: dict[tuple[str, str | None], str] = {}  # (account, vpcId or None) -> "ip:port"
_GENERATION = 0  # bumped by reset(): pending ENI releases of an older generation do nothing


def _check_dns(value: Any) -> str:
    text = str(value or "").strip()
    match = re.fullmatch(r"\[([0-9a-fA-F:]+)\](?::(\d+))?|([0-9.]+)(?::(\d+))?", text)
    if not match:
        raise ValueError(f"dns must be an IP address with an optional port, e.g. 127.0.0.1:53535; got {text!r}")
    ip, port = (match.group(1), match.group(2)) if match.group(1) else (match.group(3), match.group(4))
    ipaddress.ip_address(ip)  # ValueError when not an address (Node's setServers takes IPs only)
    if port is not None and not 0 < int(port) < 65536:
        raise ValueError(f"bad port in {text!r}")
    return text


def set_resolver(body: dict[str, Any]) -> dict[str, Any]:
    account = str(body.get("account", ""))
    if not re.fullmatch(r"\d{12}", account):
        raise ValueError("account must be a 12-digit AWS account id")
    dns = _check_dns(body.get("dns"))
    vpc_id = body.get("vpcId") or None
    with _LOCK:
        _RESOLVERS[(account, vpc_id)] = dns
    return {"ok": True, "account": account, "vpcId": vpc_id, "dns": dns}


def list_resolvers() -> list[dict[str, Any]]:
    with _LOCK:
        return [
            {"account": account, "vpcId": vpc_id, "dns": dns}
            for (account, vpc_id), dns in sorted(_RESOLVERS.items(), key=lambda kv: (kv[0][0], kv[0][1] or ""))
        ]


def clear_resolvers() -> None:
    with _LOCK:
        _RESOLVERS.clear()


def resolver_for(account: str, vpc_id: str | None) -> str | None:
    """The DNS server a function sees: its VPC's entry, else its account's; none outside a VPC
    (a function without VpcConfig resolves through the public internet's DNS)."""
    if not vpc_id:
        return None
    with _LOCK:
        return _RESOLVERS.get((account, vpc_id)) or _RESOLVERS.get((account, None))


def reset() -> None:
    global _GENERATION
    with _LOCK:
        _RESOLVERS.clear()
        _INVOCATIONS.clear()
        _GENERATION += 1


# --- function state, VpcConfig ---------------------------------------------------------------


def _state_get(self: LambdaFunction) -> str:
    # "Pending" until Lambda has set up the function's resources (Lambda developer guide,
    # "Lambda function states"), then whatever moto set (Active).
    active_at = self.__dict__.get("_tw_active_at")
    if active_at is not None and time.monotonic() < active_at:
        return "Pending"
    return str(self.__dict__.get("_tw_state", "Active"))


def _state_set(self: LambdaFunction, value: str) -> None:
    self.__dict__["_tw_state"] = value


def _vpc_config_get(self: LambdaFunction) -> dict[str, Any] | None:
    config = self.__dict__.get("_vpc_config") or {}
    if not config.get("SubnetIds"):
        return None
    return {
        "SubnetIds": list(config.get("SubnetIds") or []),
        "SecurityGroupIds": list(config.get("SecurityGroupIds") or []),
        "VpcId": self.__dict__.get("_tw_vpc_id", ""),
        "Ipv6AllowedForDualStack": bool(config.get("Ipv6AllowedForDualStack", False)),
    }


_original_get_configuration = LambdaFunction.get_configuration


def _updating(self: LambdaFunction) -> bool:
    until = self.__dict__.get("_tw_update_until")
    return until is not None and time.monotonic() < until


def _get_configuration(self: LambdaFunction, on_create: bool = False) -> dict[str, Any]:
    config = _original_get_configuration(self, on_create)
    if config.get("State") == "Pending":
        # GetFunction of a function being created (API reference, FunctionConfiguration).
        config["StateReason"] = "The function is being created."
        config["StateReasonCode"] = "Creating"
    if _updating(self):
        # An update runs for a while: LastUpdateStatus InProgress, then Successful (Lambda
        # developer guide, "Lambda function states", function updates).
        config["LastUpdateStatus"] = "InProgress"
        config["LastUpdateStatusReason"] = "The function is being updated."
        config["LastUpdateStatusReasonCode"] = "Updating"
    if config.get("VpcConfig") is None:
        config.pop("VpcConfig", None)
    return config


# Patched on the backend: moto's LambdaBackend.update_function_code applies the code twice.
_original_update_code = LambdaBackend.update_function_code
_original_update_configuration = LambdaBackend.update_function_configuration


def _begin_update(self: LambdaFunction) -> None:
    if self.state != "Active":
        raise LambdaError(
            "ResourceConflictException",
            f"The operation cannot be performed at this time. The function is currently in the following state: {self.state}",
            409,
        )
    if _updating(self):
        # A second update while one runs (message as Lambda words it, e.g. claudiajs/claudia#226).
        raise LambdaError(
            "ResourceConflictException",
            f"The operation cannot be performed at this time. An update is in progress for resource: {self.function_arn}",
            409,
        )


def _end_update(self: LambdaFunction) -> dict[str, Any]:
    delay = STATE.delay_s("lambdaActiveMs")
    self.__dict__["_tw_update_until"] = time.monotonic() + delay if delay > 0 else None
    return self.get_configuration()


def _update_function_code(
    backend: LambdaBackend, function_name: str, qualifier: str, body: dict[str, Any]
) -> dict[str, Any] | None:
    self = backend.get_function(function_name, qualifier)
    if body.get("DryRun"):
        return _original_update_code(backend, function_name, qualifier, body)
    _begin_update(self)
    _original_update_code(backend, function_name, qualifier, body)
    return _end_update(self)


def _update_configuration(
    backend: LambdaBackend, function_name: str, qualifier: str, body: dict[str, Any]
) -> dict[str, Any] | None:
    self = backend.get_function(function_name, qualifier)
    _begin_update(self)
    new_vpc = None
    if "VpcConfig" in body:
        new_vpc = _check_vpc(self.account_id, self.region, body.get("VpcConfig") or {})
    _original_update_configuration(backend, function_name, qualifier, body)
    if new_vpc is not None:
        # New network interfaces for the new subnets and groups; the old ones go as after a delete.
        vpc_id, subnet_ids, group_ids = new_vpc
        old = list(self.__dict__.get("_tw_enis") or [])
        self.__dict__["_tw_vpc_id"] = vpc_id
        self.__dict__["_tw_enis"] = (
            _add_enis(self.account_id, self.region, self.function_name, subnet_ids, group_ids) if vpc_id else []
        )
        if old:
            _schedule_release(self.account_id, self.region, old)
    return _end_update(self)


# --- CreateFunction ------------------------------------------------------------------------


def _check_role(backend: LambdaBackend, role_arn: str) -> None:
    match = re.match(InvalidRoleFormat.pattern, role_arn or "")
    if not match:
        raise InvalidRoleFormat(role_arn)
    if match.group(2) != backend.account_id:
        raise CrossAccountNotAllowed()
    iam = iam_backends[backend.account_id][get_partition(backend.region_name)]
    cannot = _invalid("The role defined for the function cannot be assumed by Lambda.")
    try:
        role = iam.get_role_by_arn(role_arn)
    except Exception:  # noqa: BLE001 - IAM's NotFound
        raise cannot from None
    # Lambda assumes the execution role, so its trust policy must let lambda.amazonaws.com
    # call sts:AssumeRole (Lambda developer guide, "Defining Lambda function permissions with an
    # execution role"); otherwise CreateFunction fails with this message.
    if not _trusts_lambda(role.assume_role_policy_document):
        raise cannot


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _trusts_lambda(document: Any) -> bool:
    return trusts_service(document, "lambda.amazonaws.com")


def trusts_service(document: Any, service: str) -> bool:
    """Whether a role's trust policy lets `service` (e.g. scheduler.amazonaws.com) assume it."""
    try:
        policy = json.loads(document) if isinstance(document, str) else document
    except ValueError:
        try:
            policy = json.loads(unquote(document))
        except ValueError:
            return False
    for statement in _as_list((policy or {}).get("Statement")):
        if statement.get("Effect") != "Allow":
            continue
        actions = _as_list(statement.get("Action"))
        if not any(a in ("sts:AssumeRole", "sts:*", "*") for a in actions):
            continue
        principal = statement.get("Principal")
        if principal == "*":
            return True
        if isinstance(principal, dict):
            services = _as_list(principal.get("Service"))
            if service in services or principal.get("AWS") == "*":
                return True
    return False


def _check_vpc(account: str, region: str, vpc_config: dict[str, Any]) -> tuple[str | None, list[str], list[str]]:
    subnet_ids = list(dict.fromkeys(vpc_config.get("SubnetIds") or []))
    group_ids = list(dict.fromkeys(vpc_config.get("SecurityGroupIds") or []))
    if not subnet_ids and not group_ids:
        return None, [], []
    if not subnet_ids or not group_ids:
        # Lambda's own wording (seen in aws/aws-sdk-js#1293).
        raise _invalid("SubnetIds and SecurityIds must coexist or be both empty list.")
    if len(subnet_ids) > 16:
        raise _validation(subnet_ids, "vpcConfig.subnetIds", "Member must have length less than or equal to 16")
    if len(group_ids) > 5:
        raise _validation(group_ids, "vpcConfig.securityGroupIds", "Member must have length less than or equal to 5")
    ec2 = ec2_backends[account][region]
    # Lambda describes them in the caller's account and passes EC2's error on (message form as
    # in aws/aws-lambda-dotnet#60: "Error occurred while DescribeSecurityGroups. EC2 Error Code: ...").
    vpcs = set()
    for subnet_id in subnet_ids:
        try:
            vpcs.add(ec2.get_subnet(subnet_id).vpc_id)
        except EC2ClientError as exc:
            raise _invalid(
                f"Error occurred while DescribeSubnets. EC2 Error Code: {exc.code}. EC2 Error Message: {exc.message}"
            ) from None
    if len(vpcs) > 1:
        raise _invalid(f"Subnets {', '.join(subnet_ids)} are in different VPCs; a function's subnets must share one VPC.")
    vpc_id = vpcs.pop()
    for group_id in group_ids:
        group = ec2.get_security_group_from_id(group_id)
        if group is None:
            raise _invalid(
                "Error occurred while DescribeSecurityGroups. EC2 Error Code: InvalidGroup.NotFound. "
                f"EC2 Error Message: The security group '{group_id}' does not exist"
            )
        if group.vpc_id != vpc_id:
            raise _invalid(f"Security group {group_id} is not in the subnets' VPC {vpc_id}.")
    return vpc_id, subnet_ids, group_ids


@functools.cache
def _runtimes() -> list[str]:
    # The Runtime enum of the Lambda API model (botocore lambda/2015-03-31).
    model = botocore.loaders.Loader().load_service_model("lambda", "service-2")
    return list(model["shapes"]["Runtime"]["enum"])


def _check_spec(backend: LambdaBackend, spec: dict[str, Any]) -> tuple[str | None, list[str], list[str]]:
    package_type = spec.get("PackageType") or "Zip"
    runtime = spec.get("Runtime")
    if package_type == "Zip":
        if not runtime or not spec.get("Handler"):
            raise _invalid("Runtime and Handler are mandatory parameters for functions created with deployment packages.")
        if runtime not in _runtimes():
            raise _validation(runtime, "runtime", f"Member must satisfy enum value set: [{', '.join(_runtimes())}]")
        if runtime in BLOCKED_RUNTIMES:
            raise _invalid(
                f"The runtime parameter of {runtime} is no longer supported for creating or updating AWS Lambda "
                f"functions. We recommend you use a supported runtime while creating or updating functions."
            )
        if not str(runtime).startswith("nodejs"):
            # Not AWS's rule: the twin can only run Node.js code, so it says so up front.
            raise _invalid(f"The AWS twin runs Node.js functions only; {runtime} is not modelled.")
    else:
        raise _invalid("The AWS twin runs .zip packages only; container images are not modelled.")
    timeout = spec.get("Timeout", 3)
    if not 1 <= int(timeout) <= 900:
        raise _validation(timeout, "timeout", "Member must have value between 1 and 900")
    memory = spec.get("MemorySize", 128)
    if not 128 <= int(memory) <= 10240:
        raise _validation(memory, "memorySize", "Member must have value between 128 and 10240")
    _check_role(backend, spec.get("Role", ""))
    code = spec.get("Code") or {}
    if "ZipFile" in code:
        try:
            raw = base64.b64decode(code["ZipFile"])
            zipfile.ZipFile(io.BytesIO(raw)).testzip()
        except Exception:  # noqa: BLE001 - not base64 or not a zip
            raise _invalid("Could not unzip uploaded file. Please check your file, then try to upload again.") from None
    return _check_vpc(backend.account_id, backend.region_name, spec.get("VpcConfig") or {})


_original_create_function = LambdaBackend.create_function


def _create_function(self: LambdaBackend, spec: dict[str, Any]) -> LambdaFunction:
    vpc_id, subnet_ids, group_ids = _check_spec(self, spec)
    fn = _original_create_function(self, spec)
    latest = self._lambdas.get_function_by_name_forbid_qualifier(fn.function_name)
    delay = STATE.delay_s("lambdaActiveMs")
    for target in {id(fn): fn, id(latest): latest}.values():
        target.__dict__["_tw_active_at"] = time.monotonic() + delay if delay > 0 else None
        target.__dict__["_tw_vpc_id"] = vpc_id
    if vpc_id:
        enis = _add_enis(self.account_id, self.region_name, fn.function_name, subnet_ids, group_ids)
        latest.__dict__["_tw_enis"] = enis
    return fn


def _add_enis(account: str, region: str, name: str, subnet_ids: list[str], group_ids: list[str]) -> list[str]:
    """One requester-managed ENI per subnet (Lambda developer guide, "Giving Lambda functions
    access to resources in an Amazon VPC": a Hyperplane ENI per subnet of the VPC config; the
    twin does not share them between functions)."""
    ec2 = ec2_backends[account][region]
    out = []
    for subnet_id in subnet_ids:
        eni = ec2.create_network_interface(
            subnet_id, None, group_ids=list(group_ids), description=f"AWS Lambda VPC ENI-{name}-{uuid.uuid4()}"
        )
        eni.interface_type = "lambda"
        eni.requester_managed = True
        eni.requester_id = f"{LAMBDA_REQUESTER_ROLE_ID}:{account}"
        eni.status = "in-use"
        eni.__dict__["_tw_lambda"] = name
        # Hyperplane attachments are "ela-attach-..." owned by amazon-aws; EC2 refuses to let the
        # account manage them ("You are not allowed to manage 'ela-attach' attachments").
        eni.__dict__["_tw_attachment"] = SimpleNamespace(
            attach_time=utcnow(),
            attachment_id=f"ela-attach-{secrets.token_hex(9)[:17]}",
            delete_on_termination=False,
            device_index=1,
            network_card_index=0,
            instance_id=None,
            instance_owner_id="amazon-aws",
            status="attached",
        )
        out.append(eni.id)
    return out


# --- DeleteFunction and the late ENI release -----------------------------------------------

_original_delete_function = LambdaBackend.delete_function


def _delete_function(self: LambdaBackend, function_name: str, qualifier: str | None = None) -> None:
    fn = self.get_function(function_name, None)
    name = fn.function_name
    enis = list(fn.__dict__.get("_tw_enis") or [])
    _original_delete_function(self, function_name, qualifier)
    if enis and name not in self._lambdas._functions:
        # "Lambda ... network interfaces are released some time after the function is deleted"
        # (CloudFormation VpcConfig note: it waits for Lambda to delete them; terraform-provider-aws
        # waits up to 45 minutes for Hyperplane ENIs): they stay in-use for lambdaEniReleaseMs.
        _schedule_release(self.account_id, self.region_name, enis)


def _schedule_release(account: str, region: str, eni_ids: list[str]) -> None:
    backend = dict.get(ec2_backends.get(account, {}), region)
    if backend is None:
        return
    targets = [(eni_id, backend.enis.get(eni_id)) for eni_id in eni_ids]
    generation = _GENERATION

    def release() -> None:
        with twin_core.MOTO_LOCK:
            if generation != _GENERATION:
                return
            for eni_id, eni in targets:
                if eni is not None and backend.enis.get(eni_id) is eni:
                    backend.enis.pop(eni_id, None)

    delay = STATE.delay_s("lambdaEniReleaseMs")
    if delay <= 0:
        release()
        return
    timer = threading.Timer(delay, release)
    timer.daemon = True
    timer.start()


# --- EC2 refusals while ENIs use a group or subnet -----------------------------------------

_original_delete_security_group = EC2Backend.delete_security_group
_original_delete_subnet = EC2Backend.delete_subnet
_original_delete_network_interface = EC2Backend.delete_network_interface
_original_attachment = NetworkInterface.attachment


def _delete_security_group(self: EC2Backend, name: str | None = None, group_id: str | None = None) -> None:
    group = self.get_security_group_from_id(group_id) if group_id else self.get_security_group_by_name_or_id(name)
    if group is not None:
        for eni in list(self.enis.values()):
            if any(g.id == group.id for g in eni.group_set):
                # EC2 API reference, DeleteSecurityGroup: "If you attempt to delete a security group
                # that is associated with an instance or network interface ... the operation fails
                # with DependencyViolation."
                raise DependencyViolationError(f"resource {group.id} has a dependent object")
    return _original_delete_security_group(self, name=name, group_id=group_id)


def _delete_subnet(self: EC2Backend, subnet_id: str) -> Any:
    if any(eni.subnet.id == subnet_id for eni in list(self.enis.values())):
        # EC2 API reference, DeleteSubnet: "You must terminate all running instances in the subnet
        # before you can delete the subnet" (network interfaces likewise).
        raise DependencyViolationError(f"The subnet '{subnet_id}' has dependencies and cannot be deleted.")
    return _original_delete_subnet(self, subnet_id)


def _delete_network_interface(self: EC2Backend, eni_id: str) -> None:
    eni = self.enis.get(eni_id)
    if eni is not None and eni.__dict__.get("_tw_lambda") and eni.status == "in-use":
        # An attached interface cannot be deleted (EC2 API reference, DeleteNetworkInterface:
        # "You must detach the network interface before you can delete it").
        raise EC2ClientError("InvalidParameterValue", f"Network interface '{eni_id}' is currently in use.")
    return _original_delete_network_interface(self, eni_id)


def _attachment_get(self: NetworkInterface) -> Any:
    own = self.__dict__.get("_tw_attachment")
    if own is not None:
        return own
    return _original_attachment.fget(self)  # type: ignore[attr-defined]


# --- Invoke ---------------------------------------------------------------------------------


@dataclass
class Snapshot:
    """What one invocation needs, copied under MOTO_LOCK so the run happens outside it."""

    account: str
    region: str
    name: str
    arn: str
    version: str
    handler: str
    runtime: str
    timeout_s: int
    memory_mb: int
    env: dict[str, str]
    code: bytes
    vpc_id: str | None
    role: str = ""


@dataclass
class Outcome:
    payload: bytes
    function_error: str | None
    logs: str
    request_id: str = ""


# The Node.js runtimes from nodejs18.x on include the AWS SDK for JavaScript v3 (Lambda developer
# guide, "Deploying Node.js Lambda functions with .zip file archives", runtime-included SDK), found
# after the function's own node_modules. The twin offers the SDK packages it can find: those under
# TWIN_LAMBDA_NODE_MODULES (os.pathsep-separated node_modules folders, first), then every
# node_modules folder above this file (the repository's). Packages keep their real paths, so their
# own dependencies resolve where they are installed.
RUNTIME_SCOPES = ("@aws-sdk", "@smithy", "@aws-crypto")


@functools.cache
def _runtime_packages() -> dict[str, str]:
    """Package name ("@aws-sdk/client-cloudwatch") -> its folder; the first folder found wins."""
    roots = [p for p in (os.environ.get("TWIN_LAMBDA_NODE_MODULES") or "").split(os.pathsep) if p]
    here = os.path.dirname(os.path.abspath(__file__))
    while True:
        roots.append(os.path.join(here, "node_modules"))
        parent = os.path.dirname(here)
        if parent == here:
            break
        here = parent
    found: dict[str, str] = {}
    for root in roots:
        for scope in RUNTIME_SCOPES:
            folder = os.path.join(root, scope)
            if not os.path.isdir(folder):
                continue
            for name in sorted(os.listdir(folder)):
                path = os.path.join(folder, name)
                if os.path.isdir(path):
                    found.setdefault(f"{scope}/{name}", os.path.realpath(path))
    return found


def _link_runtime_packages(workdir: str) -> None:
    """<workdir>/node_modules/<package> -> the package: the task folder (<workdir>/task) resolves
    the SDK through its parent folder, after any node_modules of its own."""
    for name, path in _runtime_packages().items():
        link = os.path.join(workdir, "node_modules", name)
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink(path, link, target_is_directory=True)


def _node() -> str:
    node = os.environ.get("TWIN_NODE") or shutil.which("node")
    if not node:
        raise LambdaError("ServiceException", "The AWS twin found no node executable (set TWIN_NODE).", 500)
    return node


def run_function(snap: Snapshot, event: bytes, dns: str | None, endpoint: str | None) -> Outcome:
    request_id = str(uuid.uuid4())
    marker = f"@@twin-result-{secrets.token_hex(16)}@@"
    workdir = tempfile.mkdtemp(prefix="twin-lambda-")
    try:
        task = os.path.join(workdir, "task")
        os.mkdir(task)
        _link_runtime_packages(workdir)  # rmtree below removes the links, never what they point to
        with zipfile.ZipFile(io.BytesIO(snap.code)) as archive:
            archive.extractall(task)  # zipfile drops absolute paths and ".." components
        event_file = os.path.join(workdir, "event.json")
        with open(event_file, "wb") as handle:
            handle.write(event or b"{}")
        date = time.strftime("%Y/%m/%d", time.gmtime())
        # The function's variables, then the runtime's own (Lambda developer guide, "Defined
        # runtime environment variables"), which functions may not override.
        env = {str(k): str(v) for k, v in snap.env.items()}
        env.update(
            {
                "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
                "LANG": "en_US.UTF-8",
                "TZ": ":UTC",
                "_HANDLER": snap.handler,
                "AWS_EXECUTION_ENV": f"AWS_Lambda_{snap.runtime}",
                "AWS_LAMBDA_FUNCTION_NAME": snap.name,
                "AWS_LAMBDA_FUNCTION_VERSION": snap.version,
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(snap.memory_mb),
                "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
                "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{snap.name}",
                "AWS_LAMBDA_LOG_STREAM_NAME": f"{date}/[{snap.version}]{uuid.uuid4().hex}",
                "AWS_REGION": snap.region,
                "AWS_DEFAULT_REGION": snap.region,
                "LAMBDA_TASK_ROOT": task,
                # The execution role's temporary credentials (Lambda developer guide, "Defined runtime
                # environment variables"): the twin's static key for the function's account, which
                # survives a reset, plus a session token as Lambda always sets one.
                "AWS_ACCESS_KEY_ID": twin_core.twin_access_key(snap.account),
                "AWS_SECRET_ACCESS_KEY": "twin-lambda-secret",
                "AWS_SESSION_TOKEN": f"twin-lambda-session-{snap.account}",
                # Runner-only settings, removed from process.env before the handler loads.
                "TWIN_RESULT_MARKER": marker,
                "TWIN_HANDLER": snap.handler,
                "TWIN_EVENT_FILE": event_file,
                "TWIN_TIMEOUT_MS": str(snap.timeout_s * 1000),
                "TWIN_REQUEST_ID": request_id,
                "TWIN_INVOKED_ARN": snap.arn,
            }
        )
        if endpoint:
            env["AWS_ENDPOINT_URL"] = endpoint  # SDK calls from the function reach the twin
        if dns:
            env["TWIN_VPC_DNS"] = dns
        started = time.monotonic()
        proc = subprocess.Popen(
            [_node(), RUNNER],
            cwd=task,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        killed = False
        try:
            out, _ = proc.communicate(timeout=snap.timeout_s + INIT_ALLOWANCE_S)
        except subprocess.TimeoutExpired:
            killed = True
            _kill_group(proc)
            out, _ = proc.communicate()
        _kill_group(proc)  # whatever the handler left running
        duration_ms = (time.monotonic() - started) * 1000
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return _outcome(snap, request_id, marker, out.decode("utf-8", "replace"), killed, proc.returncode, duration_ms)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _outcome(snap: Snapshot, request_id: str, marker: str, output: str, killed: bool, code: int | None, duration_ms: float) -> Outcome:
    result: dict[str, Any] | None = None
    at = output.rfind(marker)
    if at >= 0:
        end = output.find("\n", at)
        end = len(output) if end < 0 else end
        try:
            result = json.loads(output[at + len(marker) : end])
        except ValueError:
            result = None
        output = output[:at].rstrip("\n") + ("\n" if output[:at].strip() else "") + output[end + 1 :]
    logs = output.lstrip("\n")
    function_error: str | None = None
    if result is not None and result.get("ok"):
        payload = _json(result.get("value"))
    elif killed or (result is not None and result.get("timedOut")):
        # Lambda's answer for a timeout (Lambda developer guide, "Troubleshoot invocation issues",
        # Sandbox.Timedout); the log ends with "<time> <id> Task timed out after N.NN seconds".
        function_error = "Unhandled"
        seconds = f"{snap.timeout_s:.2f}"
        payload = _json(
            {"errorType": "Sandbox.Timedout", "errorMessage": f"RequestId: {request_id} Error: Task timed out after {seconds} seconds"}
        )
        logs += f"{_now_iso()} {request_id} Task timed out after {seconds} seconds\n"
    elif result is not None:
        # An error the handler threw: X-Amz-Function-Error "Unhandled" and the runtime's error
        # object (errorType, errorMessage, trace) as the payload (API reference, Invoke).
        function_error = "Unhandled"
        error = result.get("error") or {}
        payload = _json(error)
        logs += f"{_now_iso()}\t{request_id}\tERROR\tInvoke Error \t{payload}\n"
    else:
        function_error = "Unhandled"
        payload = _json(
            {
                "errorType": "Runtime.ExitError",
                "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: exit status {code}",
            }
        )
    billed = max(1, int(-(-duration_ms // 1)))
    tail = (
        f"START RequestId: {request_id} Version: {snap.version}\n{logs}END RequestId: {request_id}\n"
        f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\tBilled Duration: {billed} ms\t"
        f"Memory Size: {snap.memory_mb} MB\t\n"
    )
    return Outcome(payload.encode("utf-8"), function_error, tail, request_id)


def _json(value: Any) -> str:
    # As the Node.js runtime's JSON.stringify writes it (no spaces).
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _now_iso() -> str:
    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z"


def _run_quietly(snap: Snapshot, event: bytes, dns: str | None, endpoint: str | None) -> None:
    try:
        run_function(snap, event, dns, endpoint)
    except Exception:  # noqa: BLE001 - an Event invocation has no caller to tell
        pass


def snapshot_for_invoke(backend: LambdaBackend, function_name: str, qualifier: str | None) -> Snapshot:
    """What Invoke runs; the caller holds MOTO_LOCK. Raises Lambda's errors for a missing function
    (ResourceNotFoundException) or one not Active yet."""
    fn = backend.get_function(function_name, qualifier)
    if fn.state != "Active":
        # Lambda developer guide, "Lambda function states": invocations of a Pending function fail.
        raise LambdaError(
            "ResourceConflictException",
            f"The operation cannot be performed at this time. The function is currently in the following state: {fn.state}",
            409,
        )
    return Snapshot(
        account=fn.account_id,
        region=fn.region,
        name=fn.function_name,
        arn=fn.function_arn,
        version=str(fn.version),
        handler=str(fn.handler),
        runtime=str(fn.run_time),
        timeout_s=int(fn.timeout),
        memory_mb=int(fn.memory_size),
        env=dict(fn.environment_vars or {}),
        code=bytes(fn.code_bytes),
        vpc_id=fn.__dict__.get("_tw_vpc_id"),
        role=str(fn.role or ""),
    )


# --- what Invoke was sent (control route) ----------------------------------------------------

# Every Invoke so far, newest last (GET /_twin/lambda/invocations): what a test reads to see what a
# caller sent a function, and what the function's execution role allowed when it ran.
_INVOCATIONS: deque[dict[str, Any]] = deque(maxlen=500)


def _role_policies(account: str, region: str, role_arn: str) -> dict[str, Any]:
    """The execution role's inline policies (name -> document) now; the caller holds MOTO_LOCK."""
    try:
        role = iam_backends[account][get_partition(region)].get_role_by_arn(role_arn)
    except Exception:  # noqa: BLE001 - IAM's NotFound: the role went after the function was made
        return {}
    out: dict[str, Any] = {}
    for name, document in sorted(role.policies.items()):
        try:
            out[name] = json.loads(document) if isinstance(document, str) else document
        except ValueError:
            out[name] = document
    return out


def _record_invocation(snap: Snapshot, invocation_type: str, body: bytes) -> None:
    entry = {
        "at": _now_iso(),
        "account": snap.account,
        "region": snap.region,
        "function": snap.name,
        "invocationType": invocation_type,
        "payload": body.decode("utf-8", "replace"),
        "role": {"arn": snap.role, "inlinePolicies": _role_policies(snap.account, snap.region, snap.role)},
    }
    with _LOCK:
        _INVOCATIONS.append(entry)


def invocations(query: dict[str, str]) -> list[dict[str, Any]]:
    with _LOCK:
        rows = list(_INVOCATIONS)
    for key, field in (("account", "account"), ("name", "function"), ("region", "region")):
        if query.get(key):
            rows = [r for r in rows if r[field] == query[key]]
    return rows


def clear_invocations() -> None:
    with _LOCK:
        _INVOCATIONS.clear()


# The twin's own endpoint (launcher.py sets it once it listens): what AWS_ENDPOINT_URL names for a
# function's SDK calls, also for runs no HTTP request started (EventBridge Scheduler's firings).
_ENDPOINT: str | None = None


def set_endpoint(url: str) -> None:
    global _ENDPOINT
    _ENDPOINT = url


def twin_endpoint() -> str | None:
    return _ENDPOINT


def invoke(self: LambdaResponse) -> tuple[int, dict[str, str], str | bytes]:
    """Runs outside MOTO_LOCK (twin_core.UNLOCKED_ACTIONS): a run takes up to the function's
    timeout and its code may call the twin."""
    function_name = unquote(self.path.rsplit("/", 2)[-2])
    qualifier = self.querystring.get("Qualifier", [None])[0]
    invocation_type = self.headers.get("X-Amz-Invocation-Type") or "RequestResponse"
    if invocation_type not in ("RequestResponse", "Event", "DryRun"):
        raise _validation(invocation_type, "invocationType", "Member must satisfy enum value set: [Event, RequestResponse, DryRun]")
    body = self.body if isinstance(self.body, bytes) else (self.body or "").encode("utf-8")
    if body.strip():
        try:
            json.loads(body)
        except ValueError as exc:
            raise LambdaError("InvalidRequestContentException", f"Could not parse request body into json: {exc}") from None
    with twin_core.MOTO_LOCK:
        snap = snapshot_for_invoke(self.backend, function_name, qualifier)
        _record_invocation(snap, invocation_type, body)
    # moto takes the HTTP status from the "status" header (API reference, Invoke: StatusCode 200 for
    # RequestResponse, 202 for Event, 204 for DryRun).
    headers = {"X-Amz-Executed-Version": snap.version}
    if invocation_type == "DryRun":
        return 204, {**headers, "status": "204"}, ""
    dns = resolver_for(snap.account, snap.vpc_id)
    host = self.headers.get("Host") or ""
    endpoint = _ENDPOINT or (f"http://{host}" if host.startswith(("127.", "localhost", "[::1]")) else None)
    if invocation_type == "Event":
        threading.Thread(target=_run_quietly, args=(snap, body, dns, endpoint), daemon=True).start()
        return 202, {"status": "202"}, ""
    outcome = run_function(snap, body, dns, endpoint)
    headers["Content-Type"] = "application/json"
    headers["status"] = "200"
    if outcome.function_error:
        headers["X-Amz-Function-Error"] = outcome.function_error
    if (self.headers.get("X-Amz-Log-Type") or "None") == "Tail":
        tail = outcome.logs.encode("utf-8")[-LOG_TAIL_BYTES:]
        headers["X-Amz-Log-Result"] = base64.b64encode(tail).decode("ascii")
    return 200, headers, outcome.payload


def install() -> None:
    LambdaFunction.state = property(_state_get, _state_set)  # type: ignore[assignment]
    LambdaFunction.vpc_config = property(_vpc_config_get)  # type: ignore[assignment,misc]
    LambdaFunction.get_configuration = _get_configuration  # type: ignore[method-assign]
    LambdaBackend.update_function_code = _update_function_code  # type: ignore[method-assign]
    LambdaBackend.update_function_configuration = _update_configuration  # type: ignore[method-assign]
    LambdaBackend.create_function = _create_function  # type: ignore[method-assign]
    LambdaBackend.delete_function = _delete_function  # type: ignore[method-assign]
    LambdaResponse.invoke = invoke  # type: ignore[method-assign,assignment]
    twin_core.UNLOCKED_ACTIONS.add(("lambda", "Invoke"))
    EC2Backend.delete_security_group = _delete_security_group  # type: ignore[method-assign]
    EC2Backend.delete_subnet = _delete_subnet  # type: ignore[method-assign]
    EC2Backend.delete_network_interface = _delete_network_interface  # type: ignore[method-assign]
    NetworkInterface.attachment = property(_attachment_get)  # type: ignore[assignment,method-assign]
