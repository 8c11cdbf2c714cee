"""Contract test: the MarathonApp provider against a local server enforcing Marathon's REST
contract (tests/marathon_contract.py). Real Marathon cannot run here."""
import json
import math
import os
import subprocess
import sys
import threading
import time
import urllib.request

import pytest
from pulumi.dynamic.dynamic import serialize_provider

from components.platform.marathon_app import MarathonAppProvider

from .marathon_contract import MarathonContractServer
from .realhelpers import free_port
from .test_stacks import deployed


def rendered_app(name="app-api"):
    """An app exactly as the program renders it, numbers as floats as Pulumi delivers them."""
    (r,) = [r for r in deployed("marathon").marathon_apps() if r.name == name]
    return r.inputs["app"]


def provider():
    p = MarathonAppProvider()
    p.poll_s = 0.01
    return p


def props(server, app=None, **extra):
    return {"app": app or rendered_app(), "marathon_urls": [server.url], "credentials": None,
            "timeout_seconds": 5, **extra}


def test_create_sends_a_valid_full_definition_and_waits_for_its_deployment():
    with MarathonContractServer(seconds=0.3) as server:
        started = time.monotonic()
        result = provider().create(props(server))
        app_id = "/ha/app/api"
        assert result.id == app_id and result.outs["version"] == server.apps[app_id]["version"]
        assert time.monotonic() - started >= 0.3  # returned only once the deployment was over
        puts = [(path, status) for m, path, status in server.log if m == "PUT"]
        assert puts == [(f"/v2/apps{app_id}?partialUpdate=false", 201)]
        assert server.statuses("GET").count(200) >= 3  # polled while the deployment ran
        assert server.apps[app_id]["instances"] == 2 and isinstance(server.apps[app_id]["instances"], int)


def test_update_replaces_the_whole_definition():
    with MarathonContractServer() as server:
        p = provider()
        app = {**rendered_app(), "constraints": [["hostname", "UNIQUE"]]}
        p.create(props(server, app))
        trimmed = {k: v for k, v in app.items() if k != "constraints"}
        p.update(app["id"], props(server, app), props(server, trimmed))
        assert "constraints" not in server.apps[app["id"]]
        # The server does merge without partialUpdate=false, so the test above can fail.
        request = urllib.request.Request(f"{server.url}/v2/apps{app['id']}", method="PUT",
                                         data=json.dumps(p.wire_form({**trimmed, "instances": 3})).encode(),
                                         headers={"Content-Type": "application/json"})
        urllib.request.urlopen(request).read()
        assert server.apps[app["id"]]["instances"] == 3 and "labels" in server.apps[app["id"]]
        assert 422 not in server.statuses("PUT")


def test_the_stand_in_negotiates_content_as_marathons_resources_do():
    """AppsResource.scala: @Consumes/@Produces application/json. A body of another type gets
    415 and an Accept without JSON 406, so a provider that dropped its headers is caught."""
    with MarathonContractServer() as server:
        app = rendered_app()
        body, url = json.dumps(app).encode(), f"{server.url}/v2/apps{app['id']}?partialUpdate=false"
        for headers, status in (({}, 415), ({"Content-Type": "text/plain"}, 415),
                                ({"Content-Type": "application/json", "Accept": "text/html"}, 406)):
            request = urllib.request.Request(url, method="PUT", data=body, headers=headers)
            with pytest.raises(urllib.error.HTTPError) as e:
                urllib.request.urlopen(request)
            assert e.value.code == status, (headers, e.value.code)
        refused = len(server.statuses("PUT"))
        provider().create(props(server, app))
        assert server.statuses("PUT")[refused:] == [201], server.statuses("PUT")


def test_an_app_marathon_refuses_fails_at_once_with_marathons_words():
    """A 4xx other than auth (422: the definition breaks Marathon's schema) is not retried: it
    fails with the status, the request and Marathon's own explanation."""
    with MarathonContractServer() as server:
        app = {**rendered_app(), "instances": -1}
        started = time.monotonic()
        with pytest.raises(RuntimeError) as e:
            provider().create(props(server, app))
        assert time.monotonic() - started < 2  # not retried until the 5 s timeout
        assert f"Marathon at {server.url} answered 422 to PUT /v2/apps{app['id']}?partialUpdate=false: " in str(e.value)
        assert "-1 is less than the minimum of 0" in str(e.value), e.value  # the details Marathon gave
        assert server.statuses("PUT") == [422]


def test_a_locked_app_is_retried_until_the_other_deployment_finishes():
    with MarathonContractServer() as server:
        p = provider()
        app = rendered_app()
        p.create(props(server, app))
        server.start_deployment(app["id"], seconds=0.2)
        p.update(app["id"], props(server, app), props(server, {**app, "instances": 5}))
        assert 409 in server.statuses("PUT") and server.statuses("PUT")[-1] == 200
        assert server.apps[app["id"]]["instances"] == 5


@pytest.mark.parametrize("change", [
    lambda p, server, app: p.update(app["id"], props(server, app), props(server, app, timeout_seconds=0.3)),
    lambda p, server, app: p.delete(app["id"], props(server, app, timeout_seconds=0.3)),
], ids=["update", "delete"])
def test_a_lock_that_never_clears_times_out_naming_the_app_and_deployment(change):
    with MarathonContractServer() as server:
        p = provider()
        app = rendered_app()
        p.create(props(server, app))
        blocker = server.start_deployment(app["id"], seconds=math.inf)
        with pytest.raises(TimeoutError) as e:
            change(p, server, app)
        assert app["id"] in str(e.value) and blocker in str(e.value) and "locked" in str(e.value)
        assert app["id"] in server.apps


def test_a_lock_outlasting_the_default_timeout_names_that_timeout(monkeypatch):
    """An app without timeout_seconds waits DEFAULT_TIMEOUT_S (shortened here), and says so."""
    from components.platform import marathon_app
    monkeypatch.setattr(marathon_app, "DEFAULT_TIMEOUT_S", 0.3)
    with MarathonContractServer() as server:
        p, app = provider(), rendered_app()
        p.create(props(server, app))
        server.start_deployment(app["id"], seconds=math.inf)
        unset = {k: v for k, v in props(server, app).items() if k != "timeout_seconds"}
        with pytest.raises(TimeoutError) as e:
            p.delete(app["id"], unset)
        assert "until the timeout of 0.3 s" in str(e.value), e.value


def test_a_deployment_that_never_finishes_times_out_clearly():
    with MarathonContractServer(seconds=math.inf) as server:
        with pytest.raises(TimeoutError) as e:
            provider().create(props(server, timeout_seconds=0.3))
        assert "did not finish within 0.3 s" in str(e.value) and "/ha/app/api" in str(e.value)


def test_basic_auth_comes_from_the_credentials():
    with MarathonContractServer(credentials="ops:s3cret") as server:
        with pytest.raises(PermissionError) as e:
            provider().create(props(server, credentials="ops:wrong"))
        assert "marathonPassword" in str(e.value) and "401" in str(e.value)
        with pytest.raises(PermissionError):
            provider().create(props(server))
        provider().create(props(server, credentials="ops:s3cret"))
        assert "/ha/app/api" in server.apps


def test_delete_waits_and_an_app_already_gone_is_fine():
    with MarathonContractServer(seconds=0.2) as server:
        p = provider()
        app = rendered_app()
        p.create(props(server, app))
        p.delete(app["id"], props(server, app))
        assert app["id"] not in server.apps and server.statuses("GET")[-1] == 200
        p.delete(app["id"], props(server, app))
        assert server.statuses("DELETE") == [200, 404]


def test_a_body_less_not_found_reads_as_gone():
    """A 404 without a body (a proxy's, or one whose body was lost) still says the app is gone."""
    import http.server

    class Empty(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Empty)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}"
        result = provider().read("/ha/app/api", {"app": rendered_app(), "marathon_urls": [url], "credentials": None,
                                                 "timeout_seconds": 2})
        assert result.id is None
    finally:
        server.shutdown()
        server.server_close()


def test_read_reports_deletion_and_scaling_done_outside_pulumi():
    with MarathonContractServer() as server:
        p = provider()
        app = rendered_app()
        p.create(props(server, app))
        server.apps[app["id"]]["instances"] = 7
        assert p.read(app["id"], props(server, app)).outs["app"]["instances"] == 7
        del server.apps[app["id"]]
        assert p.read(app["id"], props(server, app)).id is None


def test_check_refuses_a_relative_app_id_and_a_missing_marathon():
    p, app = provider(), rendered_app()
    ok = p.check({}, {"app": app, "marathon_urls": ["u"]})
    assert ok.failures == []
    bad = p.check({}, {"app": {**app, "id": "ha/app/api"}, "marathon_urls": []})
    assert sorted(f.property for f in bad.failures) == ["app", "marathon_urls"]
    # An app without an id is refused too (Marathon would answer 422 at the first deploy).
    no_id = p.check({}, {"app": {k: v for k, v in app.items() if k != "id"}, "marathon_urls": ["u"]})
    assert [(f.property, f.reason) for f in no_id.failures] == [
        ("app", "app id '' must be absolute, e.g. /platform/stack/service")]
    # During a preview the app may not be known yet: nothing to check.
    assert p.check({}, {"app": "04da6b54-80e4-46f7-96ec-b56ff0331ba9", "marathon_urls": ["u"]}).failures == []


def test_diff_replaces_only_when_the_id_changes():
    p, app = provider(), rendered_app()
    olds = {"app": app, "marathon_urls": ["u"], "credentials": None, "timeout_seconds": 5}
    assert p.diff(app["id"], olds, dict(olds)).changes is False
    scaled = p.diff(app["id"], olds, {**olds, "app": {**app, "instances": 4}})
    assert scaled.changes and scaled.replaces == []
    moved = p.diff(app["id"], olds, {**olds, "app": {**app, "id": "/ha/app/api2"}})
    assert moved.changes and moved.replaces == ["app"]
    # A new login alone is a change (updated in place), so the new password reaches the state
    # and the next call uses it; a new Marathon URL or timeout likewise.
    for key, value in (("credentials", "admin:rotated"), ("marathon_urls", ["u", "v"]), ("timeout_seconds", 60)):
        changed = p.diff(app["id"], olds, {**olds, key: value})
        assert changed.changes and changed.replaces == [], key


def test_the_next_marathon_answers_when_the_first_is_down():
    with MarathonContractServer() as server:
        dead = "http://127.0.0.1:9"  # discard port: nothing listens
        provider().create(props(server, marathon_urls=[dead, server.url]))
        assert "/ha/app/api" in server.apps


def test_a_marathon_that_is_still_starting_is_waited_for():
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    result, app = {}, rendered_app()  # evaluated here: the worker thread has no event loop for Pulumi
    worker = threading.Thread(target=lambda: result.update(r=provider().create(
        {"app": app, "marathon_urls": [url], "credentials": None, "timeout_seconds": 10})))
    worker.start()
    time.sleep(0.5)  # refused connections meanwhile
    with MarathonContractServer(port=port) as server:
        worker.join(timeout=10)
        assert result["r"].id == "/ha/app/api" and "/ha/app/api" in server.apps


def test_no_marathon_at_all_fails_after_the_timeout_naming_the_urls():
    dead, also_dead = (f"http://127.0.0.1:{free_port()}" for _ in range(2))
    with pytest.raises(ConnectionError) as e:
        provider().create({"app": rendered_app(), "marathon_urls": [dead, also_dead], "credentials": None,
                           "timeout_seconds": 0.3})
    # each URL with the socket's reason, not urllib's wrapping
    assert str(e.value) == (f"no Marathon answered PUT /v2/apps/ha/app/api?partialUpdate=false: {dead}: [Errno 111] Connection refused; "
                            f"{also_dead}: [Errno 111] Connection refused")


def test_the_pickled_provider_runs_in_a_fresh_process_without_the_project():
    """Pulumi stores the provider pickled in the state and runs it in its provider host."""
    pickled = serialize_provider(provider())
    with MarathonContractServer() as server:
        script = (
            "import base64, json, sys, dill\n"
            "assert not any(p.endswith('/work/main') for p in sys.path)\n"
            "p = dill.loads(base64.b64decode(sys.stdin.readline()))\n"
            "r = p.create(json.loads(sys.stdin.readline()))\n"
            "print(r.id)\n"
        )
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        run = subprocess.run([sys.executable, "-c", script], cwd="/tmp", env=env, capture_output=True, text=True,
                             input=pickled + "\n" + json.dumps(props(server)) + "\n", timeout=60)
        assert run.returncode == 0, run.stderr
        assert run.stdout.strip() == "/ha/app/api" and "/ha/app/api" in server.apps


def test_a_provider_class_made_at_test_time_is_pickled_by_value():
    """`pickled_by_value` itself, on a class this test makes (the program's own classes are
    decorated at import, before any test runs): its methods travel by value to a process that
    cannot import this file."""
    import pulumi.dynamic as dynamic

    from components.dynamic_resources import pickled_by_value

    @pickled_by_value
    class Probe(dynamic.ResourceProvider):
        def create(self, props):
            return dynamic.CreateResult("id-" + self._suffix(props), {})

        def _suffix(self, props):
            return props["x"]
    assert Probe.__module__ == Probe._suffix.__module__ == "__main__"
    script = ("import base64, sys, dill\n"
              "p = dill.loads(base64.b64decode(sys.stdin.readline()))\n"
              "print(p.create({'x': '7'}).id)\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    run = subprocess.run([sys.executable, "-c", script], cwd="/tmp", env=env, capture_output=True, text=True,
                         input=serialize_provider(Probe()) + "\n", timeout=60)
    assert (run.returncode, run.stdout.strip()) == (0, "id-7"), run.stderr


def test_marathon_over_https_is_trusted_through_the_platforms_ca_and_only_so(tmp_path):
    """The fast half of tests/test_real_tls.py's HTTPS test (in the mutation run): the app is
    deployed over HTTPS trusting the CA the program made, and refused without it."""
    from components.roles import marathon as marathon_role

    from .conftest import evaluate_changed
    from .test_real_tls import files_of, written
    d = evaluate_changed("local", lambda p: p.update(tls={"enabled": True}))
    assert d.error is None, d.error
    files, tls = files_of(d, "marathon"), marathon_role.TLS_FILES
    with MarathonContractServer(tls=(written(tmp_path, "chain.pem", files[tls.chain]),
                                     written(tmp_path, "key.pem", files[tls.key]))) as server:
        trusting = props(server, timeout_seconds=3, ca_certificate=d.outputs["tls_ca_certificate"])
        assert provider().create(trusting).id == "/ha/app/api"
        with pytest.raises(ConnectionError, match="CERTIFICATE_VERIFY_FAILED"):
            provider().create({**trusting, "ca_certificate": None, "timeout_seconds": 1})


# -- transient faults, one deadline (MarathonContractServer.inject) ---------------------------

@pytest.mark.parametrize("fault", ["no-leader", "error", "html", "truncated"])
def test_a_transient_fault_moves_to_the_next_marathon(fault):
    """Two instances of one Marathon: the first meets the fault, the second takes the request."""
    with MarathonContractServer() as first, MarathonContractServer(peer=first) as second:
        first.inject(fault, method="PUT")
        provider().create(props(first, marathon_urls=[first.url, second.url]))
        assert [s for m, _, s in first.log if m == "PUT"] == [fault]
        assert "/ha/app/api" in second.apps and second.statuses("PUT") == [201]


@pytest.mark.parametrize("fault", ["no-leader", "error", "html", "truncated"])
def test_a_transient_fault_of_the_only_marathon_is_retried_within_the_deadline(fault):
    with MarathonContractServer() as server:
        server.inject(fault, fault, method="PUT")
        provider().create(props(server))
        assert [s for m, _, s in server.log if m == "PUT"] == [fault, fault, 201]


def test_a_fault_while_waiting_for_the_deployment_is_not_fatal():
    with MarathonContractServer(seconds=0.3) as server:
        server.inject("no-leader", "error", "truncated", method="GET")
        provider().create(props(server))
        assert {"no-leader", "error", "truncated"} <= {s for m, _, s in server.log if m == "GET"}
        assert "/ha/app/api" in server.apps


def test_a_fault_that_persists_fails_at_the_deadline_naming_it():
    with MarathonContractServer() as server:
        server.inject(*["no-leader"] * 1000, method="PUT")
        started = time.monotonic()
        with pytest.raises(ConnectionError) as e:
            provider().create(props(server, timeout_seconds=0.5))
        assert time.monotonic() - started < 3
        assert "503" in str(e.value) and "Could not determine the current leader" in str(e.value)


def test_a_marathon_that_stops_answering_after_the_deployment_fails_at_the_deadline(monkeypatch):
    """The check that the app runs our version keeps the deployment's deadline."""
    with MarathonContractServer() as server:
        p = provider()
        monkeypatch.setattr(p, "_wait", lambda *args: None)  # the deployment is done at once
        server.inject(*["no-leader"] * 1000, method="GET")
        started = time.monotonic()
        with pytest.raises(ConnectionError) as e:
            p.create(props(server, timeout_seconds=0.5))
        assert time.monotonic() - started < 3
        assert "GET /v2/apps/ha/app/api" in str(e.value), e.value


def test_a_slow_marathon_cannot_stretch_the_deadline():
    """Each socket timeout is cut to what is left of timeout_seconds (it was a fixed 30 s)."""
    with MarathonContractServer() as server:
        server.slow_s = 5
        server.inject("slow", method="PUT")
        started = time.monotonic()
        with pytest.raises((ConnectionError, TimeoutError)):
            provider().create(props(server, timeout_seconds=0.5))
        assert time.monotonic() - started < 1.05  # the last tries get what is left (at least 0.1 s each)


def test_a_deployment_forced_over_ours_is_reported_not_taken_for_success():
    with MarathonContractServer() as server:
        server.force_over_next_deployment()
        with pytest.raises(RuntimeError) as e:
            provider().create(props(server))
        assert "forced" in str(e.value) and "/ha/app/api" in str(e.value)


# -- many apps in one program (pulumi 3.272's stacked pickler wrappers) ---------------------

def test_the_sdk_stacks_a_pickler_wrapper_per_serialized_provider():
    """Minimal reproduction of the SDK bug MarathonApp works around (dynamic_resources._serialize_once):
    each serialize_provider call leaves pickle._Pickler._batch_setitems wrapped once more."""
    import pickle
    before = pickle._Pickler._batch_setitems
    try:
        serialize_provider(provider())
        once = pickle._Pickler._batch_setitems
        serialize_provider(provider())
        assert pickle._Pickler._batch_setitems is not once is not before  # one more layer each call
    finally:
        pickle._Pickler._batch_setitems = before


def test_a_thousand_marathon_apps_register_without_recursion_and_leave_pickle_as_it_was():
    import pickle

    import pulumi
    from pulumi.runtime import mocks

    from components.platform.marathon_app import MarathonApp

    class Mocks(mocks.Mocks):
        def new_resource(self, args):
            return args.name + "-id", args.inputs

        def call(self, args):
            return {}

    before = (pickle._Pickler._batch_setitems, pickle._Pickler.save_dict)
    pulumi.runtime.set_mocks(Mocks(), preview=False)  # each evaluation in other tests sets its own
    apps = [MarathonApp(f"app-{i}", {"id": f"/p/s/app-{i}", "instances": 1}, ["http://m:8080"]) for i in range(1000)]
    assert len(apps) == 1000  # the SDK alone ends in RecursionError after about 320
    assert (pickle._Pickler._batch_setitems, pickle._Pickler.save_dict) == before


def test_a_long_deployment_says_how_far_it_has_got(capsys):
    """Issue 15: a wait of minutes says, as it goes, which deployment and how many tasks run and
    are healthy (on stderr, which Pulumi's engine shows from a provider)."""
    with MarathonContractServer(seconds=1.0) as server:
        p = provider()
        p.progress_s = 0.3
        p.create(props(server))
    lines = [l for l in capsys.readouterr().err.splitlines() if l.startswith("Marathon app /ha/app/api: deployment ")]
    assert len(lines) >= 2, lines
    assert all(l.endswith("0 of 2 tasks running, 0 healthy") for l in lines)  # the server's counts mid-deployment
    assert len({l.split()[4] for l in lines}) == 1  # one deployment, named in each line


def test_progress_of_an_app_marathon_no_longer_knows_says_so_and_goes_on(capsys):
    """A deleted app answers 404 (Marathon's REST API, GET /v2/apps/{id}): the line says its counts
    are unknown instead of failing the wait."""
    with MarathonContractServer() as server:
        provider()._progress(props(server), "/ha/app/gone", "d-1", 30, time.monotonic() + 5)
    # (the stand-in server's own thread may add a traceback when the client hangs up first)
    said = [line for line in capsys.readouterr().err.splitlines() if line.startswith("Marathon app ")]
    assert said == ["Marathon app /ha/app/gone: deployment d-1 after 30 s: ? of ? tasks running, ? healthy"]


def test_a_page_that_is_not_json_names_a_proxy_in_front_of_marathon():
    """A URL that reaches a login page or a load balancer's error page answers 200 with HTML:
    not Marathon. The provider says so, with the start of the body, and tries no harder."""
    import http.server

    class LoginPage(http.server.BaseHTTPRequestHandler):
        def do_PUT(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = b"<html><body>Please sign in</body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), LoginPage)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with pytest.raises(ConnectionError) as e:
            provider().create({"app": rendered_app(), "marathon_urls": [url], "credentials": None,
                               "timeout_seconds": 0.2})
    finally:
        server.shutdown()
        server.server_close()
    assert str(e.value).startswith(
        f"no Marathon answered PUT /v2/apps/ha/app/api?partialUpdate=false: {url}: 200 with a body that is not JSON "
        "('<html><body>Please sign in</body></html>'): a proxy in front of Marathon? platform.marathon URLs must "
        "reach Marathon itself")


def test_an_update_records_the_version_marathon_deployed_and_a_url_may_end_in_a_slash():
    with MarathonContractServer() as server:
        p, app = provider(), rendered_app()
        created = p.create(props(server, app, marathon_urls=[server.url + "/"]))  # as often pasted
        assert [line for line in server.request_lines if line.startswith("PUT")] == [
            "PUT /v2/apps/ha/app/api?partialUpdate=false HTTP/1.1"]
        updated = p.update(app["id"], created.outs, props(server, {**app, "instances": 3}))
        assert updated.outs["version"] == server.apps["/ha/app/api"]["version"] != created.outs["version"]
