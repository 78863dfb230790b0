"""Request hook shared by every service: counters, latency, faults and throttling.

moto sends every API call through BaseResponse.call_action (after setup_class has worked
out the account, region and action), so one wrapper there sees all calls.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from typing import Any
from xml.sax.saxutils import escape

from moto.core.responses import BaseResponse

from twin_state import STATE
import twin_crash
import twin_iam

# Wire protocol per moto service name (from the botocore models' metadata.protocol).
PROTOCOLS = {
    "ec2": "ec2",
    "elbv2": "query",
    "sts": "query",
    "iam": "query",
    "route53": "rest-xml",
    "kafka": "rest-json",
    "ssm": "json",
    "vpc-lattice": "rest-json",
    "ram": "rest-json",
    "lambda": "rest-json",
    "scheduler": "rest-json",
    # CloudWatch answers the SDK for JavaScript v3 in awsJson1_0 (its client's protocol).
    "cloudwatch": "json",
    "secretsmanager": "json",
}

# moto's service names that differ from AWS's (moto calls Lambda "awslambda"); counters, faults
# and the tables here use AWS's.
SERVICE_ALIASES = {"awslambda": "lambda"}

# (service, action) pairs whose handlers take MOTO_LOCK themselves, around moto's state only
# (Lambda Invoke runs the function's code for up to its timeout; see twin_lambda.py).
UNLOCKED_ACTIONS: set[tuple[str, str]] = set()

XMLNS = {
    "elbv2": "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/",
    "sts": "https://sts.amazonaws.com/doc/2011-06-15/",
    "iam": "https://iam.amazonaws.com/doc/2010-05-08/",
    "route53": "https://route53.amazonaws.com/doc/2013-04-01/",
}

# Each service's own throttling error (code, HTTP status). Sources: EC2 API "Request
# throttling" (RequestLimitExceeded, 503); ELBv2 and STS query APIs (Throttling, 400);
# Route 53 API errors (Throttling, 400); MSK API (TooManyRequestsException, 429);
# SSM (ThrottlingException, 400); VPC Lattice and RAM (ThrottlingException, 429, botocore models
# vpc-lattice/2022-11-30 and ram/2018-01-04); Lambda (TooManyRequestsException, 429, botocore
# lambda/2015-03-31). AWS SDK v3 treats all of them as throttling errors.
THROTTLE_ERRORS: dict[str, tuple[str, int]] = {
    "ec2": ("RequestLimitExceeded", 503),
    "elbv2": ("Throttling", 400),
    "sts": ("Throttling", 400),
    "iam": ("Throttling", 400),
    "route53": ("Throttling", 400),
    "kafka": ("TooManyRequestsException", 429),
    "ssm": ("ThrottlingException", 400),
    "vpc-lattice": ("ThrottlingException", 429),
    "ram": ("ThrottlingException", 429),
    "lambda": ("TooManyRequestsException", 429),
    "scheduler": ("ThrottlingException", 429),  # botocore scheduler/2021-06-30
    "cloudwatch": ("Throttling", 400),  # "Throttling: Rate exceeded", as its query API has it
    "secretsmanager": ("ThrottlingException", 400),  # Secrets Manager quotas: "ThrottlingException"
}

# Server-side error codes per service for injected 5xx faults (each model's 500 error shape).
INTERNAL_ERRORS: dict[str, str] = {
    "ec2": "InternalError",
    "kafka": "InternalServerErrorException",
    "ssm": "InternalServerError",
    "vpc-lattice": "InternalServerException",
    "ram": "ServerInternalException",
    "lambda": "ServiceException",
    "scheduler": "InternalServerException",
    "cloudwatch": "InternalServiceFault",  # botocore monitoring/2010-08-01
    "secretsmanager": "InternalServiceError",  # botocore secretsmanager/2017-10-17
}


def protocol_of(service: str) -> str:
    return PROTOCOLS.get(service, "query")


def error_response(service: str, code: str, message: str, status: int) -> tuple[int, dict[str, str], str]:
    """An error in the service's wire format, so the SDK parses `code` into err.name."""
    request_id = str(uuid.uuid4())
    protocol = protocol_of(service)
    headers = {"x-amzn-RequestId": request_id}
    if protocol == "ec2":
        headers["Content-Type"] = "text/xml"
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Response><Errors><Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message>"
            f"</Error></Errors><RequestID>{request_id}</RequestID></Response>"
        )
    elif protocol in ("query", "rest-xml"):
        headers["Content-Type"] = "text/xml"
        fault = "Receiver" if status >= 500 else "Sender"
        xmlns = XMLNS.get(service, "")
        ns = f' xmlns="{xmlns}"' if xmlns else ""
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse{ns}><Error><Type>{fault}</Type>'
            f"<Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        )
    elif protocol == "rest-json":
        headers["Content-Type"] = "application/json"
        headers["x-amzn-ErrorType"] = code
        body = json.dumps({"message": message})
    else:  # json (awsJson1_1)
        headers["Content-Type"] = "application/x-amz-json-1.1"
        body = json.dumps({"__type": code, "message": message})
    return status, headers, body


def throttle_response(service: str) -> tuple[int, dict[str, str], str]:
    code, status = THROTTLE_ERRORS.get(service, ("Throttling", 400))
    return error_response(service, code, "Rate exceeded", status)


def fault_response(service: str, payload: dict[str, Any]) -> tuple[int, dict[str, str], str]:
    kind = payload.get("kind", "error")
    if kind == "throttle":
        return throttle_response(service)
    if kind == "5xx":
        status = int(payload.get("status", 500))
        default_code = "ServiceUnavailable" if status == 503 else INTERNAL_ERRORS.get(service, "InternalFailure")
        code = str(payload.get("code", default_code))
        return error_response(service, code, str(payload.get("message", "Injected server error")), status)
    code = payload.get("code")
    if not code:
        raise ValueError("an error fault needs a code")
    return error_response(service, str(code), str(payload.get("message", f"Injected {code}")), int(payload.get("status", 400)))


_original_call_action = BaseResponse.call_action
MOTO_LOCK = threading.RLock()


def _call_action(self: BaseResponse) -> Any:
    service = SERVICE_ALIASES.get(self.service_name, self.service_name) or "unknown"
    try:
        action = self._get_action() or "unknown"
    except Exception:  # noqa: BLE001 - an unknown route still gets counted
        action = "unknown"
    account = getattr(self, "current_account", "unknown")
    region = getattr(self, "region", "unknown")
    STATE.count(account, region, service, action, "calls")

    latency = STATE.pick_latency(service, action, account)
    if latency is not None:
        time.sleep(STATE.latency_s(latency))

    fault = STATE.pick_fault(service, action, account)
    if fault is not None:
        STATE.count(account, region, service, action, "faulted")
        return fault_response(service, fault.payload)

    if not STATE.take_token(account, region, service, action):
        STATE.count(account, region, service, action, "throttled")
        return throttle_response(service)

    # IAM enforcement (twin_iam.py, off unless asked): assumed-role callers need their policies.
    denied = twin_iam.check(self, service, action, account, region)
    if denied is not None:
        return error_response(service, *denied)

    if (service, action) in UNLOCKED_ACTIONS:
        result = _original_call_action(self)
    else:
        # moto is not thread-safe and some twin patches swap state for one call: run moto's
        # work one call at a time (latency injection above sleeps outside the lock).
        with MOTO_LOCK:
            result = _original_call_action(self)
    # Crash injection (twin_crash.py): may kill the caller now, before it gets this answer.
    status = result[0] if isinstance(result, tuple) and result and isinstance(result[0], int) else 200
    twin_crash.observe(service, action, status)
    return result


# Static test credentials that name their account: "AKIA" + 12-digit account + "TWIN".
# They survive /moto-api/reset (STS session keys do not), so test clients stay valid.
TWIN_KEY = re.compile(r"^AKIA(\d{12})TWIN$")


def twin_access_key(account: str) -> str:
    return f"AKIA{account}TWIN"


def install() -> None:
    BaseResponse.call_action = _call_action  # type: ignore[method-assign]

    import moto.iam.models as iam_models

    original = iam_models.get_account_id_from

    def get_account_id_from(access_key: str) -> str:
        match = TWIN_KEY.match(access_key or "")
        if match:
            return match.group(1)
        return original(access_key)

    iam_models.get_account_id_from = get_account_id_from
