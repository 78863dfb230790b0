"""The AWS Price List Query API ("pricing") for the twin: DescribeServices, GetAttributeValues and GetProducts.

moto 5.2.1 has no pricing backend, so launcher.py hands every request whose X-Amz-Target starts with
"AWSPriceListService." to app() here, before moto. The wire protocol is the one the SDKs use for this
service: awsJson1_1, POST / with X-Amz-Target AWSPriceListService.<Action> and a JSON body; errors as
{"__type": code, "message": ...} (botocore/smithy model pricing 2017-10-15).

Products come from pricing_products.json beside this file: entries in the shape AWS documents for price
list products (product.productFamily/attributes/sku, serviceCode, terms.OnDemand.<term>.priceDimensions,
publicationDate). GetProducts answers each as a JSON string in PriceList, as AWS does. The fixture is not a
recording of AWS (see its _comment): us-east-2 and Route 53 carry the figures of AWS's pricing pages,
eu-central-1 and sa-east-1 made-up test values.

Modelled: Filters of every FilterType (TERM_MATCH and EQUALS exact; CONTAINS substring; ANY_OF and NONE_OF
over comma-separated values) on ServiceCode, productFamily, sku and any attribute, all filters ANDed;
MaxResults 1-100 (default 100) and NextToken paging, a token tied to its request (another request's token,
or a made-up one, is InvalidNextTokenException); FormatVersion aws_v1 only; DescribeServices with or without
a ServiceCode (AttributeNames: the attributes its products carry); GetAttributeValues. Calls are counted
under service "pricing" (GET /_twin/counters), and faults and latency rules for service "pricing" apply.
Assumed, not checked against AWS: an unknown ServiceCode is NotFoundException; TERM_MATCH is case-sensitive.
Not modelled: ListPriceLists, GetPriceListFileUrl (the bulk files), throttling buckets.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import threading
import time
import uuid
from typing import Any, Callable

from twin_state import STATE

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE = os.path.join(HERE, "pricing_products.json")
TARGET_PREFIX = "AWSPriceListService."
FORMAT_VERSION = "aws_v1"
MAX_RESULTS = 100
SERVICE = "pricing"
# "AKIA" + 12-digit account + "TWIN" (twin_core.TWIN_KEY): the account a call is counted under.
TWIN_KEY = re.compile(r"^AKIA(\d{12})TWIN$")

_LOCK = threading.Lock()
_products: list[dict[str, Any]] | None = None
# At most this many products a page, whatever MaxResults asks (AWS may answer fewer): tests set it
# low to see NextToken paging. None: MaxResults decides.
_page_cap: int | None = None


class PricingError(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def _load() -> list[dict[str, Any]]:
    global _products
    with _LOCK:
        if _products is None:
            with open(FIXTURE, encoding="utf-8") as fh:
                doc = json.load(fh)
            _products = [_strip(p) for p in doc["products"]]
        return _products


def _strip(value: Any) -> Any:
    """The fixture without its notes: keys starting with '_' are for readers, not served."""
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if not k.startswith("_")}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def reset() -> None:
    global _page_cap
    with _LOCK:
        _page_cap = None


def handles(environ: dict[str, Any]) -> bool:
    return str(environ.get("HTTP_X_AMZ_TARGET", "")).startswith(TARGET_PREFIX)


def control(method: str, route: str, query: dict[str, str], body: dict[str, Any]) -> tuple[int, Any]:
    """GET|POST /_twin/pricing: {pageSize}: the most products a GetProducts page holds (null: MaxResults)."""
    global _page_cap
    if route != "/pricing":
        return 404, {"error": f"no control route {method} {route}"}
    if method == "POST":
        size = body.get("pageSize")
        if size is not None and (not isinstance(size, int) or size < 1):
            raise ValueError("pageSize must be a whole number, 1 or more, or null")
        with _LOCK:
            _page_cap = size
    count = len(_load())
    with _LOCK:
        return 200, {"pageSize": _page_cap, "products": count}


# ---------------------------------------------------------------- the WSGI side


def _caller(environ: dict[str, Any]) -> tuple[str, str]:
    """(account, region) from the SigV4 credential scope: AKIA<account>TWIN/<date>/<region>/pricing/..."""
    auth = str(environ.get("HTTP_AUTHORIZATION", ""))
    m = re.search(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/", auth)
    if not m:
        return "unknown", "unknown"
    key = TWIN_KEY.match(m.group(1))
    return (key.group(1) if key else "unknown"), m.group(2)


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    action = str(environ.get("HTTP_X_AMZ_TARGET", ""))[len(TARGET_PREFIX) :]
    account, region = _caller(environ)
    STATE.count(account, region, SERVICE, action, "calls")
    latency = STATE.pick_latency(SERVICE, action, account)
    if latency is not None:
        time.sleep(STATE.latency_s(latency))
    fault = STATE.pick_fault(SERVICE, action, account)
    try:
        if fault is not None:
            STATE.count(account, region, SERVICE, action, "faulted")
            raise _fault_error(fault.payload)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        try:
            body = json.loads(raw) if raw.strip() else {}
        except ValueError as exc:
            raise PricingError("SerializationException", f"body is not JSON: {exc}") from exc
        if not isinstance(body, dict):
            raise PricingError("SerializationException", "body is not a JSON object")
        handler = ACTIONS.get(action)
        if handler is None:
            raise PricingError("UnknownOperationException", f"unknown operation {action}")
        status, payload = 200, handler(body)
    except PricingError as exc:
        status, payload = exc.status, {"__type": exc.code, "message": exc.message}
    data = json.dumps(payload).encode()
    reason = {200: "OK", 400: "Bad Request", 404: "Not Found", 429: "Too Many Requests"}.get(status, "Error")
    start_response(
        f"{status} {reason}",
        [
            ("Content-Type", "application/x-amz-json-1.1"),
            ("Content-Length", str(len(data))),
            ("x-amzn-RequestId", str(uuid.uuid4())),
        ],
    )
    return [data]


def _fault_error(payload: dict[str, Any]) -> PricingError:
    kind = payload.get("kind", "error")
    if kind == "throttle":
        return PricingError("ThrottlingException", "Rate exceeded", 400)
    if kind == "5xx":
        status = int(payload.get("status", 500))
        return PricingError(str(payload.get("code", "InternalErrorException")), "Injected server error", status)
    code = str(payload.get("code"))
    return PricingError(code, str(payload.get("message", f"Injected {code}")), int(payload.get("status", 400)))


# ---------------------------------------------------------------- actions


def _services() -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for p in _load():
        out.setdefault(p["serviceCode"], []).append(p)
    return out


def _known_service(code: Any) -> list[dict[str, Any]]:
    if not isinstance(code, str) or not code:
        raise PricingError("InvalidParameterException", "ServiceCode is required")
    products = _services().get(code)
    if products is None:
        raise PricingError("NotFoundException", f"Service code {code} not found")
    return products


def _max_results(body: dict[str, Any]) -> int:
    n = body.get("MaxResults", MAX_RESULTS)
    if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= MAX_RESULTS:
        raise PricingError("InvalidParameterException", f"MaxResults must be between 1 and {MAX_RESULTS}")
    return n


def _format_version(body: dict[str, Any]) -> None:
    fv = body.get("FormatVersion")
    if fv is not None and fv != FORMAT_VERSION:
        raise PricingError("InvalidParameterException", f"FormatVersion must be {FORMAT_VERSION}")


def _page(items: list[Any], body: dict[str, Any], request_key: Any) -> tuple[list[Any], str | None]:
    """One page of `items` from the request's NextToken; the token for the next page, or None."""
    size = _max_results(body)
    with _LOCK:
        if _page_cap is not None:
            size = min(size, _page_cap)
    digest = hashlib.sha256(json.dumps(request_key, sort_keys=True).encode()).hexdigest()[:16]
    start = 0
    token = body.get("NextToken")
    if token is not None:
        try:
            decoded = json.loads(base64.urlsafe_b64decode(str(token).encode()))
            start = int(decoded["o"])
            ok = decoded["h"] == digest and 0 < start <= len(items)
        except (ValueError, KeyError, TypeError):
            ok = False
        if not ok:
            raise PricingError("InvalidNextTokenException", "The pagination token is invalid.")
    end = start + size
    if end >= len(items):
        return items[start:], None
    return items[start:end], base64.urlsafe_b64encode(json.dumps({"o": end, "h": digest}).encode()).decode()


def _field(product: dict[str, Any], name: str) -> str | None:
    if name == "ServiceCode":
        return product.get("serviceCode")
    inner = product.get("product", {})
    if name == "productFamily":
        return inner.get("productFamily")
    if name == "sku":
        return inner.get("sku")
    value = inner.get("attributes", {}).get(name)
    return None if value is None else str(value)


def _matches(product: dict[str, Any], flt: dict[str, Any]) -> bool:
    kind, field, want = flt["Type"], flt["Field"], flt["Value"]
    have = _field(product, field)
    if kind in ("TERM_MATCH", "EQUALS"):
        return have == want
    if kind == "CONTAINS":
        return have is not None and want in have
    values = [v.strip() for v in want.split(",")]
    if kind == "ANY_OF":
        return have in values
    return have not in values  # NONE_OF


FILTER_TYPES = ("TERM_MATCH", "EQUALS", "CONTAINS", "ANY_OF", "NONE_OF")


def _filters(body: dict[str, Any]) -> list[dict[str, Any]]:
    filters = body.get("Filters") or []
    if not isinstance(filters, list):
        raise PricingError("InvalidParameterException", "Filters must be a list")
    for f in filters:
        if not isinstance(f, dict) or not all(isinstance(f.get(k), str) for k in ("Type", "Field", "Value")):
            raise PricingError("InvalidParameterException", "each filter needs Type, Field and Value")
        if f["Type"] not in FILTER_TYPES:
            raise PricingError("InvalidParameterException", f"Filter Type must be one of {', '.join(FILTER_TYPES)}")
    return filters


def get_products(body: dict[str, Any]) -> dict[str, Any]:
    products = _known_service(body.get("ServiceCode"))
    _format_version(body)
    filters = _filters(body)
    matched = [p for p in products if all(_matches(p, f) for f in filters)]
    key = {"ServiceCode": body.get("ServiceCode"), "Filters": filters, "MaxResults": body.get("MaxResults")}
    page, token = _page(matched, body, key)
    out: dict[str, Any] = {"FormatVersion": FORMAT_VERSION, "PriceList": [json.dumps(p) for p in page]}
    if token is not None:
        out["NextToken"] = token
    return out


def describe_services(body: dict[str, Any]) -> dict[str, Any]:
    _format_version(body)
    services = _services()
    code = body.get("ServiceCode")
    codes = sorted(services) if not code else [code]
    if code:
        _known_service(code)
    items = [
        {
            "ServiceCode": c,
            "AttributeNames": sorted({a for p in services[c] for a in p.get("product", {}).get("attributes", {})}),
        }
        for c in codes
    ]
    page, token = _page(items, body, {"ServiceCode": code, "MaxResults": body.get("MaxResults")})
    out: dict[str, Any] = {"Services": page, "FormatVersion": FORMAT_VERSION}
    if token is not None:
        out["NextToken"] = token
    return out


def get_attribute_values(body: dict[str, Any]) -> dict[str, Any]:
    products = _known_service(body.get("ServiceCode"))
    name = body.get("AttributeName")
    if not isinstance(name, str) or not name:
        raise PricingError("InvalidParameterException", "AttributeName is required")
    values = sorted({str(v) for p in products if (v := p.get("product", {}).get("attributes", {}).get(name))})
    if not values:
        raise PricingError("NotFoundException", f"Attribute {name} not found for {body.get('ServiceCode')}")
    key = {"ServiceCode": body.get("ServiceCode"), "AttributeName": name, "MaxResults": body.get("MaxResults")}
    page, token = _page([{"Value": v} for v in values], body, key)
    out: dict[str, Any] = {"AttributeValues": page}
    if token is not None:
        out["NextToken"] = token
    return out


ACTIONS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "GetProducts": get_products,
    "DescribeServices": describe_services,
    "GetAttributeValues": get_attribute_values,
}
