"""MarathonApp: a Marathon app managed through its REST API (Pulumi has no Marathon provider).

A Pulumi dynamic resource. The provider is pickled into the state and runs in Pulumi's provider
host, so it uses only the standard library and keeps every helper inside the class.

Contract (Marathon REST API v2, see ../shared/reference/marathon):
- create and update: `PUT /v2/apps/{id}?partialUpdate=false` (a full replace: a field left out
  gets Marathon's default, as with a fresh app), then wait until its deployment is gone from
  `GET /v2/deployments`;
- 409 means the app is locked by a running deployment: retry until the deadline;
- once the deployment is gone, the app must run the version this PUT created: a deployment
  forced over ours (`?force=true` by someone else) cancels it, and is reported, not taken
  for success;
- delete: `DELETE /v2/apps/{id}` and wait; 404 means already gone;
- read: `GET /v2/apps/{id}`; 404 means the app was deleted outside Pulumi.
Transient faults are retried, on the next Marathon first, within the one deadline of
`timeout_seconds` (every socket timeout is cut to what is left of it): no connection, 503
"could not determine the current leader" (what Marathon answers while it elects one, right
after it starts), other 5xx, a body cut short, and a reply that is not JSON (an HTML page from
a proxy in front of Marathon). The last fault is named when the deadline passes.
"""
from __future__ import annotations

from typing import Any, Optional, Sequence

import pulumi
import pulumi.dynamic as dynamic

from ..dynamic_resources import pickled_by_value, serialized_once

DEFAULT_TIMEOUT_S = 900


@pickled_by_value
class MarathonAppProvider(dynamic.ResourceProvider):
    poll_s = 2.0  # class attributes, so a contract test can run faster
    progress_s = 15.0  # how often a wait says how far the deployment has got

    def check(self, olds: dict, news: dict) -> dynamic.CheckResult:
        failures = []
        app = news.get("app")
        app_id = app.get("id", "") if isinstance(app, dict) else None  # None: not known yet (preview)
        if app_id is not None and not str(app_id).startswith("/"):
            failures.append(dynamic.CheckFailure("app", f"app id {app_id!r} must be absolute, e.g. /platform/stack/service"))
        if not news.get("marathon_urls"):
            failures.append(dynamic.CheckFailure("marathon_urls", "at least one Marathon URL is needed"))
        return dynamic.CheckResult(news, failures)

    def create(self, props: dict) -> dynamic.CreateResult:
        version = self._deploy(props)
        return dynamic.CreateResult(props["app"]["id"], {**props, "version": version})

    def update(self, _id: str, _olds: dict, news: dict) -> dynamic.UpdateResult:
        return dynamic.UpdateResult({**news, "version": self._deploy(news)})

    def diff(self, _id: str, olds: dict, news: dict) -> dynamic.DiffResult:
        keys = ("app", "marathon_urls", "credentials", "ca_certificate", "timeout_seconds")
        changed = [k for k in keys if olds.get(k) != news.get(k)]
        replaces = ["app"] if (olds.get("app") or {}).get("id") != (news.get("app") or {}).get("id") else []
        return dynamic.DiffResult(changes=bool(changed), replaces=replaces, delete_before_replace=False)

    def read(self, id_: str, props: dict) -> dynamic.ReadResult:
        status, body = self._reachable_call(props, self._deadline(props), "GET", f"/v2/apps{id_}", ok=(200, 404))
        if status == 404:
            return dynamic.ReadResult(None, {})
        live = body["app"]  # GET /v2/apps/{id} answers {"app": {...}}
        # Report the drift a refresh should show: scaled or resized outside Pulumi.
        app = dict(props["app"])
        for key in ("instances", "cpus", "mem"):
            if key in live:
                app[key] = live[key]
        return dynamic.ReadResult(id_, {**props, "app": app, "version": live.get("version")})

    def delete(self, id_: str, props: dict) -> None:
        deadline = self._deadline(props)
        while True:
            # Marathon's REST API (v2_apps.raml, the `deployable` trait): 200 with the deployment,
            # 404 when gone already, 409 while another deployment holds the app.
            status, body = self._reachable_call(props, deadline, "DELETE", f"/v2/apps{id_}", ok=(200, 404, 409))
            if status == 404:
                return
            if status != 409:
                self._wait(props, body.get("deploymentId"), id_, deadline)
                return
            self._locked(props, id_, body, deadline)

    # -- helpers (methods, so the pickled provider carries them) --------------------------

    def _deploy(self, props: dict) -> Optional[str]:
        app, deadline = props["app"], self._deadline(props)
        while True:
            status, body = self._reachable_call(props, deadline, "PUT", f"/v2/apps{app['id']}?partialUpdate=false", app,
                                                ok=(200, 201, 409))
            if status != 409:
                self._wait(props, body.get("deploymentId"), app["id"], deadline)
                self._verify(props, app["id"], body.get("version"), deadline)
                return body.get("version")
            self._locked(props, app["id"], body, deadline)

    def _verify(self, props: dict, app_id: str, version: Optional[str], deadline: float) -> None:
        """The app runs what we deployed, not what a deployment forced over ours left."""
        if not version:
            return
        _, body = self._reachable_call(props, deadline, "GET", f"/v2/apps{app_id}")
        running = (body.get("app") or {}).get("version")
        if running != version:
            raise RuntimeError(
                f"Marathon app {app_id} runs version {running}, not {version} which this update deployed: "
                "another deployment was forced over it (?force=true). Run `pulumi refresh` to see what "
                "runs now, then `pulumi up` again")

    def _reachable_call(self, props: dict, deadline: float, *args, **kwargs) -> tuple[int, Any]:
        """`_call`, retried while no Marathon gives a usable answer (starting, electing a
        leader, behind a failing proxy), until the deadline."""
        import time
        while True:
            try:
                return self._call(props, *args, deadline=deadline, **kwargs)
            except ConnectionError:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(self.poll_s)

    def wire_form(self, value: Any) -> Any:
        """The app as Marathon expects it. Pulumi hands numbers to providers as floats
        (protobuf's Struct has only doubles), but Marathon's schema types ports, instances and
        seconds as integers: whole floats go back to ints."""
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, dict):
            return {k: self.wire_form(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.wire_form(v) for v in value]
        return value

    def _deadline(self, props: dict) -> float:
        import time
        return time.monotonic() + float(props.get("timeout_seconds") or DEFAULT_TIMEOUT_S)

    def _locked(self, props: dict, app_id: str, body: dict, deadline: float) -> None:
        import time
        if time.monotonic() >= deadline:
            ids = ", ".join(d.get("id", "?") for d in body.get("deployments", [])) or "unknown"
            raise TimeoutError(
                f"Marathon app {app_id} stayed locked by deployment(s) {ids} until the timeout of "
                f"{props.get('timeout_seconds') or DEFAULT_TIMEOUT_S} s; see the Deployments tab at "
                f"{props['marathon_urls'][0]}/ui/#/deployments (a stuck deployment can be rolled back there)")
        time.sleep(self.poll_s)

    def _wait(self, props: dict, deployment_id: Optional[str], app_id: str, deadline: float) -> None:
        """Until Marathon no longer lists the deployment: every task started and healthy. Says
        every `progress_s` how far it has got."""
        import time
        if not deployment_id:
            return
        started = said = time.monotonic()
        while True:
            if time.monotonic() >= deadline:
                raise TimeoutError(
                    f"Marathon deployment {deployment_id} of app {app_id} did not finish within "
                    f"{props.get('timeout_seconds') or DEFAULT_TIMEOUT_S} s (tasks not running or not "
                    f"healthy); Marathon keeps trying: see {props['marathon_urls'][0]}/ui/#/apps")
            _, running = self._reachable_call(props, deadline, "GET", "/v2/deployments")
            if not any(d.get("id") == deployment_id for d in running):
                return
            if time.monotonic() - said >= self.progress_s:
                self._progress(props, app_id, deployment_id, int(time.monotonic() - started), deadline)
                said = time.monotonic()
            time.sleep(self.poll_s)

    def _progress(self, props: dict, app_id: str, deployment_id: str, waited_s: int, deadline: float) -> None:
        """One line on stderr, which Pulumi's engine shows from a provider as it goes: the
        deployment, and the app's tasks running and healthy of those wanted."""
        import sys
        status, body = self._reachable_call(props, deadline, "GET", f"/v2/apps{app_id}", ok=(200, 404))
        app = (body.get("app") or {}) if status == 200 else {}
        sys.stderr.write(f"Marathon app {app_id}: deployment {deployment_id} after {waited_s} s: "
                         f"{app.get('tasksRunning', '?')} of {app.get('instances', '?')} tasks running, "
                         f"{app.get('tasksHealthy', '?')} healthy\n")
        sys.stderr.flush()

    def _call(self, props: dict, method: str, path: str, body: Any = None,
              ok: Sequence[int] = (200,), deadline: Optional[float] = None) -> tuple[int, Any]:
        """One request to the first Marathon that answers usably (any instance proxies to the
        leader). Transient faults move on to the next URL; if every URL had one, ConnectionError."""
        import base64
        import http.client
        import json
        import ssl
        import time
        import urllib.error
        import urllib.request
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        # Marathon's HTTPS certificate is checked against the platform's CA (platform/tls.py).
        context = ssl.create_default_context(cadata=props["ca_certificate"]) if props.get("ca_certificate") else None
        if props.get("credentials"):
            headers["Authorization"] = "Basic " + base64.b64encode(props["credentials"].encode()).decode()
        data = json.dumps(self.wire_form(body)).encode() if body is not None else None
        errors = []
        for url in props["marathon_urls"]:
            left = 30.0 if deadline is None else max(0.1, min(30.0, deadline - time.monotonic()))
            request = urllib.request.Request(url.rstrip("/") + path, data=data, method=method, headers=headers)
            try:
                with urllib.request.urlopen(request, timeout=left, context=context) as response:
                    status, text = response.status, response.read().decode(errors="replace")
            except urllib.error.HTTPError as e:
                try:
                    status, text = e.code, e.read().decode(errors="replace")
                except (http.client.IncompleteRead, OSError):
                    status, text = e.code, ""
            except http.client.IncompleteRead as e:
                errors.append(f"{url}: the reply was cut short ({len(e.partial)} bytes)")
                continue
            except (urllib.error.URLError, http.client.HTTPException, OSError) as e:
                errors.append(f"{url}: {getattr(e, 'reason', e)}")
                continue
            if status in (401, 403):
                raise PermissionError(
                    f"Marathon at {url} answered {status} to {method} {path}: check platform.marathon.auth "
                    "and the secret marathonPassword")
            if status >= 500:
                errors.append(f"{url}: {status} {text[:200]}")
                continue
            if status not in ok:
                raise RuntimeError(f"Marathon at {url} answered {status} to {method} {path}: {text[:2000]}")
            try:
                return status, json.loads(text) if text.strip() else {}
            except ValueError:
                errors.append(f"{url}: {status} with a body that is not JSON ({text[:80]!r}): a proxy in front of "
                              "Marathon? platform.marathon URLs must reach Marathon itself")
        raise ConnectionError(f"no Marathon answered {method} {path}: {'; '.join(errors)}")


class MarathonApp(dynamic.Resource):
    """One Marathon app, deployed and kept as `app` says."""

    version: pulumi.Output[str]

    def __init__(self, name: str, app: pulumi.Input[dict], marathon_urls: Sequence[pulumi.Input[str]],
                 credentials: Optional[pulumi.Input[str]] = None, timeout_seconds: int = DEFAULT_TIMEOUT_S,
                 ca_certificate: Optional[pulumi.Input[str]] = None, opts: Optional[pulumi.ResourceOptions] = None):
        """`ca_certificate` (PEM): what Marathon's HTTPS certificate is checked against."""
        # The app's env may hold secrets (${secret.*}), the credentials always do.
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=["app", "credentials"]))
        with serialized_once():
            super().__init__(MarathonAppProvider(), name, {
                "app": app, "marathon_urls": list(marathon_urls), "credentials": credentials,
                "ca_certificate": ca_certificate, "timeout_seconds": timeout_seconds, "version": None,
            }, opts)
