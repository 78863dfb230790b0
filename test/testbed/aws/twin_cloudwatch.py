"""CloudWatch for `monitor`: per-broker metrics from the probe function and one alarm per consumer.

moto 5.2.1 answers the AWS SDK's JSON protocol for PutMetricData, GetMetricData, GetMetricStatistics,
ListMetrics, PutMetricAlarm, DescribeAlarms and DeleteAlarms, but: a new alarm is `OK` and never
evaluated; GetMetricData with dimensions ignores the namespace; GetMetricStatistics matches any metric
holding the asked dimensions (not the exact set) and starts its periods at the first datapoint, giving
datapoints the datapoint's own time. Here:

* A new metric alarm is `INSUFFICIENT_DATA` ("Unchecked: Initial alarm creation") and is evaluated
  when it is put and whenever data for its metric arrives (not by the clock): the last
  EvaluationPeriods periods ending now, DatapointsToAlarm of them breaching for `ALARM`, and
  TreatMissingData (missing, notBreaching, breaching, ignore) for periods without data (CloudWatch user
  guide, "Using Amazon CloudWatch alarms", alarm evaluation). SetAlarmState holds until then.
* GetMetricData and GetMetricStatistics match a metric by namespace, name and its exact dimension set
  (each combination of dimensions is its own metric, CloudWatch user guide, "Amazon CloudWatch concepts",
  dimensions), with periods counted from StartTime rounded down to the minute and each datapoint
  stamped with its period's start (API reference, GetMetricStatistics, StartTime).
"""

from __future__ import annotations

import json
import math
from datetime import datetime, timezone
from typing import Any

from moto.cloudwatch.exceptions import InvalidParameterValue, ValidationError
from moto.cloudwatch.models import (
    Alarm,
    CloudWatchBackend,
    MetricAggregatedDatum,
    MetricDatum,
    MetricDatumBase,
    Statistics,
)
from moto.core.utils import utcnow

COMPARISONS = {
    "GreaterThanOrEqualToThreshold": ("greater than or equal to", lambda v, t: v >= t),
    "GreaterThanThreshold": ("greater than", lambda v, t: v > t),
    "LessThanThreshold": ("less than", lambda v, t: v < t),
    "LessThanOrEqualToThreshold": ("less than or equal to", lambda v, t: v <= t),
}
# Anomaly-detection operators are accepted but such alarms are not evaluated here.
ALL_COMPARISONS = [
    *COMPARISONS,
    "LessThanLowerOrGreaterThanUpperThreshold",
    "LessThanLowerThreshold",
    "GreaterThanUpperThreshold",
]
STATISTICS = ["SampleCount", "Average", "Sum", "Minimum", "Maximum"]
MISSING = ["breaching", "notBreaching", "ignore", "missing"]


def _epoch(value: datetime) -> float:
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.timestamp()


def _naive(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, timezone.utc).replace(tzinfo=None)


def _dims(items: Any) -> frozenset[tuple[str, str]]:
    out = set()
    for item in items or []:
        if isinstance(item, dict):
            out.add((str(item.get("Name")), str(item.get("Value"))))
        else:
            out.add((str(item.name), str(item.value)))
    return frozenset(out)


def _matching(
    backend: CloudWatchBackend, namespace: str, name: str, dims: frozenset[tuple[str, str]], unit: str | None
) -> list[MetricDatumBase]:
    return [
        md
        for md in backend.get_all_metrics()
        if md.namespace == namespace
        and md.name == name
        and _dims(md.dimensions) == dims
        and (not unit or md.unit == unit)
    ]


def _statistic(data: list[MetricDatumBase], stat: str) -> float | None:
    """A statistic of one period's datapoints (CloudWatch user guide, "Statistics definitions");
    pNN percentiles from single values only."""
    values = [md.value for md in data if isinstance(md, MetricDatum)]
    sets = [md for md in data if isinstance(md, MetricAggregatedDatum)]
    count = len(values) + sum(s.sample_count for s in sets)
    if not count:
        return None
    total = sum(values) + sum(s.sum for s in sets)
    if stat == "SampleCount":
        return float(count)
    if stat == "Sum":
        return float(total)
    if stat == "Average":
        return float(total / count)
    if stat == "Minimum":
        return float(min(values + [s.min for s in sets]))
    if stat == "Maximum":
        return float(max(values + [s.max for s in sets]))
    if stat.startswith("p") and values:
        try:
            rank = float(stat[1:])
        except ValueError:
            return None
        ordered = sorted(values)
        index = max(0, math.ceil(rank / 100 * len(ordered)) - 1)
        return float(ordered[min(index, len(ordered) - 1)])
    return None


# --- alarms ----------------------------------------------------------------------------------

_original_alarm_init = Alarm.__init__
_original_put_metric_alarm = CloudWatchBackend.put_metric_alarm
_original_put_metric_data = CloudWatchBackend.put_metric_data
_original_get_metric_data = CloudWatchBackend.get_metric_data


def _alarm_init(self: Alarm, *args: Any, **kwargs: Any) -> None:
    _original_alarm_init(self, *args, **kwargs)
    # "INSUFFICIENT_DATA: The alarm has just started, the metric is not available, or not enough data
    # is available for the metric to determine the alarm state" (CloudWatch user guide, alarm states).
    self.state_value = "INSUFFICIENT_DATA"


def _enum(value: Any, member: str, allowed: list[str]) -> None:
    if value is not None and value not in allowed:
        raise ValidationError(
            f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: "
            f"Member must satisfy enum value set: [{', '.join(allowed)}]"
        )


def _put_metric_alarm(self: CloudWatchBackend, *args: Any, **kwargs: Any) -> Alarm:
    _enum(kwargs.get("comparison_operator"), "comparisonOperator", ALL_COMPARISONS)
    _enum(kwargs.get("statistic"), "statistic", STATISTICS)
    _enum(kwargs.get("treat_missing_data"), "treatMissingData", MISSING)
    periods = kwargs.get("evaluation_periods")
    if periods is not None and int(periods) < 1:
        raise ValidationError(
            f"1 validation error detected: Value '{periods}' at 'evaluationPeriods' failed to satisfy constraint: "
            "Member must have value greater than or equal to 1"
        )
    to_alarm = kwargs.get("datapoints_to_alarm")
    if to_alarm is not None and periods is not None and not 1 <= int(to_alarm) <= int(periods):
        # The twin's wording: M of N needs M <= N (CloudWatch user guide, "Evaluating an alarm").
        raise InvalidParameterValue("DatapointsToAlarm must be between 1 and EvaluationPeriods.")
    previous = self.alarms.get(kwargs.get("name") or "")
    alarm = _original_put_metric_alarm(self, *args, **kwargs)
    if previous is not None:
        # Updating an alarm keeps its state until it is evaluated again.
        alarm.state_value = previous.state_value
        alarm.state_reason = previous.state_reason
        alarm.state_reason_data = previous.state_reason_data
        alarm.state_updated_timestamp = previous.state_updated_timestamp
    evaluate(self, alarm)
    return alarm


def _put_metric_data(self: CloudWatchBackend, namespace: str, metric_data: list[dict[str, Any]]) -> None:
    _original_put_metric_data(self, namespace, metric_data)
    names = {m.get("MetricName") for m in metric_data}
    for alarm in list(self.alarms.values()):
        if alarm.namespace == namespace and alarm.metric_name in names:
            evaluate(self, alarm)


def _stamp(seconds: float) -> str:
    return _naive(seconds).strftime("%d/%m/%y %H:%M:%S")


def evaluate(backend: CloudWatchBackend, alarm: Alarm) -> None:
    """Sets the alarm's state from its metric's last EvaluationPeriods periods, ending now."""
    comparison = COMPARISONS.get(alarm.comparison_operator or "")
    stat = alarm.statistic or alarm.extended_statistic
    if alarm.rule is not None or alarm.metric_data_queries or not comparison or not stat or not alarm.period:
        return  # composite, metric math and anomaly-detection alarms keep their state
    period = int(alarm.period)
    periods = max(1, int(alarm.evaluation_periods or 1))
    needed = int(alarm.datapoints_to_alarm or periods)
    threshold = float(alarm.threshold if alarm.threshold is not None else 0)
    data = _matching(backend, alarm.namespace, alarm.metric_name, _dims(alarm.dimensions), alarm.unit)
    now = _epoch(utcnow())
    points: list[tuple[float, float | None]] = []  # (period start, value), newest first
    for i in range(periods):
        start, end = now - (i + 1) * period, now - i * period
        inside = [md for md in data if start <= _epoch(md.timestamp) < end]
        points.append((start, _statistic(inside, stat)))
    words, breaches = comparison
    treat = alarm.treat_missing_data or "missing"
    present = [(t, v) for t, v in points if v is not None]
    if treat in ("breaching", "notBreaching"):
        flags = [breaches(v, threshold) if v is not None else treat == "breaching" for _, v in points]
    elif not present:
        if treat == "ignore":
            return
        flags = []
    else:
        flags = [breaches(v, threshold) for _, v in present]
    if not flags:
        new_state = "INSUFFICIENT_DATA"
        reason = f"Insufficient Data: {periods} datapoint{'s' if periods > 1 else ''} were unknown."
    else:
        count = sum(flags)
        new_state = "ALARM" if count >= needed else "OK"
        shown = ", ".join(f"{v} ({_stamp(t)})" for t, v in present)
        # Worded like CloudWatch's StateReason ("Threshold Crossed: 1 out of the last 1 datapoints [...]").
        reason = (
            f"Threshold Crossed: {count} out of the last {len(flags)} datapoints [{shown}] "
            f"{'was' if new_state == 'ALARM' else 'was not'} {words} the threshold ({threshold}) "
            f"(minimum {needed} datapoint{'s' if needed > 1 else ''} for OK -> ALARM transition)."
        )
    if new_state == alarm.state_value:
        return
    reason_data = json.dumps(
        {
            "version": "1.0",
            "queryDate": _naive(now).strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
            "statistic": stat,
            "period": period,
            "recentDatapoints": [v for _, v in present],
            "threshold": threshold,
            "evaluatedDatapoints": [
                {"timestamp": _naive(t).strftime("%Y-%m-%dT%H:%M:%S.000+0000"), "value": v} for t, v in present
            ],
        }
    )
    alarm.update_state(reason, reason_data, new_state)


# --- reading metrics back --------------------------------------------------------------------


def _round_to_minute(value: datetime) -> float:
    seconds = _epoch(value)
    return seconds - seconds % 60


def _get_metric_statistics(
    self: CloudWatchBackend,
    namespace: str,
    metric_name: str,
    start_time: datetime,
    end_time: datetime,
    period: int,
    stats: list[str],
    dimensions: list[dict[str, str]],
    unit: str | None = None,
) -> list[Statistics]:
    start, end = _round_to_minute(start_time), _epoch(end_time)
    if start >= end:
        raise InvalidParameterValue("The parameter StartTime must be less than the parameter EndTime.")
    data = [md for md in _matching(self, namespace, metric_name, _dims(dimensions), unit) if start <= _epoch(md.timestamp) < end]
    out = []
    step = max(1, int(period))
    bucket = start
    while bucket < end and data:
        inside = [md for md in data if bucket <= _epoch(md.timestamp) < bucket + step]
        if inside:
            point = Statistics(stats, _naive(bucket))
            point.metric_data = inside
            point.unit = inside[-1].unit
            out.append(point)
        bucket += step
    return out


def _get_metric_data(
    self: CloudWatchBackend,
    queries: list[dict[str, Any]],
    start_time: datetime,
    end_time: datetime,
    scan_by: str = "TimestampAscending",
) -> list[dict[str, Any]]:
    results = _original_get_metric_data(self, queries, start_time, end_time, scan_by)  # validation, math
    start, end = _round_to_minute(start_time), _epoch(end_time)
    by_id = {q["Id"]: q for q in queries if "MetricStat" in q}
    for result in results:
        query = by_id.get(result["id"])
        if query is None:
            continue
        stat_spec = query["MetricStat"]
        metric = stat_spec["Metric"]
        step = max(1, int(stat_spec["Period"]))
        data = _matching(
            self, metric.get("Namespace"), metric.get("MetricName"), _dims(metric.get("Dimensions")), stat_spec.get("Unit")
        )
        values, stamps = [], []
        bucket = start
        while bucket < end:
            value = _statistic([md for md in data if bucket <= _epoch(md.timestamp) < bucket + step], stat_spec["Stat"])
            if value is not None:
                values.append(value)
                stamps.append(_naive(bucket))
            bucket += step
        if scan_by != "TimestampAscending":  # the default is TimestampDescending (API reference, ScanBy)
            values.reverse()
            stamps.reverse()
        result["values"], result["timestamps"] = values, stamps
    return results


def install() -> None:
    Alarm.__init__ = _alarm_init  # type: ignore[method-assign]
    CloudWatchBackend.put_metric_alarm = _put_metric_alarm  # type: ignore[method-assign]
    CloudWatchBackend.put_metric_data = _put_metric_data  # type: ignore[method-assign]
    CloudWatchBackend.get_metric_statistics = _get_metric_statistics  # type: ignore[method-assign]
    CloudWatchBackend.get_metric_data = _get_metric_data  # type: ignore[method-assign]
