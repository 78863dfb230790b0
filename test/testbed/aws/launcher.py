"""AWS twin: moto's server plus the PrivateLink/MSK gaps this project needs, on loopback.

Usage: python3 launcher.py [--port 0] [--config '{"delaysMs": {...}, "throttling": false}']
Prints one JSON line {"ready": true, "port": N, ...} on stdout once it serves, and exits
when stdin closes (so it never outlives the process that started it) or on SIGTERM/SIGINT.
Control endpoint: JSON over HTTP under /_twin/ on the same port (see CONTROL_HELP).
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import logging
import os
import signal
import sys
import threading
from typing import Any, Callable
from urllib.parse import parse_qsl

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# moto loads ~1,200 default AMIs into every new EC2 backend (0.3-0.5 s per account and
# after each reset); this project never uses AMIs.
os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")

MISSING_MOTO_EXIT = 3  # twin.ts installs requirements.txt and starts again
PINNED_MOTO = "5.2.1"

try:
    import moto
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import make_server
except ImportError as exc:
    print(json.dumps({"ready": False, "error": "missing-moto", "detail": str(exc)}), flush=True)
    sys.exit(MISSING_MOTO_EXIT)

import twin_acm  # noqa: E402
import twin_cloudwatch  # noqa: E402
import twin_core  # noqa: E402
import twin_crash  # noqa: E402
import twin_ec2  # noqa: E402
import twin_ec2_sg_refs  # noqa: E402
import twin_elbv2  # noqa: E402
import twin_elbv2_attrs  # noqa: E402
import twin_elbv2_sg  # noqa: E402
import twin_iam  # noqa: E402
import twin_lambda  # noqa: E402
import twin_lattice  # noqa: E402
import twin_msk  # noqa: E402
import twin_msk_config  # noqa: E402
import twin_msk_vpc  # noqa: E402
import twin_pricing  # noqa: E402
import twin_ram  # noqa: E402
import twin_route53  # noqa: E402
import twin_scheduler  # noqa: E402
import twin_secrets  # noqa: E402
import twin_ssm  # noqa: E402
from twin_state import STATE  # noqa: E402

# Services this project calls; their flask apps are built in the background at startup.
# Names are moto's backend names (VPC Lattice is "vpclattice").
WARM_SERVICES = (
    "ec2", "elbv2", "kafka", "route53", "ssm", "sts", "iam", "vpclattice", "ram", "awslambda", "scheduler", "cloudwatch",
    "acm", "secretsmanager",
)

CONTROL_HELP = {
    "GET /_twin/health": "liveness and versions",
    "GET /_twin/accounts": "?region=: {accounts: [{account, vpcs}]}, every account with a non-default VPC",
    "POST /_twin/reset": "moto's reset plus the twin's state (faults, latency, counters, buckets)",
    "POST /_twin/msk/clusters": "seed an MSK cluster (configuration optional); answers {clusterArn, brokers, listeners, "
    "configuration, currentVersion}",
    "POST /_twin/msk/brokers": "{clusterArn, brokerId, clientVpcIp}: the broker's node replaced with a new IP",
    "POST /_twin/msk/nodes": "{clusterArn, clientVpcIp, brokerId?, endpoint?, clientSubnet?}: a broker added "
    "(ListNodes, NumberOfBrokerNodes); answers the broker with its custom advertised listeners",
    "GET /_twin/msk/advertised": "?clusterArn=&brokerId=: {brokerId, advertised, configuration, brokers, vpcListeners?, "
    "brokersVpc?}: advertised (and, while multi-VPC connectivity is on, VPC listeners) under the cluster's "
    "configuration and connectivity (brokerId defaults to the next one), brokers' now",
    "POST|DELETE /_twin/msk/driver": "{clusterArn}: rolling restarts of that cluster wait for a driver's reports",
    "GET /_twin/msk/restarts": "?clusterArn=: {restarts: [{operationArn, brokerId, advertised, vpcListeners?, status, "
    "...}]} "
    "waiting for the driver",
    "POST /_twin/msk/restarts": "{operationArn, brokerId, status: started|done|failed, message?}",
    "POST|GET|DELETE /_twin/crash": "{afterMutating: k} arms, {pid} names the process: SIGKILL right after the "
    "k-th successful mutating call (STS excluded), before its answer; GET {after, pid, seen, fired, calls}",
    "GET|POST /_twin/iam": "{enforce: bool, clearDenials?: bool}: authorize calls made with assumed-role "
    "credentials against the role's inline policies (twin_iam.py); GET {enforce, denials: [{role, action, "
    "resource, call}]}",
    "POST /_twin/faults": "{service, action, account?, kind: error|throttle|5xx, code?, status?, count?, probability?}",
    "POST /_twin/latency": "{service, action, account?, ms, count?, probability?}",
    "DELETE /_twin/faults": "clear faults and latency rules",
    "GET /_twin/counters": "?account=&service=&action=&mutating=true|false",
    "DELETE /_twin/counters": "reset counters",
    "GET|POST /_twin/delays": "{nlbActiveMs, endpointAvailableMs, endpointDeleteMs, route53ChangeMs, mskActiveMs, "
    "resourceGatewayActiveMs, lambdaActiveMs, lambdaEniReleaseMs, mskBrokerRestartMs, mskVpcConnectionMs, "
    "schedulerMinuteMs}",
    "GET|POST /_twin/throttling": "{enabled: bool}",
    "GET|POST /_twin/time": "{factor}: twin seconds per AWS second (scales every delay, bucket refill and "
    "injected latency)",
    "POST /_twin/lambda/resolvers": "{account, dns: 'ip:port', vpcId?}: the DNS server Lambda functions in that "
    "account's (or VPC's) VPCs resolve names with",
    "GET|DELETE /_twin/lambda/resolvers": "list or clear them (a reset clears them too)",
    "GET|DELETE /_twin/lambda/invocations": "?account=&name=: every Invoke so far (newest last: account, region, "
    "function, invocationType, payload as sent, the execution role's ARN and inline policies then), or clear them",
    "POST /_twin/scheduler/fire": "{account, region?, name?, groupName?}: delivers matching ENABLED schedules to their "
    "Lambda targets now; answers {invocations: [...], skipped: [...]} once the runs end",
    "GET|POST /_twin/scheduler/auto": "{enabled}: rate() schedules fire by themselves, a minute being schedulerMinuteMs",
    "GET|DELETE /_twin/scheduler/invocations": "?account=&region=&name=&groupName=&status=: every delivery so far "
    "(fired or automatic), or clear them",
    "GET|POST /_twin/pricing": "{pageSize}: the most products a Price List API GetProducts page holds (null: "
    "MaxResults decides); a reset clears it",
    "GET /_twin/acm/certificate": "?arn=: {certificateArn, type, status, certificate, certificateChain, privateKey} "
    "(PEM) of an ACM certificate, for the network twin's TLS listeners; 404 when it does not exist",
}

Response = tuple[int, Any]


def reset_all() -> None:
    from moto.moto_api._internal.models import moto_api_backend

    with twin_core.MOTO_LOCK:
        moto_api_backend.reset()
        # The twin's own VPC Lattice and RAM registries change under the same lock as moto.
        twin_lattice.reset()
        twin_ram.reset()
        twin_lambda.reset()
        twin_msk_config.reset()
        twin_msk_vpc.reset()
        twin_scheduler.reset()
    twin_crash.reset()
    twin_iam.configure({"enforce": False, "clearDenials": True})
    STATE.reset()
    twin_route53.reset()
    twin_pricing.reset()


def control(method: str, path: str, query: dict[str, str], body: Any) -> Response:
    route = path[len("/_twin") :].rstrip("/") or "/"
    if route == "/health":
        return 200, {"ok": True, "moto": moto.__version__}
    if route == "/accounts" and method == "GET":
        import twin_accounts

        return 200, twin_accounts.list_accounts(query.get("region"))
    if route == "/help":
        return 200, CONTROL_HELP
    if route == "/reset" and method == "POST":
        reset_all()
        return 200, {"ok": True}
    if route == "/msk/clusters" and method == "POST":
        with twin_core.MOTO_LOCK:
            return 200, twin_msk.seed_cluster(body)
    if route == "/msk/brokers" and method == "POST":
        with twin_core.MOTO_LOCK:
            return 200, twin_msk.move_broker(body)
    if route == "/msk/nodes" and method == "POST":
        with twin_core.MOTO_LOCK:
            return 200, twin_msk.add_broker(body)
    if route == "/msk/advertised" and method == "GET":
        with twin_core.MOTO_LOCK:
            return 200, twin_msk_config.advertised_query(query)
    if route == "/msk/driver" and method in ("POST", "DELETE"):
        with twin_core.MOTO_LOCK:
            spec = {**query, **body}
            if method == "POST":
                return 200, twin_msk_config.register_driver(spec)
            return 200, twin_msk_config.unregister_driver(spec)
    if route == "/msk/restarts":
        with twin_core.MOTO_LOCK:
            if method == "POST":
                return 200, twin_msk_config.report_restart(body)
            return 200, twin_msk_config.pending_restarts(query)
    if route == "/iam":
        return 200, twin_iam.configure(body) if method == "POST" else twin_iam.status()
    if route == "/crash":
        if method == "POST":
            return 200, twin_crash.arm(body)
        if method == "DELETE":
            twin_crash.reset()
            return 200, {"ok": True}
        return 200, twin_crash.state()
    if route == "/faults" and method == "POST":
        STATE.add_rule("fault", body)
        return 200, {"ok": True}
    if route == "/latency" and method == "POST":
        if "ms" not in body:
            raise ValueError("latency needs ms")
        STATE.add_rule("latency", body)
        return 200, {"ok": True}
    if route in ("/faults", "/latency") and method == "DELETE":
        STATE.clear_rules()
        return 200, {"ok": True}
    if route == "/counters" and method == "GET":
        return 200, {"counters": STATE.counters_list(query)}
    if route == "/counters" and method == "DELETE":
        STATE.reset_counters()
        return 200, {"ok": True}
    if route == "/delays":
        if method == "POST":
            return 200, {"delaysMs": STATE.set_delays(body)}
        return 200, {"delaysMs": dict(STATE.delays)}
    if route == "/time":
        if method == "POST":
            return 200, STATE.set_time(body.get("factor"))
        return 200, STATE.set_time()
    if route == "/throttling":
        if method == "POST":
            STATE.set_throttling(bool(body.get("enabled")))
        return 200, {"enabled": STATE.throttling}
    if route == "/lambda/resolvers":
        if method == "POST":
            return 200, twin_lambda.set_resolver(body)
        if method == "DELETE":
            twin_lambda.clear_resolvers()
            return 200, {"ok": True}
        return 200, {"resolvers": twin_lambda.list_resolvers()}
    if route == "/lambda/invocations":
        if method == "DELETE":
            twin_lambda.clear_invocations()
            return 200, {"ok": True}
        return 200, {"invocations": twin_lambda.invocations(query)}
    if route == "/scheduler/fire" and method == "POST":
        # No MOTO_LOCK here: the functions run meanwhile and call the twin (twin_scheduler takes it).
        return 200, twin_scheduler.fire(body)
    if route == "/scheduler/auto":
        if method == "POST":
            return 200, twin_scheduler.set_auto(body)
        return 200, twin_scheduler.auto_state()
    if route == "/scheduler/invocations":
        if method == "DELETE":
            twin_scheduler.clear_invocations()
            return 200, {"ok": True}
        return 200, twin_scheduler.invocations(query)
    if route == "/pricing":
        return twin_pricing.control(method, route, query, body)
    if route == "/acm/certificate" and method == "GET":
        with twin_core.MOTO_LOCK:
            return twin_acm.certificate_query(query)
    return 404, {"error": f"no control route {method} {route}", "routes": CONTROL_HELP}


def make_app(moto_app: Callable[..., Any]) -> Callable[..., Any]:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path.startswith("/_twin/") or path == "/_twin":
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
                raw = environ["wsgi.input"].read(length) if length else b""
                body = json.loads(raw) if raw.strip() else {}
                query = dict(parse_qsl(environ.get("QUERY_STRING", "")))
                status, payload = control(method, path, query, body)
            except (ValueError, KeyError, TypeError) as exc:
                status, payload = 400, {"error": f"{type(exc).__name__}: {exc}"}
            except twin_msk_config.KafkaError as exc:  # an MSK refusal reached through a control route
                status, payload = 400, {"error": f"{exc.error_type}: {exc.message}"}
            data = json.dumps(payload).encode()
            reason = {200: "OK", 400: "Bad Request", 404: "Not Found"}.get(status, "Error")
            start_response(
                f"{status} {reason}",
                [("Content-Type", "application/json"), ("Content-Length", str(len(data)))],
            )
            return [data]
        if path.rstrip("/") == "/moto-api/reset" and method == "POST":
            # A reset through moto's own route clears the twin's state as well.
            reset_all()
            data = b'{"status": "ok"}'
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
            return [data]
        if twin_pricing.handles(environ):
            # The Price List API (moto has none): AWSPriceListService.* targets, before moto's dispatch.
            return twin_pricing.app(environ, start_response)
        return moto_app(environ, start_response)

    return app


def warm(dispatcher: Any) -> None:
    """Builds moto's per-service apps (imports and models) before the first calls need them."""
    for service in WARM_SERVICES:
        with dispatcher.lock:
            if service not in dispatcher.app_instances:
                dispatcher.app_instances[service] = create_backend_app(service)
    twin_ec2.warm_default_services()


def install_all() -> None:
    twin_core.install()
    twin_msk.install()
    twin_msk_config.install()
    twin_msk_vpc.install()  # after twin_msk_config: wraps its DescribeCluster(V2)
    twin_ec2.install()
    twin_elbv2.install()
    twin_elbv2_sg.install()  # after twin_elbv2: wraps its CreateLoadBalancer
    twin_elbv2_attrs.install()  # after twin_ec2: wraps its endpoint service SupportedRegions handling
    twin_ec2_sg_refs.install()  # after twin_elbv2_sg: wraps its DeleteSecurityGroup
    twin_acm.install()  # after twin_elbv2: wraps its CreateListener
    twin_route53.install()
    twin_lattice.install()
    twin_ram.install()
    twin_lambda.install()
    twin_scheduler.install()
    twin_ssm.install()
    twin_cloudwatch.install()
    twin_secrets.install()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--config", default="{}")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    if not ipaddress.ip_address(args.host).is_loopback:
        raise SystemExit("the twin binds to loopback only")

    config = json.loads(args.config)
    if config.get("timeFactor") is not None:
        STATE.set_time(config.get("timeFactor"))
    if config.get("delaysMs"):
        STATE.set_delays(config["delaysMs"])
    STATE.set_throttling(bool(config.get("throttling", False)))
    if not args.verbose:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)

    if moto.__version__ != PINNED_MOTO:
        print(f"warning: moto {moto.__version__}; the twin is written against {PINNED_MOTO}", file=sys.stderr)
    install_all()
    dispatcher = DomainDispatcherApplication(create_backend_app)
    server = make_server(args.host, args.port, make_app(dispatcher), threaded=True)
    port = server.server_address[1]
    twin_lambda.set_endpoint(f"http://{args.host}:{port}")  # AWS_ENDPOINT_URL of the functions it runs

    def stop(*_: Any) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()
        # Backstop: never linger (the twin keeps nothing on disk that needs flushing).
        threading.Timer(1.0, lambda: os._exit(0)).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    def watch_stdin() -> None:
        # The parent holds our stdin open; EOF means it is gone, so go too.
        try:
            while sys.stdin.buffer.read(4096):
                pass
        except (OSError, ValueError):
            pass
        os._exit(0)

    if config.get("watchStdin", True):
        threading.Thread(target=watch_stdin, daemon=True).start()

    # moto builds its list of AWS endpoint services (used to validate names like
    # com.amazonaws.us-east-1.s3) on first use, which takes over a second: warm it now.
    threading.Thread(target=warm, args=(dispatcher,), daemon=True).start()

    print(json.dumps({"ready": True, "host": args.host, "port": port, "pid": os.getpid(), "moto": moto.__version__}), flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
