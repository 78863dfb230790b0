"""AWS RAM resource shares for VPC Lattice resource configurations, across accounts.

moto 5.2.1's RAM keeps shares per account, has no invitations, no ListResources, no
Associate/Disassociate, and refuses GetResourceShares for OTHER-ACCOUNTS (moto 5.2.1's source,
moto/ram). The twin replaces those calls with a process-wide registry, since a share lives in
the owner's account but its invitation, ListResources and EC2 resource endpoints are the
receiving account's. Shapes and error codes: botocore model ram/2018-01-04.

The accounts are not in an AWS Organization, so every principal is external: each principal
account gets an invitation (PENDING) and its association stays ASSOCIATING until the receiver
accepts it ("Accepting and rejecting invitations", AWS RAM user guide). Only VPC Lattice
resource configurations (type SINGLE or GROUP) can be shared here.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import parse_qs

import moto.ram.urls as ram_urls
from moto.core.exceptions import JsonRESTError
from moto.ram.responses import ResourceAccessManagerResponse

import twin_lattice

RESOURCE_TYPE = "vpc-lattice:ResourceConfiguration"  # RAM "Shareable AWS resources"
MAX_TAGS = 50  # the usual AWS limit of 50 user tags per resource
MAX_RESOURCES_PER_CALL = 100  # ResourceShareLimitExceededException: "up to 100 resources per call"
ACCOUNT = re.compile(r"^\d{12}$")
ARN = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:\d{0,12}:.+$")
ORG_PRINCIPAL = re.compile(r"^arn:aws[a-z-]*:organizations::\d{12}:(organization|ou)/(o-\w+)(/ou-[\w-]+)?$")
IAM_PRINCIPAL = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:(root|role/.+|user/.+)$")
ASSOCIATION_STATUSES = (
    "ASSOCIATING", "ASSOCIATED", "FAILED", "DISASSOCIATING", "DISASSOCIATED", "SUSPENDED", "SUSPENDING", "RESTORING",
)
SHARE_STATUSES = ("PENDING", "ACTIVE", "FAILED", "DELETING", "DELETED")


class RamError(JsonRESTError):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(code, message)
        self.code = status  # type: ignore[assignment]
        self.description = json.dumps({"message": message})


@dataclass
class Association:
    entity: str
    kind: str  # PRINCIPAL | RESOURCE
    status: str
    external: bool
    message: str | None = None
    created: float = field(default_factory=time.time)
    updated: float = field(default_factory=time.time)

    def set(self, status: str, message: str | None = None) -> None:
        self.status = status
        self.message = message
        self.updated = time.time()


@dataclass
class Share:
    arn: str
    name: str
    owner: str
    region: str
    allow_external: bool
    client_token: str | None
    params: tuple[Any, ...]
    tags: dict[str, str]
    status: str = "ACTIVE"
    principals: dict[str, Association] = field(default_factory=dict)
    resources: dict[str, Association] = field(default_factory=dict)
    created: float = field(default_factory=time.time)
    updated: float = field(default_factory=time.time)

    def view(self) -> dict[str, Any]:
        return {
            "resourceShareArn": self.arn,
            "name": self.name,
            "owningAccountId": self.owner,
            "allowExternalPrincipals": self.allow_external,
            "status": self.status,
            "tags": [{"key": k, "value": v} for k, v in self.tags.items()],
            "creationTime": self.created,
            "lastUpdatedTime": self.updated,
            "featureSet": "STANDARD",
        }

    def association_view(self, assoc: Association) -> dict[str, Any]:
        out: dict[str, Any] = {
            "resourceShareArn": self.arn,
            "resourceShareName": self.name,
            "associatedEntity": assoc.entity,
            "associationType": assoc.kind,
            "status": assoc.status,
            "creationTime": assoc.created,
            "lastUpdatedTime": assoc.updated,
            "external": assoc.external,
        }
        if assoc.message:
            out["statusMessage"] = assoc.message
        return out


@dataclass
class Invitation:
    arn: str
    share_arn: str
    sender: str
    receiver: str
    region: str
    status: str = "PENDING"
    timestamp: float = field(default_factory=time.time)

    def view(self) -> dict[str, Any]:
        share = SHARES.get(self.share_arn)
        return {
            "resourceShareInvitationArn": self.arn,
            "resourceShareName": share.name if share else "",
            "resourceShareArn": self.share_arn,
            "senderAccountId": self.sender,
            "receiverAccountId": self.receiver,
            "invitationTimestamp": self.timestamp,
            "status": self.status,
        }


SHARES: dict[str, Share] = {}
INVITATIONS: dict[str, Invitation] = {}


def reset() -> None:
    SHARES.clear()
    INVITATIONS.clear()


# --- used by twin_lattice and twin_ec2 ------------------------------------------------


def shared_with(resource_arn: str, account: str, region: str) -> bool:
    """True when an ACTIVE share holds the resource and the account accepted its invitation.
    A child counts as shared with its group: "When added, its automatically accessible to those
    who can access the group." ("Types of resource configurations")"""
    arns = {resource_arn}
    config = twin_lattice.config_by_arn(resource_arn)
    group = config.group() if config is not None else None
    if group is not None:
        arns.add(group.arn)
    for share in SHARES.values():
        if share.status != "ACTIVE" or share.region != region:
            continue
        principal = share.principals.get(account)
        if principal is None or principal.status != "ASSOCIATED":
            continue
        if any(share.resources.get(a) is not None and share.resources[a].status == "ASSOCIATED" for a in arns):
            return True
    return False


def resource_deleted(resource_arn: str) -> None:
    for share in SHARES.values():
        assoc = share.resources.get(resource_arn)
        if assoc is not None and assoc.status != "DISASSOCIATED":
            assoc.set("DISASSOCIATED", "The resource was deleted")


# --- helpers -------------------------------------------------------------------------


def _body(resp: ResourceAccessManagerResponse) -> dict[str, Any]:
    raw = resp.body
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8")
    try:
        data = json.loads(raw) if raw else {}
    except ValueError as exc:
        raise RamError("InvalidParameterException", "Request body is not valid JSON") from exc
    return data if isinstance(data, dict) else {}


def _json(payload: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return json.dumps(payload), {"status": 200, "Content-Type": "application/json"}


def _page(items: list[Any], body: dict[str, Any], max_error: str = "InvalidParameterException") -> tuple[list[Any], str | None]:
    max_results = body.get("maxResults")
    if max_results is None:
        max_results = 500
    elif not isinstance(max_results, int) or not 1 <= max_results <= 500:
        raise RamError(max_error, "maxResults must be between 1 and 500")
    token = body.get("nextToken")
    start = 0
    if token is not None:
        if not isinstance(token, str) or not token.isdigit() or int(token) > len(items):
            raise RamError("InvalidNextTokenException", "The specified value for NextToken isn't valid.")
        start = int(token)
    end = start + max_results
    return items[start:end], (str(end) if end < len(items) else None)


def _paged(key: str, items: list[Any], body: dict[str, Any], max_error: str = "InvalidParameterException") -> Any:
    page, token = _page(items, body, max_error)
    out: dict[str, Any] = {key: page}
    if token:
        out["nextToken"] = token
    return _json(out)


def _tags(raw: Any) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, list):
        raise RamError("InvalidParameterException", "tags must be a list of {key, value}")
    out: dict[str, str] = {}
    for tag in raw:
        key = (tag or {}).get("key")
        if not isinstance(key, str) or not key:
            raise RamError("InvalidParameterException", "Every tag needs a key")
        if key.lower().startswith("aws:"):
            raise RamError("TagPolicyViolationException", f"The tag key {key} is a reserved word and can't be used.")
        out[key] = str(tag.get("value") or "")
    if len(out) > MAX_TAGS:
        raise RamError("TagLimitExceededException", f"A resource share can have at most {MAX_TAGS} tags.")
    return out


def _share_for_owner(arn: Any, account: str) -> Share:
    if not isinstance(arn, str) or not ARN.match(arn):
        raise RamError("MalformedArnException", f"The specified resource share ARN {arn} is not valid.")
    share = SHARES.get(arn)
    if share is None or share.owner != account:
        raise RamError("UnknownResourceException", f"ResourceShare {arn} could not be found.")
    return share


def _check_principals(principals: Any, owner: str, allow_external: bool) -> list[str]:
    if principals is None:
        return []
    if not isinstance(principals, list):
        raise RamError("InvalidParameterException", "principals must be a list")
    for principal in principals:
        if not isinstance(principal, str):
            raise RamError("InvalidParameterException", f"Principal ID {principal} is malformed.")
        org = ORG_PRINCIPAL.match(principal)
        if org:
            # The twin's accounts are in no AWS Organization.
            raise RamError("UnknownResourceException", f"Organization {org.group(2)} could not be found.")
        if IAM_PRINCIPAL.match(principal) or principal.endswith(".amazonaws.com"):
            raise RamError(
                "InvalidParameterException",
                f"Principal {principal}: the AWS twin shares resource configurations with account IDs only.",
            )
        if not ACCOUNT.match(principal):
            raise RamError("InvalidParameterException", f"Principal ID {principal} is malformed. Verify the ID and try again.")
        if principal == owner:
            raise RamError("InvalidParameterException", "You cannot share a resource share with the account that owns it.")
        if not allow_external:
            # With no organization every account is outside it, so a share that does not allow
            # external principals cannot include any account. AWS answers exactly this
            # (OperationNotPermittedException, seen in hashicorp/terraform-provider-aws#7769).
            raise RamError(
                "OperationNotPermittedException",
                "The resource you are attempting to share can only be shared within your AWS Organization. "
                "This error may also occur if you have not enabled sharing with your AWS organization, or "
                "that onboarding process is still in progress.",
            )
    return list(dict.fromkeys(principals))


def _check_resources(arns: Any, owner: str, region: str) -> list[str]:
    if arns is None:
        return []
    if not isinstance(arns, list):
        raise RamError("InvalidParameterException", "resourceArns must be a list")
    if len(arns) > MAX_RESOURCES_PER_CALL:
        raise RamError(
            "ResourceShareLimitExceededException", f"You can associate up to {MAX_RESOURCES_PER_CALL} resources per call."
        )
    for arn in arns:
        if not isinstance(arn, str) or not ARN.match(arn):
            raise RamError("MalformedArnException", f"The specified resource ARN {arn} is not valid. Verify the ARN and try again.")
        if ":vpc-lattice:" not in arn or ":resourceconfiguration/" not in arn:
            raise RamError(
                "InvalidParameterException",
                f"{arn}: the AWS twin shares VPC Lattice resource configurations only.",
            )
        config = twin_lattice.config_by_arn(arn)
        # To share an entity you must own it (VPC Lattice user guide, "Share your VPC Lattice
        # entities": "You can't share an entity that was shared with you").
        if config is None or config.account != owner or config.region != region:
            raise RamError("UnknownResourceException", f"ResourceConfiguration {arn} could not be found.")
        if config.type == "CHILD":
            # "Child resource configuration: ... It can't be shared independently; it can only be
            # shared as part of a group." ("Types of resource configurations")
            raise RamError(
                "InvalidParameterException",
                f"{arn} is a CHILD resource configuration; it can only be shared through its group "
                f"{config.group_id}.",
            )
    return list(dict.fromkeys(arns))


def _invite(share: Share, account: str) -> None:
    """A principal account joins: invitation PENDING, association ASSOCIATING."""
    existing = share.principals.get(account)
    if existing is not None and existing.status in ("ASSOCIATING", "ASSOCIATED"):
        return
    if existing is None:
        share.principals[account] = Association(account, "PRINCIPAL", "ASSOCIATING", external=True)
    else:
        existing.set("ASSOCIATING")
    inv_arn = f"arn:aws:ram:{share.region}:{share.owner}:resource-share-invitation/{uuid.uuid4()}"
    INVITATIONS[inv_arn] = Invitation(inv_arn, share.arn, share.owner, account, share.region)


def _expire_pending(share: Share, account: str | None = None) -> None:
    for inv in INVITATIONS.values():
        if inv.share_arn == share.arn and inv.status == "PENDING" and (account is None or inv.receiver == account):
            inv.status = "EXPIRED"


def _associate_resources(share: Share, arns: list[str]) -> None:
    for arn in arns:
        existing = share.resources.get(arn)
        if existing is None:
            share.resources[arn] = Association(arn, "RESOURCE", "ASSOCIATED", external=False)
        elif existing.status != "ASSOCIATED":
            existing.set("ASSOCIATED")


# --- shares --------------------------------------------------------------------------


def create_resource_share(self: ResourceAccessManagerResponse) -> Any:
    body = _body(self)
    account, region = self.current_account, self.region
    name = body.get("name")
    if not isinstance(name, str) or not name:
        raise RamError("MissingRequiredParameterException", "name is required")
    allow_external = body.get("allowExternalPrincipals")
    allow_external = True if allow_external is None else bool(allow_external)  # model: default true
    principals = _check_principals(body.get("principals"), account, allow_external)
    resources = _check_resources(body.get("resourceArns"), account, region)
    tags = _tags(body.get("tags"))
    token = body.get("clientToken")
    params = (name, tuple(sorted(resources)), tuple(sorted(principals)), allow_external, tuple(sorted(tags.items())))
    if token:
        # "If you retry the operation with the same ClientToken, but with different parameters,
        # the retry fails with an IdempotentParameterMismatch error." (CreateResourceShare)
        for share in SHARES.values():
            if share.owner == account and share.client_token == token:
                if share.params != params:
                    raise RamError(
                        "IdempotentParameterMismatchException",
                        f"The client token {token} was used with different parameters.",
                    )
                return _json({"resourceShare": share.view(), "clientToken": token})
    share = Share(
        arn=f"arn:aws:ram:{region}:{account}:resource-share/{uuid.uuid4()}",
        name=name,
        owner=account,
        region=region,
        allow_external=allow_external,
        client_token=token,
        params=params,
        tags=tags,
    )
    _associate_resources(share, resources)
    for principal in principals:
        _invite(share, principal)
    SHARES[share.arn] = share
    out: dict[str, Any] = {"resourceShare": share.view()}
    if token:
        out["clientToken"] = token
    return _json(out)


def get_resource_shares(self: ResourceAccessManagerResponse) -> Any:
    body = _body(self)
    account, region = self.current_account, self.region
    owner = body.get("resourceOwner")
    if owner not in ("SELF", "OTHER-ACCOUNTS"):
        raise RamError(
            "InvalidParameterException",
            f"{owner} is not a valid resource owner. Specify either SELF or OTHER-ACCOUNTS and try again.",
        )
    status = body.get("resourceShareStatus")
    if status is not None and status not in SHARE_STATUSES:
        raise RamError("InvalidParameterException", f"{status} is not a valid resource share status.")
    arns = body.get("resourceShareArns") or []
    name = body.get("name")
    tag_filters = body.get("tagFilters") or []
    rows = []
    for share in SHARES.values():
        if share.region != region:
            continue
        if owner == "SELF" and share.owner != account:
            continue
        if owner == "OTHER-ACCOUNTS":
            mine = share.principals.get(account)
            # Shares you were invited to show up once you accept them.
            if share.owner == account or mine is None or mine.status != "ASSOCIATED" or share.status == "DELETED":
                continue
        if arns and share.arn not in arns:
            continue
        if status and share.status != status:
            continue
        if name and share.name != name:
            continue
        if not all(
            f.get("tagKey") in share.tags and (not f.get("tagValues") or share.tags[f["tagKey"]] in f["tagValues"])
            for f in tag_filters
        ):
            continue
        rows.append(share.view())
    return _paged("resourceShares", rows, body)


def update_resource_share(self: ResourceAccessManagerResponse) -> Any:
    body = _body(self)
    share = _share_for_owner(body.get("resourceShareArn"), self.current_account)
    if share.status != "ACTIVE":
        raise RamError("InvalidStateTransitionException", f"ResourceShare {share.arn} is {share.status}.")
    if body.get("allowExternalPrincipals") is not None:
        allow = bool(body["allowExternalPrincipals"])
        live = [p for p, a in share.principals.items() if a.status in ("ASSOCIATING", "ASSOCIATED")]
        if not allow and live:
            _check_principals(live, share.owner, False)
        share.allow_external = allow
    if body.get("name"):
        share.name = str(body["name"])
    share.updated = time.time()
    out: dict[str, Any] = {"resourceShare": share.view()}
    if body.get("clientToken"):
        out["clientToken"] = body["clientToken"]
    return _json(out)


def delete_resource_share(self: ResourceAccessManagerResponse) -> Any:
    query = parse_qs(self.parsed_url.query)
    arn = (query.get("resourceShareArn") or [None])[0]
    share = _share_for_owner(arn, self.current_account)
    if share.status == "DELETED":
        raise RamError("InvalidStateTransitionException", f"ResourceShare {share.arn} is already deleted.")
    share.status = "DELETED"
    share.updated = time.time()
    for assoc in [*share.principals.values(), *share.resources.values()]:
        if assoc.status != "DISASSOCIATED":
            assoc.set("DISASSOCIATED")
    _expire_pending(share)
    out: dict[str, Any] = {"returnValue": True}
    token = (query.get("clientToken") or [None])[0]
    if token:
        out["clientToken"] = token
    return _json(out)


def associate_resource_share(self: ResourceAccessManagerResponse) -> Any:
    body = _body(self)
    share = _share_for_owner(body.get("resourceShareArn"), self.current_account)
    if share.status != "ACTIVE":
        raise RamError("InvalidStateTransitionException", f"ResourceShare {share.arn} is {share.status}.")
    principals = _check_principals(body.get("principals"), share.owner, share.allow_external)
    resources = _check_resources(body.get("resourceArns"), share.owner, share.region)
    _associate_resources(share, resources)
    for principal in principals:
        _invite(share, principal)
    share.updated = time.time()
    rows = [share.association_view(share.resources[a]) for a in resources]
    rows += [share.association_view(share.principals[p]) for p in principals]
    out: dict[str, Any] = {"resourceShareAssociations": rows}
    if body.get("clientToken"):
        out["clientToken"] = body["clientToken"]
    return _json(out)


def disassociate_resource_share(self: ResourceAccessManagerResponse) -> Any:
    body = _body(self)
    share = _share_for_owner(body.get("resourceShareArn"), self.current_account)
    if share.status != "ACTIVE":
        raise RamError("InvalidStateTransitionException", f"ResourceShare {share.arn} is {share.status}.")
    rows = []
    for principal in body.get("principals") or []:
        assoc = share.principals.get(principal)
        if assoc is None:
            raise RamError("UnknownResourceException", f"Principal {principal} is not associated with {share.arn}.")
        assoc.set("DISASSOCIATED")
        _expire_pending(share, principal)
        rows.append(share.association_view(assoc))
    for arn in body.get("resourceArns") or []:
        assoc = share.resources.get(arn)
        if assoc is None:
            raise RamError("UnknownResourceException", f"Resource {arn} is not associated with {share.arn}.")
        assoc.set("DISASSOCIATED")
        rows.append(share.association_view(assoc))
    share.updated = time.time()
    out: dict[str, Any] = {"resourceShareAssociations": rows}
    if body.get("clientToken"):
        out["clientToken"] = body["clientToken"]
    return _json(out)


def get_resource_share_associations(self: ResourceAccessManagerResponse) -> Any:
    body = _body(self)
    account, region = self.current_account, self.region
    kind = body.get("associationType")
    if kind not in ("PRINCIPAL", "RESOURCE", "SOURCE"):
        raise RamError(
            "InvalidParameterException",
            f"{kind} is not a valid association type. Specify either PRINCIPAL or RESOURCE and try again.",
        )
    status = body.get("associationStatus")
    if status is not None and status not in ASSOCIATION_STATUSES:
        raise RamError("InvalidParameterException", f"{status} is not a valid association status.")
    principal = body.get("principal")
    resource_arn = body.get("resourceArn")
    if kind == "PRINCIPAL" and resource_arn:
        raise RamError("InvalidParameterException", "You cannot specify a resource ARN when the association type is PRINCIPAL.")
    if kind == "RESOURCE" and principal:
        raise RamError("InvalidParameterException", "You cannot specify a principal when the association type is RESOURCE.")
    arns = body.get("resourceShareArns") or []
    rows = []
    for share in SHARES.values():
        if share.region != region or (arns and share.arn not in arns):
            continue
        if kind == "PRINCIPAL":
            for assoc in share.principals.values():
                # The owner sees every principal; a receiver sees its own association.
                if share.owner != account and assoc.entity != account:
                    continue
                if principal and assoc.entity != principal:
                    continue
                if status and assoc.status != status:
                    continue
                rows.append(share.association_view(assoc))
        elif kind == "RESOURCE" and share.owner == account:
            for assoc in share.resources.values():
                if resource_arn and assoc.entity != resource_arn:
                    continue
                if status and assoc.status != status:
                    continue
                rows.append(share.association_view(assoc))
    return _paged("resourceShareAssociations", rows, body)


# --- invitations (the receiving account's side) ----------------------------------------


def get_resource_share_invitations(self: ResourceAccessManagerResponse) -> Any:
    body = _body(self)
    account, region = self.current_account, self.region
    wanted = body.get("resourceShareInvitationArns") or []
    for arn in wanted:
        if not isinstance(arn, str) or not ARN.match(arn):
            raise RamError("MalformedArnException", f"The specified invitation ARN {arn} is not valid.")
        inv = INVITATIONS.get(arn)
        if inv is None or inv.receiver != account:
            raise RamError("ResourceShareInvitationArnNotFoundException", f"ResourceShareInvitation {arn} could not be found.")
    share_arns = body.get("resourceShareArns") or []
    rows = [
        inv.view()
        for inv in INVITATIONS.values()
        if inv.receiver == account
        and inv.region == region
        and (not wanted or inv.arn in wanted)
        and (not share_arns or inv.share_arn in share_arns)
    ]
    return _paged("resourceShareInvitations", rows, body, "InvalidMaxResultsException")


def _invitation_for_receiver(resp: ResourceAccessManagerResponse, body: dict[str, Any]) -> Invitation:
    arn = body.get("resourceShareInvitationArn")
    if not isinstance(arn, str) or not ARN.match(arn):
        raise RamError("MalformedArnException", f"The specified invitation ARN {arn} is not valid.")
    inv = INVITATIONS.get(arn)
    if inv is None or inv.receiver != resp.current_account:
        raise RamError("ResourceShareInvitationArnNotFoundException", f"ResourceShareInvitation {arn} could not be found.")
    if inv.status == "ACCEPTED":
        raise RamError("ResourceShareInvitationAlreadyAcceptedException", f"ResourceShareInvitation {arn} is already accepted.")
    if inv.status == "REJECTED":
        raise RamError("ResourceShareInvitationAlreadyRejectedException", f"ResourceShareInvitation {arn} is already rejected.")
    if inv.status == "EXPIRED":
        raise RamError("ResourceShareInvitationExpiredException", f"ResourceShareInvitation {arn} has expired.")
    return inv


def _decide(resp: ResourceAccessManagerResponse, accept: bool) -> Any:
    body = _body(resp)
    inv = _invitation_for_receiver(resp, body)
    share = SHARES[inv.share_arn]
    assoc = share.principals.get(inv.receiver)
    if accept:
        inv.status = "ACCEPTED"
        if assoc is not None:
            assoc.set("ASSOCIATED")
    else:
        inv.status = "REJECTED"
        if assoc is not None:
            assoc.set("DISASSOCIATED", "The principal rejected the resource share invitation.")
    out: dict[str, Any] = {"resourceShareInvitation": inv.view()}
    if body.get("clientToken"):
        out["clientToken"] = body["clientToken"]
    return _json(out)


def accept_resource_share_invitation(self: ResourceAccessManagerResponse) -> Any:
    return _decide(self, True)


def reject_resource_share_invitation(self: ResourceAccessManagerResponse) -> Any:
    return _decide(self, False)


def list_resources(self: ResourceAccessManagerResponse) -> Any:
    body = _body(self)
    account, region = self.current_account, self.region
    owner = body.get("resourceOwner")
    if owner not in ("SELF", "OTHER-ACCOUNTS"):
        raise RamError(
            "InvalidParameterException",
            f"{owner} is not a valid resource owner. Specify either SELF or OTHER-ACCOUNTS and try again.",
        )
    scope = body.get("resourceRegionScope") or "ALL"
    if scope not in ("ALL", "REGIONAL", "GLOBAL"):
        raise RamError("InvalidParameterException", f"{scope} is not a valid resource region scope.")
    rtype = body.get("resourceType")
    principal = body.get("principal")
    arns = body.get("resourceArns") or []
    share_arns = body.get("resourceShareArns") or []
    rows = []
    for share in SHARES.values():
        if share.status != "ACTIVE" or share.region != region or (share_arns and share.arn not in share_arns):
            continue
        if owner == "SELF":
            if share.owner != account:
                continue
            if principal and principal not in share.principals:
                continue
        else:
            mine = share.principals.get(account)
            if share.owner == account or mine is None or mine.status != "ASSOCIATED":
                continue
            if principal and principal != share.owner:
                continue
        for assoc in share.resources.values():
            if assoc.status != "ASSOCIATED" or (arns and assoc.entity not in arns):
                continue
            if twin_lattice.config_by_arn(assoc.entity) is None:
                continue
            if rtype and rtype.lower() != RESOURCE_TYPE.lower():
                continue
            if scope == "GLOBAL":
                continue
            rows.append(
                {
                    "arn": assoc.entity,
                    "type": RESOURCE_TYPE,
                    "resourceShareArn": share.arn,
                    "status": "AVAILABLE",
                    "creationTime": assoc.created,
                    "lastUpdatedTime": assoc.updated,
                    "resourceRegionScope": "REGIONAL",
                }
            )
    return _paged("resources", rows, body)


# --- tags ----------------------------------------------------------------------------


def _tag_target(resp: ResourceAccessManagerResponse, body: dict[str, Any]) -> Share:
    arn = body.get("resourceShareArn") or body.get("resourceArn")
    if not arn:
        raise RamError("MissingRequiredParameterException", "resourceShareArn is required")
    return _share_for_owner(arn, resp.current_account)


def tag_resource(self: ResourceAccessManagerResponse) -> Any:
    body = _body(self)
    share = _tag_target(self, body)
    tags = _tags(body.get("tags"))
    merged = {**share.tags, **tags}
    if len(merged) > MAX_TAGS:
        raise RamError("TagLimitExceededException", f"A resource share can have at most {MAX_TAGS} tags.")
    share.tags = merged
    return _json({})


def untag_resource(self: ResourceAccessManagerResponse) -> Any:
    body = _body(self)
    share = _tag_target(self, body)
    for key in body.get("tagKeys") or []:
        share.tags.pop(key, None)
    return _json({})


ROUTES = {
    "{0}/associateresourceshare$": ResourceAccessManagerResponse.dispatch,
    "{0}/disassociateresourceshare$": ResourceAccessManagerResponse.dispatch,
    "{0}/getresourceshareinvitations$": ResourceAccessManagerResponse.dispatch,
    "{0}/acceptresourceshareinvitation$": ResourceAccessManagerResponse.dispatch,
    "{0}/rejectresourceshareinvitation$": ResourceAccessManagerResponse.dispatch,
    "{0}/listresources$": ResourceAccessManagerResponse.dispatch,
    "{0}/tagresource$": ResourceAccessManagerResponse.dispatch,
    "{0}/untagresource$": ResourceAccessManagerResponse.dispatch,
}

HANDLERS: dict[str, Callable[..., Any]] = {
    "create_resource_share": create_resource_share,
    "get_resource_shares": get_resource_shares,
    "update_resource_share": update_resource_share,
    "delete_resource_share": delete_resource_share,
    "associate_resource_share": associate_resource_share,
    "disassociate_resource_share": disassociate_resource_share,
    "get_resource_share_associations": get_resource_share_associations,
    "get_resource_share_invitations": get_resource_share_invitations,
    "accept_resource_share_invitation": accept_resource_share_invitation,
    "reject_resource_share_invitation": reject_resource_share_invitation,
    "list_resources": list_resources,
    "tag_resource": tag_resource,
    "untag_resource": untag_resource,
}


def install() -> None:
    # Routes must be in moto's url_paths before the ram flask app is built (warm()).
    ram_urls.url_paths.update(ROUTES)
    for name, handler in HANDLERS.items():
        setattr(ResourceAccessManagerResponse, name, handler)
