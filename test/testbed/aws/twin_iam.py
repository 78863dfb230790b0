"""IAM enforcement for callers that act through an assumed role.

Off by default. `POST /_twin/iam {"enforce": true}` turns it on: every call made with STS session
credentials (AssumeRole) is authorized against the assumed role's inline policies (moto's IAM), the
way IAM evaluates identity-based policies ("Policy evaluation logic", IAM user guide): an explicit
Deny wins, else an Allow must match the action, the resource and every condition; else the call is
refused with the service's own access-denied error and AWS's message, "User: <arn> is not
authorized to perform: <action> on resource: <resource> because no identity-based policy allows
the <action> action". Static twin keys (AKIA<account>TWIN) act as the account's root and are never
checked, so tests set up with them.

What is evaluated:
- actions, with `*` and `?` wildcards, case-insensitive;
- resources, where the twin can name the request's resource (ELB names and ARNs, IAM roles, Lambda
  functions, SSM parameters, Secrets Manager secrets, MSK clusters, Scheduler schedules, CloudWatch
  alarms, Route 53 zones); elsewhere (EC2 ids, VPC Lattice, RAM) any Resource matches, and EC2's
  tag conditions stand in for scoping;
- conditions StringEquals, StringLike (their ...IfExists, ForAnyValue: and ForAllValues: forms)
  on aws:RequestTag/<key> (from the request's tags), aws:ResourceTag/<key> (EC2 resources named in
  the request), ec2:CreateAction and iam:PassedToService (the implied calls below) and
  aws:CalledVia (set on the calls MSK makes on a caller's behalf, below); a key the
  twin cannot know for the request is taken as satisfied, one it knows is absent is not;
- implied authorizations AWS documents: EC2 tag on create (ec2:CreateTags with ec2:CreateAction,
  EC2 user guide "Grant permission to tag resources during creation"), ELB tag on create
  (elasticloadbalancing:AddTags), iam:PassRole for Lambda's execution role and Scheduler's target
  role, the EC2 reads Lambda checks for a function in a VPC, a private hosted zone's
  route53:AssociateVPCWithHostedZone and ec2:DescribeVpcs, and sharing a VPC Lattice resource
  configuration through RAM (vpc-lattice:PutResourcePolicy and GetResourcePolicy), and the
  endpoint MSK makes or deletes for a multi-VPC connection (ec2:CreateVpcEndpoint, ec2:CreateTags,
  ec2:DeleteVpcEndpoints, called via kafka.amazonaws.com).
Not evaluated: managed policies, permission boundaries, SCPs, session policies, resource policies
and other condition keys.
"""

from __future__ import annotations

import fnmatch
import json
import re
import threading
from typing import Any
from urllib.parse import unquote

_LOCK = threading.Lock()
_ENFORCE = {"on": False}
_DENIALS: list[dict[str, str]] = []

# moto's service names -> IAM's service prefixes.
PREFIX = {
    "ec2": "ec2",
    "elbv2": "elasticloadbalancing",
    "route53": "route53",
    "kafka": "kafka",
    "ssm": "ssm",
    "vpc-lattice": "vpc-lattice",
    "ram": "ram",
    "lambda": "lambda",
    "iam": "iam",
    "scheduler": "scheduler",
    "cloudwatch": "cloudwatch",
    "acm": "acm",
    "secretsmanager": "secretsmanager",
    "sts": "sts",
    "s3": "s3",
}

# API operations whose IAM action has another name (Service Authorization Reference).
RENAMED = {("lambda", "Invoke"): "InvokeFunction"}

# Each service's access-denied error (code, HTTP status), from its API reference's common errors.
DENIED = {
    "ec2": ("UnauthorizedOperation", 403),
    "elbv2": ("AccessDenied", 403),
    "route53": ("AccessDenied", 403),
    "iam": ("AccessDenied", 403),
    "cloudwatch": ("AccessDenied", 403),
    "sts": ("AccessDenied", 403),
}


def configure(payload: dict[str, Any]) -> dict[str, Any]:
    with _LOCK:
        if "enforce" in payload:
            _ENFORCE["on"] = bool(payload["enforce"])
        if payload.get("clearDenials"):
            _DENIALS.clear()
        return status()


def status() -> dict[str, Any]:
    return {"enforce": _ENFORCE["on"], "denials": list(_DENIALS)}


def _assumed_role(access_key: str) -> tuple[str, str] | None:
    """(role ARN, assumed-role session ARN) of STS session credentials, or None."""
    from moto.sts.models import sts_backends

    for _account, partitions in list(sts_backends.items()):
        for backend in partitions.values():
            found = backend.get_assumed_role_from_access_key(access_key)
            if found is not None:
                name = found.role_arn.split("/")[-1]
                account = found.role_arn.split(":")[4]
                return found.role_arn, f"arn:aws:sts::{account}:assumed-role/{name}/{found.session_name}"
    return None


def _role_policies(role_arn: str) -> list[dict[str, Any]]:
    from moto.iam.models import iam_backends

    account = role_arn.split(":")[4]
    name = role_arn.split("/")[-1]
    try:
        role = iam_backends[account]["aws"].get_role(name)
    except Exception:  # noqa: BLE001 - a deleted role allows nothing
        return []
    out = []
    for doc in role.policies.values():
        out.append(json.loads(doc) if isinstance(doc, str) else doc)
    return out


def _as_list(v: Any) -> list[Any]:
    return v if isinstance(v, list) else [v]


def _match(pattern: str, value: str, case: bool = True) -> bool:
    if not case:
        pattern, value = pattern.lower(), value.lower()
    return fnmatch.fnmatchcase(value, pattern.replace("[", "[[]"))


class Request:
    """What the evaluation needs of one call: params flattened, tags, names."""

    def __init__(self, resp: Any, service: str, action: str, account: str, region: str) -> None:
        self.service, self.action, self.account, self.region = service, action, account, region
        self.path = unquote(getattr(resp, "raw_path", "") or getattr(resp, "path", "") or "")
        self.query: dict[str, str] = {}
        for k, v in (getattr(resp, "querystring", {}) or {}).items():
            self.query[k] = v[0] if isinstance(v, list) and v else v
        self.body: dict[str, Any] = {}
        raw = getattr(resp, "body", None)
        if isinstance(raw, (bytes, bytearray)):
            raw = raw.decode("utf-8", "replace")
        self.raw = raw if isinstance(raw, str) else ""
        if isinstance(raw, str) and raw.strip().startswith("{"):
            try:
                self.body = json.loads(raw)
            except ValueError:
                self.body = {}

    def param(self, name: str) -> Any:
        if name in self.body:
            return self.body[name]
        return self.query.get(name)

    def request_tags(self) -> dict[str, str] | None:
        tags: dict[str, str] = {}
        # EC2: TagSpecification.N.Tag.M.Key / Value; ELB: Tags.member.N.Key / Value.
        for k, v in self.query.items():
            m = re.match(r"^(TagSpecification\.\d+\.Tag\.\d+|Tags\.member\.\d+)\.Key$", k)
            if m:
                tags[str(v)] = str(self.query.get(f"{m.group(1)}.Value", ""))
        body_tags = self.body.get("Tags") or self.body.get("tags")
        if isinstance(body_tags, list):
            for t in body_tags:
                if isinstance(t, dict) and "Key" in t:
                    tags[str(t["Key"])] = str(t.get("Value", ""))
        elif isinstance(body_tags, dict):
            tags.update({str(k): str(v) for k, v in body_tags.items()})
        return tags or None

    def ec2_ids(self) -> list[str]:
        """The resources an EC2 call is authorized on: the endpoint service for the provider's
        endpoint calls (the consumers' endpoints named with it are not the provider's), else the
        endpoints, groups or tagged resources it names."""
        for name in ("ServiceId", "VpcEndpointId", "GroupId", "ResourceId"):
            ids = [
                str(v)
                for k, v in self.query.items()
                if re.match(rf"^{name}(\.\d+)?$", k) and isinstance(v, str)
            ]
            if ids:
                return ids
        return []

    def arn(self, resource: str, regional: bool = True, service: str | None = None) -> str:
        svc = service or PREFIX.get(self.service, self.service)
        return f"arn:aws:{svc}:{self.region if regional else ''}:{self.account}:{resource}"


def _resources(r: Request) -> list[str] | None:
    """The ARNs the call acts on, where the twin can name them; None when it cannot."""
    s, a = r.service, r.action
    if s == "elbv2":
        if a == "CreateLoadBalancer" and r.param("Name"):
            return [r.arn(f"loadbalancer/net/{r.param('Name')}/0000000000000000")]
        if a == "CreateTargetGroup" and r.param("Name"):
            return [r.arn(f"targetgroup/{r.param('Name')}/0000000000000000")]
        arns = [
            str(v)
            for k, v in r.query.items()
            if re.match(r"^(ListenerArn|TargetGroupArn|ResourceArns\.member\.\d+)$", k)
        ]
        if a in ("CreateListener", "SetSecurityGroups", "ModifyLoadBalancerAttributes", "DeleteLoadBalancer"):
            arns = [str(r.param("LoadBalancerArn"))] if r.param("LoadBalancerArn") else arns
        if a.startswith("Describe"):
            return None
        return arns or None
    if s == "iam" and r.param("RoleName"):
        return [f"arn:aws:iam::{r.account}:role/{r.param('RoleName')}"]
    if s == "lambda":
        m = re.search(r"/functions/([^/]+)", r.path)
        name = m.group(1) if m else r.param("FunctionName")
        if name:
            name = str(name).split(":")[-1] if str(name).startswith("arn:") else str(name)
            return [r.arn(f"function:{name}")]
        return None
    if s == "ssm":
        names = r.param("Names") or ([r.param("Name")] if r.param("Name") else [])
        if r.param("ResourceId"):
            names = [r.param("ResourceId")]
        if names and not a.startswith("Describe"):
            return [r.arn(f"parameter/{str(n).lstrip('/')}") for n in names]
        return None
    if s == "secretsmanager":
        name = r.param("SecretId") or r.param("Name")
        if name:
            n = str(name)
            return [n if n.startswith("arn:") else r.arn(f"secret:{n}-abcdef")]
        return None
    if s == "kafka":
        m = re.search(r"(arn:aws[a-z-]*:kafka:[^/]+:\d{12}:cluster/[^/]+/[^/?]+)", r.path)
        return [m.group(1)] if m else None
    if s == "scheduler":
        m = re.search(r"/schedules/([^/?]+)", r.path)
        return [r.arn(f"schedule/default/{m.group(1)}")] if m else None
    if s == "cloudwatch":
        names = r.param("AlarmNames") or ([r.param("AlarmName")] if r.param("AlarmName") else [])
        return [r.arn(f"alarm:{n}") for n in names] or None
    if s == "route53":
        m = re.search(r"/hostedzone/([^/?]+)", r.path)
        if m and a != "CreateHostedZone":
            return [f"arn:aws:route53:::hostedzone/{m.group(1)}"]
        return None
    return None


def _ec2_resource_tags(r: Request) -> list[dict[str, str]] | None:
    ids = r.ec2_ids()
    if r.service != "ec2" or not ids:
        return None
    from moto.ec2.models import ec2_backends

    backend = ec2_backends[r.account][r.region]
    return [dict(backend.tags.get(i, {})) for i in ids]


def _implied(r: Request) -> list[tuple[str, list[str] | None, dict[str, Any]]]:
    """Further authorizations AWS makes for this call: (action, resources, extra context)."""
    out: list[tuple[str, list[str] | None, dict[str, Any]]] = []
    s, a = r.service, r.action
    has_tags = r.request_tags() is not None
    if s == "ec2" and any(k.startswith("TagSpecification.") for k in r.query):
        out.append(("ec2:CreateTags", None, {"ec2:CreateAction": a}))
    if s == "elbv2" and a in ("CreateLoadBalancer", "CreateTargetGroup", "CreateListener") and has_tags:
        out.append(("elasticloadbalancing:AddTags", _resources(r), {}))
    if s == "lambda" and a == "CreateFunction":
        role = r.param("Role")
        if role:
            out.append(("iam:PassRole", [str(role)], {"iam:PassedToService": "lambda.amazonaws.com"}))
        if r.param("VpcConfig"):
            for d in ("ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVpcs"):
                out.append((d, None, {}))
    if s == "scheduler" and a in ("CreateSchedule", "UpdateSchedule"):
        target = r.param("Target") or {}
        role = target.get("RoleArn") if isinstance(target, dict) else None
        if role:
            out.append(("iam:PassRole", [str(role)], {"iam:PassedToService": "scheduler.amazonaws.com"}))
    # MSK makes a multi-VPC connection's endpoint with the caller's permissions (forward access
    # sessions: aws:CalledVia is kafka.amazonaws.com; MSK developer guide, multi-VPC private
    # connectivity, the client account's permissions).
    if s == "kafka" and a == "CreateVpcConnection":
        via = {"aws:CalledVia": "kafka.amazonaws.com"}
        out.append(("ec2:CreateVpcEndpoint", None, via))
        out.append(("ec2:CreateTags", None, via))
    if s == "kafka" and a == "DeleteVpcConnection":
        out.append(("ec2:DeleteVpcEndpoints", None, {"aws:CalledVia": "kafka.amazonaws.com"}))
    # Sharing a resource that has a resource-based policy: RAM puts the policy with the caller's
    # permissions (AWS RAM user guide, "Shareable AWS resources": the service's PutResourcePolicy and
    # GetResourcePolicy). Modelled for VPC Lattice resource configurations.
    if s == "ram" and a in ("CreateResourceShare", "AssociateResourceShare"):
        arns = [str(x) for x in (r.body.get("resourceArns") or []) if ":vpc-lattice:" in str(x)]
        if arns:
            out.append(("vpc-lattice:PutResourcePolicy", arns, {}))
            out.append(("vpc-lattice:GetResourcePolicy", arns, {}))
    if s == "route53" and a == "CreateHostedZone" and "<VPCId>" in r.raw:
        out.append(("route53:AssociateVPCWithHostedZone", None, {}))
        out.append(("ec2:DescribeVpcs", None, {}))
    return out


def _condition_ok(cond: dict[str, Any], ctx: dict[str, Any]) -> bool:
    for op, block in cond.items():
        # Set operators ("Condition operators", IAM user guide): ForAnyValue fails on a key that is
        # absent, ForAllValues holds.
        qualifier, _, bare = op.rpartition(":")
        if_exists = bare.endswith("IfExists")
        base = bare[: -len("IfExists")] if if_exists else bare
        for key, want in block.items():
            known, value = _context_value(key, ctx)
            if not known:
                continue  # the twin cannot tell: taken as satisfied (see the module's notes)
            if value is None:
                if if_exists or qualifier == "ForAllValues":
                    continue
                return False
            wants = [str(w) for w in _as_list(want)]
            values = [str(v) for v in _as_list(value)]
            if base == "StringEquals":
                ok = any(v == w for v in values for w in wants)
            elif base == "StringLike":
                ok = any(_match(w, v) for v in values for w in wants)
            elif base == "StringNotEquals":
                ok = all(v != w for v in values for w in wants)
            else:
                continue
            if not ok:
                return False
    return True


def _context_value(key: str, ctx: dict[str, Any]) -> tuple[bool, Any]:
    """(known, value) of a condition key for this request; value None when known absent."""
    r: Request = ctx["request"]
    if key.startswith("aws:RequestTag/"):
        tags = r.request_tags() or {}
        return True, tags.get(key.split("/", 1)[1])
    if key.startswith("aws:ResourceTag/"):
        if ctx.get("implied"):
            return True, None  # a resource being made has no tags yet
        per = _ec2_resource_tags(r)
        if per is None:
            return False, None
        k = key.split("/", 1)[1]
        values = [t.get(k) for t in per]
        # Every resource the call names must carry it.
        return True, values[0] if values and all(v == values[0] for v in values) else None
    if key in ("ec2:CreateAction", "iam:PassedToService"):
        return True, ctx.get(key)
    if key == "aws:CalledVia":
        return True, ctx.get(key)  # set only on the calls MSK makes on a caller's behalf (below)
    return False, None


def _allowed(policies: list[dict[str, Any]], action: str, resources: list[str] | None, ctx: dict[str, Any]) -> bool:
    allow = False
    for doc in policies:
        for st in _as_list(doc.get("Statement", [])):
            if not any(_match(str(p), action, case=False) for p in _as_list(st.get("Action", []))):
                continue
            patterns = [str(p) for p in _as_list(st.get("Resource", []))]
            if resources is not None and not all(any(_match(p, res) for p in patterns) for res in resources):
                continue
            if not _condition_ok(st.get("Condition", {}) or {}, ctx):
                continue
            if st.get("Effect") == "Deny":
                return False
            allow = True
    return allow


def check(resp: Any, service: str, action: str, account: str, region: str) -> tuple[str, str, int] | None:
    """None when allowed; else (code, message, status) for the service's access-denied error."""
    if not _ENFORCE["on"]:
        return None
    key = getattr(resp, "access_key", None) or ""
    if not key.startswith("ASIA"):
        return None
    who = _assumed_role(key)
    if who is None:
        return None
    role_arn, session_arn = who
    policies = _role_policies(role_arn)
    r = Request(resp, service, action, account, region)
    api = RENAMED.get((service, action), action)
    needed: list[tuple[str, list[str] | None, dict[str, Any]]] = [
        (f"{PREFIX.get(service, service)}:{api}", _resources(r), {})
    ]
    needed += _implied(r)
    for act, res, extra in needed:
        ctx = {"request": r, "implied": act != needed[0][0], **extra}
        if not _allowed(policies, act, res, ctx):
            shown = ", ".join(res) if res else "*"
            message = (
                f"User: {session_arn} is not authorized to perform: {act} on resource: {shown} "
                f"because no identity-based policy allows the {act} action"
            )
            with _LOCK:
                _DENIALS.append({"role": role_arn, "action": act, "resource": shown, "call": f"{service}:{action}"})
            code, status = DENIED.get(service, ("AccessDeniedException", 403 if service not in ("ssm", "secretsmanager", "acm") else 400))
            return code, message, status
    return None
