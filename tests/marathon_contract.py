"""A local HTTP server that enforces Marathon's documented REST contract for apps.

This is a contract test double, not Marathon (which cannot run here). It enforces what the
MarathonApp provider relies on, from the Marathon v2 API (../shared/reference/marathon):
- `PUT /v2/apps/{id}`: body valid against AppDefinition.json (else 422); `partialUpdate`
  defaults to true (a merge); `partialUpdate=false` replaces the whole definition; answers
  201 (created) or 200 with `version` and `deploymentId`;
- an app with a running deployment is locked: PUT and DELETE answer 409 with the deployments;
- deployments finish later: each is listed by `GET /v2/deployments` for `seconds` after it
  started;
- `GET /v2/apps/{id}` answers `{"app": ...}` (with `tasksRunning`, `tasksHealthy`: none while
  its deployment runs, every instance after) or 404; `DELETE` answers a deployment or 404;
- with credentials set, any request without the right HTTP basic auth gets 401;
- content is negotiated as JAX-RS does for Marathon's resources (AppsResource.scala:
  @Produces and @Consumes application/json): an `Accept` JSON does not match gets 406, a body
  that is not `Content-Type: application/json` gets 415.
Faults a real Marathon (or what stands in front of it) shows, injected with `inject()`:
- 503 "Could not determine the current leader": every instance answers this right after it
  starts, until a leader is elected (IMAGE-FACTS.md, marathon);
- another 5xx: a proxy or load balancer in front of an instance that is down;
- a slow reply; an HTML page with status 200 (a proxy's login or error page); a body cut
  short (Content-Length beyond what is sent, then the connection closes);
- `force_over_next_deployment()`: someone deploys the app with `?force=true` while ours runs,
  which cancels ours; the app then has the other deployment's version.
"""
from __future__ import annotations

import base64
import json
import ssl
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Optional
from urllib.parse import parse_qs, urlparse

from .contracts import marathon_app_validator


def _accepts_json(accept: Optional[str]) -> bool:
    """Whether an `Accept` header (none means anything) admits application/json."""
    if not accept:
        return True
    ranges = {part.split(";")[0].strip().lower() for part in accept.split(",")}
    return bool(ranges & {"application/json", "application/*", "*/*"})


class MarathonContractServer:
    def __init__(self, credentials: Optional[str] = None, seconds: float = 0.1, port: int = 0,
                 peer: Optional["MarathonContractServer"] = None, tls: Optional[tuple[str, str]] = None):
        """`peer`: another instance of the same Marathon (HA): one state, its own faults and log;
        `tls`: (certificate chain file, key file) to serve HTTPS with, as Marathon does with
        --ssl_keystore_path and --disable_http."""
        self.credentials, self.seconds = credentials, seconds
        self.apps: dict[str, dict] = peer.apps if peer else {}
        # id -> {"app": app id, "until": monotonic time}
        self.deployments: dict[str, dict] = peer.deployments if peer else {}
        self.log: list[tuple[str, str, object]] = []  # (method, path with query, status or fault)
        # Each request line as sent: http.server collapses a leading "//" in `path` (Python 3.11),
        # so only the request line shows what the client really asked for.
        self.request_lines: list[str] = []
        self.lock = peer.lock if peer else threading.Lock()
        self.faults: list[tuple[Optional[str], str]] = []  # (method or None for any, fault), in order
        self.slow_s = 0.5
        self.force_next = False
        self.server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        scheme = "http"
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
            scheme = "https"
        self.url = f"{scheme}://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "MarathonContractServer":
        self.thread.start()
        return self

    def __exit__(self, *_) -> None:
        self.server.shutdown()
        self.server.server_close()

    def start_deployment(self, app_id: str, seconds: Optional[float] = None) -> str:
        """Lock `app_id` as another client's deployment would (seconds=math.inf: never finishes)."""
        did = str(uuid.uuid4())
        self.deployments[did] = {"app": app_id, "until": time.monotonic() + (self.seconds if seconds is None else seconds)}
        return did

    def inject(self, *faults: str, method: Optional[str] = None) -> None:
        """The next requests (of `method`, or any) meet these faults, one request each:
        'no-leader', 'error', 'slow', 'html', 'truncated'."""
        self.faults += [(method, f) for f in faults]

    def force_over_next_deployment(self) -> None:
        self.force_next = True

    def _take_fault(self, method: str) -> Optional[str]:
        for i, (m, fault) in enumerate(self.faults):
            if m in (None, method):
                del self.faults[i]
                return fault
        return None

    def statuses(self, method: str) -> list[int]:
        return [status for m, _, status in self.log if m == method]

    # -- the API --------------------------------------------------------------------------

    def _locked_by(self, app_id: str) -> list[str]:
        return [d for d, info in self.deployments.items() if info["app"] == app_id]

    def _respond(self, method: str, path: str, query: dict, body: Optional[dict]) -> tuple[int, object]:
        now = time.monotonic()
        for d in [d for d, info in self.deployments.items() if info["until"] <= now]:
            del self.deployments[d]  # finished
        if path == "/v2/deployments" and method == "GET":
            return 200, [{"id": d, "affectedApps": [i["app"]]} for d, i in self.deployments.items()]
        if not path.startswith("/v2/apps/"):
            return 404, {"message": f"no route {path}"}
        app_id = path[len("/v2/apps"):]
        if method == "GET":
            if app_id not in self.apps:
                return 404, {"message": f"App '{app_id}' does not exist"}
            # Tasks come up while the deployment runs (AppDefinition's read-only task counts).
            up = 0 if self._locked_by(app_id) else self.apps[app_id].get("instances", 1)
            return 200, {"app": {**self.apps[app_id], "tasksRunning": up, "tasksHealthy": up}}
        if method in ("PUT", "DELETE") and self._locked_by(app_id):
            return 409, {"message": "App is locked by one or more deployments. Override with the option '?force=true'.",
                         "deployments": [{"id": d} for d in self._locked_by(app_id)]}
        if method == "DELETE":
            if app_id not in self.apps:
                return 404, {"message": f"App '{app_id}' does not exist"}
            del self.apps[app_id]
            return 200, {"version": "v-delete", "deploymentId": self.start_deployment(app_id)}
        if method == "PUT":
            errors = [e.message for e in marathon_app_validator().iter_errors(body)]
            if body.get("id") != app_id:
                errors.append(f"id {body.get('id')!r} does not match the path {app_id!r}")
            if errors:
                return 422, {"message": "Object is not valid", "details": errors}
            partial = query.get("partialUpdate", ["true"])[0] != "false"
            created = app_id not in self.apps
            self.apps[app_id] = {**self.apps.get(app_id, {}), **body} if partial else dict(body)
            version = str(uuid.uuid4())
            self.apps[app_id]["version"] = version
            deployment = self.start_deployment(app_id)
            if self.force_next:  # another client's forced deployment cancels ours at once
                self.force_next = False
                del self.deployments[deployment]
                self.apps[app_id] = {**self.apps[app_id], "instances": 1, "version": str(uuid.uuid4())}
                self.start_deployment(app_id)
            return (201 if created else 200), {"version": version, "deploymentId": deployment}
        return 405, {"message": f"{method} not allowed"}

    def _handler(self):
        contract = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self, method: str) -> None:
                contract.request_lines.append(self.requestline)
                url = urlparse(self.path)
                expected = "Basic " + base64.b64encode(contract.credentials.encode()).decode() if contract.credentials else None
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                with contract.lock:
                    fault = contract._take_fault(method)
                    if fault and fault != "slow":
                        contract.log.append((method, self.path, fault))
                if fault == "slow":
                    time.sleep(contract.slow_s)
                elif fault:
                    return self._fault(fault)
                with contract.lock:
                    if expected and self.headers.get("Authorization") != expected:
                        status, payload = 401, {"message": "invalid username or password"}
                    elif not _accepts_json(self.headers.get("Accept")):
                        status, payload = 406, {"message": "HTTP 406 Not Acceptable"}
                    elif raw and (self.headers.get("Content-Type") or "").split(";")[0].strip() != "application/json":
                        status, payload = 415, {"message": "HTTP 415 Unsupported Media Type"}
                    else:
                        status, payload = contract._respond(method, url.path, parse_qs(url.query),
                                                            json.loads(raw) if raw else None)
                    contract.log.append((method, self.path, status))
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                try:
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up first (the "slow" fault's point); nothing to answer

            def _fault(self, fault: str) -> None:
                if fault == "no-leader":
                    status, data, kind = 503, b'{"message":"Could not determine the current leader"}', "application/json"
                # A proxy's pages in its own charset (ISO-8859-1 here): not UTF-8, which the
                # provider must read without failing on it.
                elif fault == "error":
                    status, data, kind = 502, b"<html><body>502 Bad Gateway \xa9 proxy</body></html>", \
                        "text/html; charset=iso-8859-1"
                elif fault in ("html", "truncated"):
                    status, data, kind = 200, b"<html><body>Acc\xe8s r\xe9serv\xe9: please log in</body></html>", \
                        "text/html; charset=iso-8859-1"
                else:
                    raise ValueError(f"unknown fault {fault!r}")
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data) + (100 if fault == "truncated" else 0)))
                self.end_headers()
                self.wfile.write(data if fault != "truncated" else b'{"version": "')
                self.close_connection = True

            def do_GET(self):
                self._serve("GET")

            def do_PUT(self):
                self._serve("PUT")

            def do_DELETE(self):
                self._serve("DELETE")

            def log_message(self, *_):
                pass

        return Handler
