"""EventBridge Scheduler for `monitor`: a rate schedule that invokes a Lambda function with a fixed input.

moto 5.2.1 stores schedules and groups but checks almost nothing (any ScheduleExpression, no
FlexibleTimeWindow or Target checks, an unknown group is an HTTP 500), answers a duplicate schedule
with a 400 instead of the model's 409 ConflictException, overwrites a group created twice, leaves
`State` empty after an UpdateSchedule without one, and never runs a schedule. Here:

* CreateSchedule/UpdateSchedule validate what the API reference constrains (names, the three
  expression forms, FlexibleTimeWindow, Target with Arn and RoleArn, JSON Input for Lambda targets,
  State, ActionAfterCompletion, RetryPolicy); errors carry the model's status.
* POST /_twin/scheduler/fire delivers matching ENABLED schedules now, the way EventBridge Scheduler
  does it for a Lambda target: it assumes the execution role and calls Invoke with InvocationType
  Event (Target.Input as the event, context attributes filled in). The route waits for each run and
  answers its outcome so tests are deterministic.
* With auto-firing on (POST /_twin/scheduler/auto), ENABLED rate() schedules fire by themselves every
  N minutes, a minute being `schedulerMinuteMs` (delays).
"""

from __future__ import annotations

import calendar
import json
import re
import secrets
import threading
import time
from collections import deque
from typing import Any

from moto.awslambda.exceptions import LambdaClientError
from moto.awslambda.models import lambda_backends
from moto.core.exceptions import JsonRESTError
from moto.iam.models import iam_backends
from moto.scheduler.exceptions import ScheduleExists, ScheduleGroupNotFound
from moto.scheduler.models import EventBridgeSchedulerBackend, scheduler_backends
from moto.scheduler.responses import EventBridgeSchedulerResponse

import twin_core
import twin_lambda
from twin_state import STATE

DEFAULT_REGION = "us-east-1"


class SchedulerError(JsonRESTError):
    """An error with the model's HTTP status (botocore scheduler/2021-06-30 error shapes)."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(code, message)
        self.code = status  # type: ignore[assignment]


def _validation(message: str) -> SchedulerError:
    return SchedulerError("ValidationException", message)


def _constraint(value: Any, member: str, constraint: str) -> SchedulerError:
    shown = "null" if value is None else f"'{value}'"
    return _validation(
        f"1 validation error detected: Value {shown} at '{member}' failed to satisfy constraint: {constraint}"
    )


# --- request validation (API reference: CreateSchedule, UpdateSchedule, Target, FlexibleTimeWindow) ---

NAME = re.compile(r"^[0-9a-zA-Z\-_.]{1,64}$")
ROLE_ARN = re.compile(r"^arn:aws(-[a-z]+)?:iam::(\d{12}):role/[\w+=,.@/-]+$")
LAMBDA_ARN = re.compile(r"^arn:aws(?:-[a-z]+)?:lambda:([a-z0-9-]+):(\d{12}):function:([A-Za-z0-9_-]+)(?::([A-Za-z0-9$_-]+))?$")
RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
AT = re.compile(r"^at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)$")
UNIT_MINUTES = {"minute": 1, "minutes": 1, "hour": 60, "hours": 60, "day": 1440, "days": 1440}

MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
# (low, high, names, extra wildcards) per field of cron(minutes hours day-of-month month day-of-week year)
# (EventBridge Scheduler user guide, "Schedule types in EventBridge Scheduler", cron-based schedules).
CRON_FIELDS: list[tuple[int, int, list[str], str]] = [
    (0, 59, [], ""),
    (0, 23, [], ""),
    (1, 31, [], "?LW"),
    (1, 12, MONTHS, ""),
    (1, 7, DAYS, "?L#"),
    (1970, 2199, [], ""),
]


def _cron_value(text: str, low: int, high: int, names: list[str]) -> bool:
    if text.upper() in names:
        return True
    return text.isdigit() and low <= int(text) <= high


def _cron_field_ok(field: str, spec: tuple[int, int, list[str], str]) -> bool:
    low, high, names, extra = spec
    if field == "?":
        return "?" in extra
    for item in field.split(","):
        base, _, step = item.partition("/")
        if step and not (step.isdigit() and int(step) > 0):
            return False
        if base == "*":
            continue
        if "L" in extra and re.fullmatch(r"L|\d{0,2}L|LW|\d{1,2}W", base.upper()):
            continue
        if "#" in extra and re.fullmatch(r"[1-7]#[1-5]", base):
            continue
        first, _, last = base.partition("-")
        if not _cron_value(first, low, high, names) or (last and not _cron_value(last, low, high, names)):
            return False
    return True


def _valid_cron(body: str) -> bool:
    fields = body.split()
    if len(fields) != 6:
        return False
    # Day-of-month and day-of-week cannot both be given: exactly one of them is "?".
    if (fields[2] == "?") == (fields[4] == "?"):
        return False
    return all(_cron_field_ok(f, spec) for f, spec in zip(fields, CRON_FIELDS))


def _valid_at(match: re.Match[str]) -> bool:
    year, month, day, hour, minute, second = (int(g) for g in match.groups())
    try:
        time.strptime(f"{year:04d}-{month:02d}-{day:02d} {hour:02d}:{minute:02d}:{second:02d}", "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return False
    return True


def rate_minutes(expression: str) -> int | None:
    match = RATE.match(expression or "")
    return int(match.group(1)) * UNIT_MINUTES[match.group(2)] if match else None


def check_expression(expression: Any) -> None:
    """rate(value unit) with a positive integer value and unit minute(s)/hour(s)/day(s), cron() with six
    fields, or at(yyyy-mm-ddThh:mm:ss) (API reference, CreateSchedule, ScheduleExpression)."""
    if expression is None:
        raise _constraint(None, "scheduleExpression", "Member must not be null")
    text = str(expression)
    ok = False
    rate = RATE.match(text)
    if rate:
        ok = int(rate.group(1)) >= 1
    elif text.startswith("cron(") and text.endswith(")"):
        ok = _valid_cron(text[5:-1])
    else:
        at = AT.match(text)
        ok = bool(at) and _valid_at(at)  # type: ignore[arg-type]
    if not ok or len(text) > 256:
        # The service's wording for a bad expression (quoted in localstack/localstack#9284).
        raise _validation(f"Invalid Schedule Expression {text}")


def _check_name(value: Any, member: str) -> None:
    if value is None:
        raise _constraint(None, member, "Member must not be null")
    if not NAME.match(str(value)):
        raise _constraint(value, member, "Member must satisfy regular expression pattern: ^[0-9a-zA-Z-_.]+$")


def _check_window(window: Any) -> None:
    if not isinstance(window, dict):
        raise _constraint(None, "flexibleTimeWindow", "Member must not be null")
    mode = window.get("Mode")
    if mode not in ("OFF", "FLEXIBLE"):
        raise _constraint(mode, "flexibleTimeWindow.mode", "Member must satisfy enum value set: [OFF, FLEXIBLE]")
    maximum = window.get("MaximumWindowInMinutes")
    if maximum is not None and not 1 <= int(maximum) <= 1440:
        raise _constraint(
            maximum, "flexibleTimeWindow.maximumWindowInMinutes", "Member must have value between 1 and 1440"
        )
    if mode == "FLEXIBLE" and maximum is None:
        # The twin's wording: a FLEXIBLE window needs its size (API reference, FlexibleTimeWindow).
        raise _validation("MaximumWindowInMinutes is required when FlexibleTimeWindow.Mode is FLEXIBLE.")


def _check_target(target: Any) -> None:
    if not isinstance(target, dict):
        raise _constraint(None, "target", "Member must not be null")
    arn = target.get("Arn")
    if not arn:
        raise _constraint(None, "target.arn", "Member must not be null")
    if len(str(arn)) > 1600:
        raise _constraint(arn, "target.arn", "Member must have length less than or equal to 1600")
    role = target.get("RoleArn")
    if not role:
        raise _constraint(None, "target.roleArn", "Member must not be null")
    if not ROLE_ARN.match(str(role)):
        raise _constraint(
            role,
            "target.roleArn",
            "Member must satisfy regular expression pattern: ^arn:aws(-[a-z]+)?:iam::\\d{12}:role\\/[\\w+=,.@\\/-]+$",
        )
    if "Input" in target:
        text = target.get("Input")
        if text is None or len(str(text)) < 1:
            raise _constraint(text, "target.input", "Member must have length greater than or equal to 1")
        if LAMBDA_ARN.match(str(arn)):
            # "If you are configuring a templated Lambda ... target, the input must be a well-formed
            # JSON" (API reference, Target, Input).
            try:
                json.loads(text)
            except ValueError:
                raise _validation("Target.Input must be well-formed JSON for a templated Lambda target.") from None
    retry = target.get("RetryPolicy") or {}
    attempts = retry.get("MaximumRetryAttempts")
    if attempts is not None and not 0 <= int(attempts) <= 185:
        raise _constraint(attempts, "target.retryPolicy.maximumRetryAttempts", "Member must have value between 0 and 185")
    age = retry.get("MaximumEventAgeInSeconds")
    if age is not None and not 60 <= int(age) <= 86400:
        raise _constraint(age, "target.retryPolicy.maximumEventAgeInSeconds", "Member must have value between 60 and 86400")


def _check_schedule(response: EventBridgeSchedulerResponse, name: str) -> None:
    _check_name(name, "name")
    group = response._get_param("GroupName")
    if group is not None:
        _check_name(group, "groupName")
    check_expression(response._get_param("ScheduleExpression"))
    _check_window(response._get_param("FlexibleTimeWindow"))
    _check_target(response._get_param("Target"))
    state = response._get_param("State")
    if state is not None and state not in ("ENABLED", "DISABLED"):
        raise _constraint(state, "state", "Member must satisfy enum value set: [ENABLED, DISABLED]")
    after = response._get_param("ActionAfterCompletion")
    if after is not None and after not in ("NONE", "DELETE"):
        raise _constraint(after, "actionAfterCompletion", "Member must satisfy enum value set: [NONE, DELETE]")


_original_create = EventBridgeSchedulerResponse.create_schedule
_original_update = EventBridgeSchedulerResponse.update_schedule
_original_create_group = EventBridgeSchedulerResponse.create_schedule_group
_original_delete_group = EventBridgeSchedulerBackend.delete_schedule_group


def _schedule_name(response: EventBridgeSchedulerResponse) -> str:
    return response.uri.split("?")[0].rstrip("/").split("/")[-1]


def _create_schedule(self: EventBridgeSchedulerResponse) -> str:
    name = _schedule_name(self)
    _check_schedule(self, name)
    group = self._get_param("GroupName") or "default"
    self.scheduler_backend.get_schedule_group(group)  # ResourceNotFoundException (moto: a 500 KeyError)
    out = _original_create(self)
    schedule = self.scheduler_backend.get_schedule(group, name)
    # ActionAfterCompletion defaults to NONE (API reference, CreateSchedule).
    schedule.action_after_completion = schedule.action_after_completion or "NONE"
    return out


def _update_schedule(self: EventBridgeSchedulerResponse) -> str:
    name = _schedule_name(self)
    _check_schedule(self, name)
    out = _original_update(self)
    schedule = self.scheduler_backend.get_schedule(self._get_param("GroupName"), name)
    # UpdateSchedule replaces every field; omitted optional ones take their defaults (API reference,
    # UpdateSchedule: call GetSchedule first and pass every field you want to keep).
    schedule.state = self._get_param("State") or "ENABLED"
    schedule.action_after_completion = self._get_param("ActionAfterCompletion") or "NONE"
    return out


def _create_schedule_group(self: EventBridgeSchedulerResponse) -> str:
    name = _schedule_name(self)
    _check_name(name, "name")
    if name in self.scheduler_backend.schedule_groups:
        raise SchedulerError("ConflictException", f"Schedule group {name} already exists.", 409)
    return _original_create_group(self)


def _delete_schedule_group(self: EventBridgeSchedulerBackend, name: str | None) -> None:
    # Deleting a group deletes its schedules with it (API reference, DeleteScheduleGroup); moto's
    # pop of an unknown name is a KeyError (HTTP 500).
    if (name or "default") not in self.schedule_groups:
        raise ScheduleGroupNotFound(name or "default")
    _original_delete_group(self, name)


# --- delivering a schedule to its target ------------------------------------------------------

_LOCK = threading.RLock()
_LOG: deque[dict[str, Any]] = deque(maxlen=500)  # every delivery, newest last (GET /scheduler/invocations)


def _now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _snapshot(schedule: Any, region: str, account: str) -> dict[str, Any]:
    target = dict(schedule.target or {})
    return {
        "account": account,
        "region": region,
        "scheduleArn": schedule.arn,
        "name": schedule.name,
        "groupName": schedule.group_name,
        "expression": schedule.schedule_expression,
        "state": schedule.state,
        "endDate": schedule.end_date,
        "actionAfterCompletion": schedule.action_after_completion,
        "targetArn": str(target.get("Arn", "")),
        "roleArn": str(target.get("RoleArn", "")),
        "input": target.get("Input"),
    }


def _timestamp(value: Any) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(calendar.timegm(time.strptime(str(value)[:19], "%Y-%m-%dT%H:%M:%S")))
    except ValueError:
        return None


def _role_problem(role_arn: str) -> str | None:
    """Why EventBridge Scheduler cannot assume the execution role, or None. The role's trust policy must
    let scheduler.amazonaws.com assume it (EventBridge Scheduler user guide, "Setting up Amazon EventBridge
    Scheduler", execution role); its permissions are not modelled."""
    match = ROLE_ARN.match(role_arn)
    if not match:
        return "not a role ARN"
    iam = iam_backends[match.group(2)]["aws"]
    try:
        role = iam.get_role_by_arn(role_arn)
    except Exception:  # noqa: BLE001 - IAM's NoSuchEntity
        return "the role does not exist"
    if not twin_lambda.trusts_service(role.assume_role_policy_document, "scheduler.amazonaws.com"):
        return "its trust policy does not let scheduler.amazonaws.com assume it"
    return None


def _event(item: dict[str, Any], scheduled: str, execution_id: str) -> str:
    text = item["input"]
    if text is None:
        # Without Input the service sends "a default notification" (API reference, Target, Input) whose
        # form it does not document; the twin sends an empty JSON object.
        return "{}"
    # Context attributes (EventBridge Scheduler user guide, "Adding context attributes").
    for key, value in (
        ("schedule-arn", item["scheduleArn"]),
        ("scheduled-time", scheduled),
        ("execution-id", execution_id),
        ("attempt-number", "1"),
    ):
        text = text.replace(f"<aws.scheduler.{key}>", value)
    return str(text)


def _deliver(item: dict[str, Any], auto: bool) -> dict[str, Any]:
    scheduled = _now_iso()
    execution_id = secrets.token_hex(8)
    event = _event(item, scheduled, execution_id)
    out: dict[str, Any] = {
        "scheduleArn": item["scheduleArn"],
        "name": item["name"],
        "groupName": item["groupName"],
        "account": item["account"],
        "region": item["region"],
        "targetArn": item["targetArn"],
        "scheduledTime": scheduled,
        "executionId": execution_id,
        "attemptNumber": 1,
        "input": event,
        "auto": auto,
    }
    target = LAMBDA_ARN.match(item["targetArn"])
    if not target:
        out.update(status="unsupported", errorMessage="The AWS twin delivers schedules to Lambda function targets only.")
        return _record(out)
    region, account, function_name, qualifier = target.groups()
    with twin_core.MOTO_LOCK:
        problem = _role_problem(item["roleArn"])
        snap = None
        error: tuple[str, str] | None = None
        if problem is None:
            try:
                snap = twin_lambda.snapshot_for_invoke(lambda_backends[account][region], function_name, qualifier)
            except LambdaClientError as exc:
                error = (exc.error_type, exc.message)
    if problem is not None:
        # A delivery failure (it would go to the schedule's dead-letter queue); the code is the twin's choice.
        out.update(
            status="failed",
            errorCode="AccessDenied",
            errorMessage=f"EventBridge Scheduler could not assume the execution role {item['roleArn']}: {problem}.",
        )
        return _record(out)
    if snap is None:
        code, message = error or ("ServiceException", "unknown error")
        out.update(status="failed", errorCode=code, errorMessage=message)
        return _record(out)
    # Lambda accepted the Event invocation (202); a handler error is Lambda's to retry, not a
    # delivery failure, so it shows as functionError on a delivered invocation.
    outcome = twin_lambda.run_function(
        snap,
        event.encode("utf-8"),
        twin_lambda.resolver_for(snap.account, snap.vpc_id),
        twin_lambda.twin_endpoint(),
    )
    try:
        result: Any = json.loads(outcome.payload or b"null")
    except ValueError:
        result = outcome.payload.decode("utf-8", "replace")
    out.update(
        status="delivered",
        statusCode=202,
        requestId=outcome.request_id,
        functionError=outcome.function_error,
        result=result,
        logs=outcome.logs,
    )
    return _record(out)


def _record(out: dict[str, Any]) -> dict[str, Any]:
    with _LOCK:
        _LOG.append(out)
    return out


def _deliver_all(items: list[dict[str, Any]], auto: bool) -> list[dict[str, Any]]:
    results: list[dict[str, Any] | None] = [None] * len(items)

    def run(index: int, item: dict[str, Any]) -> None:
        try:
            results[index] = _deliver(item, auto)
        except Exception as exc:  # noqa: BLE001 - one schedule's trouble must not hide the others
            failure = {"status": "failed", "errorCode": "TwinError", "errorMessage": str(exc), "auto": auto}
            results[index] = _record({**_brief(item), **failure})

    threads = [threading.Thread(target=run, args=(i, item), daemon=True) for i, item in enumerate(items)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [r for r in results if r is not None]


def _after_completion(items: list[dict[str, Any]]) -> None:
    # A one-time schedule with ActionAfterCompletion DELETE is deleted once it has run (API reference,
    # CreateSchedule, ActionAfterCompletion).
    with twin_core.MOTO_LOCK:
        for item in items:
            if item["expression"].startswith("at(") and item["actionAfterCompletion"] == "DELETE":
                backend = dict.get(dict.get(scheduler_backends, item["account"]) or {}, item["region"])
                group = backend.schedule_groups.get(item["groupName"]) if backend else None
                if group is not None and group.schedules.get(item["name"]) is not None:
                    group.schedules.pop(item["name"], None)


def fire(body: dict[str, Any]) -> dict[str, Any]:
    """{account, region?, name?, groupName?}: delivers every matching ENABLED schedule now."""
    account = str(body.get("account", ""))
    if not re.fullmatch(r"\d{12}", account):
        raise ValueError("account must be a 12-digit AWS account id")
    region = str(body.get("region") or DEFAULT_REGION)
    name = body.get("name") or None
    group_name = body.get("groupName") or None
    items: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    now = time.time()
    with twin_core.MOTO_LOCK:
        backend = dict.get(dict.get(scheduler_backends, account) or {}, region)
        groups = list(backend.schedule_groups.values()) if backend else []
        if group_name is not None:
            groups = [g for g in groups if g.name == group_name]
            if not groups:
                raise ValueError(f"no schedule group {group_name} in {account} {region}")
        for group in groups:
            for schedule in list(group.schedules.values()):
                if name is not None and schedule.name != name:
                    continue
                item = _snapshot(schedule, region, account)
                if item["state"] != "ENABLED":
                    skipped.append({**_brief(item), "reason": "DISABLED"})
                    continue
                end = _timestamp(item["endDate"])
                if end is not None and end <= now and not item["expression"].startswith("at("):
                    # No invocations after EndDate (API reference, CreateSchedule, EndDate).
                    skipped.append({**_brief(item), "reason": "ENDED"})
                    continue
                items.append(item)
    if name is not None and not items and not skipped:
        raise ValueError(f"no schedule {name} in {account} {region}" + (f" group {group_name}" if group_name else ""))
    invocations = _deliver_all(items, auto=False)
    _after_completion(items)
    return {"invocations": invocations, "skipped": skipped}


def _brief(item: dict[str, Any]) -> dict[str, Any]:
    return {k: item[k] for k in ("scheduleArn", "name", "groupName", "targetArn")}


def invocations(query: dict[str, str]) -> dict[str, Any]:
    with _LOCK:
        rows = list(_LOG)
    keys = ("account", "region", "name", "groupName", "status")
    return {"invocations": [r for r in rows if all(str(r.get(k)) == query[k] for k in keys if k in query)]}


def clear_invocations() -> None:
    with _LOCK:
        _LOG.clear()


# --- auto-firing rate() schedules ----------------------------------------------------------------


class _Auto:
    enabled = False
    thread: threading.Thread | None = None
    due: dict[tuple[str, str], float] = {}  # (schedule ARN, expression) -> monotonic time
    running: set[tuple[str, str]] = set()


def set_auto(body: dict[str, Any]) -> dict[str, Any]:
    with _LOCK:
        _Auto.enabled = bool(body.get("enabled"))
        if _Auto.enabled and (_Auto.thread is None or not _Auto.thread.is_alive()):
            _Auto.thread = threading.Thread(target=_loop, name="twin-scheduler", daemon=True)
            _Auto.thread.start()
    return auto_state()


def auto_state() -> dict[str, Any]:
    return {"enabled": _Auto.enabled, "minuteMs": int(STATE.delay_s("schedulerMinuteMs") * 1000)}


def _due_items(now: float, minute_s: float) -> list[tuple[tuple[str, str], dict[str, Any]]]:
    out = []
    wall = time.time()
    with twin_core.MOTO_LOCK:
        for account, per_account in list(dict.items(scheduler_backends)):
            for region, backend in list(dict.items(per_account)):
                for group in list(backend.schedule_groups.values()):
                    for schedule in list(group.schedules.values()):
                        minutes = rate_minutes(schedule.schedule_expression)
                        if schedule.state != "ENABLED" or minutes is None:
                            continue
                        start = _timestamp(schedule.start_date)
                        end = _timestamp(schedule.end_date)
                        if (start is not None and start > wall) or (end is not None and end <= wall):
                            continue
                        key = (schedule.arn, schedule.schedule_expression)
                        # A rate schedule without StartDate "starts invoking the target immediately"
                        # (EventBridge Scheduler user guide, "Schedule types in EventBridge Scheduler").
                        due = _Auto.due.setdefault(key, now)
                        if now < due or key in _Auto.running:
                            continue
                        _Auto.due[key] = max(due + minutes * minute_s, now)
                        _Auto.running.add(key)
                        out.append((key, _snapshot(schedule, region, account)))
    return out


def _loop() -> None:
    while True:
        with _LOCK:
            if not _Auto.enabled:
                _Auto.thread = None
                return
        minute_s = max(STATE.delay_s("schedulerMinuteMs"), 0.01)
        for key, item in _due_items(time.monotonic(), minute_s):

            def run(key: tuple[str, str] = key, item: dict[str, Any] = item) -> None:
                try:
                    _deliver_all([item], auto=True)
                finally:
                    with _LOCK:
                        _Auto.running.discard(key)

            threading.Thread(target=run, daemon=True).start()
        time.sleep(min(0.1, minute_s / 10))


def reset() -> None:
    """Run-time state only; the auto-firing switch stays, as the throttling switch does."""
    with _LOCK:
        _LOG.clear()
        _Auto.due.clear()


def install() -> None:
    EventBridgeSchedulerResponse.create_schedule = _create_schedule  # type: ignore[method-assign]
    EventBridgeSchedulerResponse.update_schedule = _update_schedule  # type: ignore[method-assign]
    EventBridgeSchedulerResponse.create_schedule_group = _create_schedule_group  # type: ignore[method-assign]
    EventBridgeSchedulerBackend.delete_schedule_group = _delete_schedule_group  # type: ignore[method-assign]
    ScheduleExists.code = 409  # the model's ConflictException status
