"""The loader against compose-go's own expectations of how a Compose file reads.

compose-go is the reference implementation `docker compose` is built on. Each case here is one
of its loader tests (compose-spec/compose-go at e70e961, loader/tests/<key>_test.go, and
format/volume.go and types/hostList.go for the forms they parse): the same YAML, and what
compose-go's tests assert of it, checked on the typed service this loader makes. A case where
the platform reads a value otherwise says why in its comment.
"""
from __future__ import annotations

import textwrap

import pytest

from components.compose import fields, load_stack, yaml12
from components.compose.model import Mount, Port

from .test_compose import load, problems


def service(tmp_path, text: str, name: str = "foo", scheduler: str = "local", variables=None):
    (tmp_path / "compose.yaml").write_text(textwrap.dedent(text))
    stack, found = load_stack(tmp_path, "compose.yaml", "s", scheduler, {}, "platform.stacks[0]",
                              variables=variables or {})
    assert found == [], found
    return stack.service(name)


def foo(body: str) -> str:
    """A file of one service `foo` (alpine) with `body`'s keys."""
    return "services:\n  foo:\n    image: alpine\n" + textwrap.indent(textwrap.dedent(body).strip() + "\n", "    ")


def test_ports_short_long_and_ranges(tmp_path):
    # TestPortsShortSyntax, TestPortsLongSyntax, TestPortsRange
    s = service(tmp_path, foo("""
        ports:
          - "80:8080"
          - "90:8090/udp"
          - 8600
          - "81-82:9081-9082"
          - {target: 80, published: 8080, protocol: tcp, mode: host}
        """))
    assert s.ports == (Port(8080, 80), Port(8090, 90, "udp"), Port(8600, 0), Port(9081, 81), Port(9082, 82),
                       Port(80, 8080, "tcp", "host"))


def test_expose_as_strings_and_numbers(tmp_path):
    # TestExpose: reachable in the stack only, never published
    s = service(tmp_path, foo('expose: ["3000", 8000]'))
    assert s.ports == (Port(3000), Port(8000))


def test_ulimits_single_and_soft_hard(tmp_path):
    # TestUlimits
    s = service(tmp_path, foo("ulimits: {nproc: 65535, nofile: {soft: 20000, hard: 40000}}"))
    assert s.engine.ulimits == (("nproc", 65535, 65535), ("nofile", 20000, 40000))


def test_healthcheck_as_a_shell_line_with_every_duration(tmp_path):
    # TestHealthcheck
    s = service(tmp_path, foo("""
        healthcheck:
          test: echo "hello world"
          interval: 10s
          timeout: 1s
          retries: 5
          start_period: 15s
          start_interval: 5s
        """))
    h = s.health
    assert h.test == ("CMD-SHELL", 'echo "hello world"')
    assert (h.interval_s, h.timeout_s, h.retries, h.start_period_s, h.start_interval_s) == (10, 1, 5, 15, 5)


@pytest.mark.parametrize("body", ["command: bundle exec thin -p 3000", 'command: ["bundle", "exec", "thin", "-p", "3000"]'])
def test_command_as_a_string_or_a_list(tmp_path, body):
    # TestCommandString, TestCommandList
    s = service(tmp_path, foo(body))
    assert [w for (w,) in s.command] == ["bundle", "exec", "thin", "-p", "3000"]


@pytest.mark.parametrize("body", ["entrypoint: /code/entrypoint.sh -p 3000",
                                  'entrypoint: ["/code/entrypoint.sh", "-p", "3000"]'])
def test_entrypoint_as_a_string_or_a_list(tmp_path, body):
    # TestEntrypointList, TestEntrypointString
    assert service(tmp_path, foo(body)).entrypoint == ("/code/entrypoint.sh", "-p", "3000")


@pytest.mark.parametrize("body, hosts", [
    # TestExtraHostsMap, TestExtraHostsList, TestExtraHostsRepeated, TestExtraHostsLongSyntax
    ('extra_hosts: {alpha: "50.31.209.229", zulu: "162.242.195.82"}',
     (("alpha", "50.31.209.229"), ("zulu", "162.242.195.82"))),
    ('extra_hosts: ["alpha:50.31.209.229", "zulu:127.0.0.2", "zulu:ff02::1"]',
     (("alpha", "50.31.209.229"), ("zulu", "127.0.0.2"), ("zulu", "ff02::1"))),
    ('extra_hosts: ["myhost=0.0.0.1,0.0.0.2"]', (("myhost", "0.0.0.1"), ("myhost", "0.0.0.2"))),
    ('extra_hosts: {myhost: ["0.0.0.1", "0.0.0.2"]}', (("myhost", "0.0.0.1"), ("myhost", "0.0.0.2"))),
    # types/hostList.go cleanup: an address in brackets is the address inside
    ('extra_hosts: ["v6host=[::1]"]', (("v6host", "::1"),)),
])
def test_extra_hosts_in_every_form(tmp_path, body, hosts):
    assert service(tmp_path, foo(body)).engine.extra_hosts == hosts


@pytest.mark.parametrize("body, path, says", [
    # NewHostsList: "invalid additional host, missing IP"; the engine refuses an empty address
    ('extra_hosts: ["alpha"]', "extra_hosts[0]", "alpha has no address"),
    ('extra_hosts: {alpha: ""}', "extra_hosts.alpha", "alpha has no address"),
    ('extra_hosts: ["=10.0.0.1"]', "extra_hosts[0]", "'' is not a host name"),
])
def test_an_extra_host_without_a_name_or_address_is_refused(tmp_path, body, path, says):
    found = problems(tmp_path, foo(body))
    assert says in found[f"compose.yaml:services.foo.{path}"], found


def test_stop_user_and_working_dir(tmp_path):
    # TestStopGracePeriod, TestStopSignal, TestUser, TestWorkingDir
    e = service(tmp_path, foo("stop_grace_period: 20s\nstop_signal: SIGUSR1\nuser: someone\nworking_dir: /code")).engine
    assert (e.stop_grace_s, e.stop_signal, e.user, e.working_dir) == (20, "SIGUSR1", "someone", "/code")


@pytest.mark.parametrize("body", [
    "sysctls: [net.core.somaxconn=1024, net.ipv4.tcp_syncookies=0, testing.one.one=, testing.one.two]",
    "sysctls: {net.core.somaxconn: 1024, net.ipv4.tcp_syncookies: 0, testing.one.one: '', testing.one.two: }",
])
def test_sysctls_as_a_list_or_a_mapping(tmp_path, body):
    # TestSysctls
    assert dict(service(tmp_path, foo(body)).engine.sysctls) == {
        "net.core.somaxconn": "1024", "net.ipv4.tcp_syncookies": "0", "testing.one.one": "", "testing.one.two": ""}


@pytest.mark.parametrize("body, paths", [("tmpfs: [/run, /tmp]", ["/run", "/tmp"]), ("tmpfs: /run", ["/run"])])
def test_tmpfs_as_a_list_or_a_string(tmp_path, body, paths):
    # TestTmpfs
    assert [p for p, _ in service(tmp_path, foo(body)).engine.tmpfs] == paths


def test_environment_as_a_mapping_and_a_list(tmp_path):
    # TestEnvironmentMap, TestEnvironmentList, TestEnvironmentBoolean: numbers and booleans as
    # written, an empty value kept, a bare name from the caller's variables, or absent.
    text = """
        services:
          foo:
            image: alpine
            environment: {FOO: "1", BAR: 2, GA: 2.5, BU: "", ZO: , MEU: , T: true, F: false}
          bar:
            image: alpine
            environment: [FOO=1, BAR=2, BU=, ZO, MEU]
        """
    env = {n: {k: "".join(v) for k, v in service(tmp_path, text, n, variables={"MEU": "Shadoks"}).environment.items()}
           for n in ("foo", "bar")}
    assert env["foo"] == {"FOO": "1", "BAR": "2", "GA": "2.5", "BU": "", "MEU": "Shadoks", "T": "true", "F": "false"}
    assert env["bar"] == {"FOO": "1", "BAR": "2", "BU": "", "MEU": "Shadoks"}


@pytest.mark.parametrize("body", [
    'labels: {com.example.description: "Accounting webapp", com.example.number: 42, com.example.empty-label: }',
    'labels: ["com.example.description=Accounting webapp", "com.example.number=42", "com.example.empty-label"]',
])
def test_labels_as_a_mapping_or_a_list(tmp_path, body):
    # TestServiceLabels, TestServiceLabelsListSyntax
    assert service(tmp_path, foo(body)).labels == {
        "com.example.description": "Accounting webapp", "com.example.number": "42", "com.example.empty-label": ""}


def test_deploy_in_full(tmp_path):
    # TestDeployModeReplicas, TestDeployUpdateRollbackConfig, TestDeployResources (sizes in
    # binary megabytes), TestDeployRestartPolicy, TestDeployPlacement
    policy = "{parallelism: 3, delay: 10s, failure_action: continue, monitor: 60s, max_failure_ratio: 0.3, order: start-first}"
    s = service(tmp_path, foo(f"""
        deploy:
          mode: replicated
          replicas: 6
          labels: [FOO=BAR]
          endpoint_mode: dnsrr
          update_config: {policy}
          rollback_config: {policy}
          resources:
            limits: {{cpus: '0.001', memory: 50M}}
            reservations: {{cpus: '0.0001', memory: 20M}}
          restart_policy: {{condition: on-failure, delay: 5s, max_attempts: 3, window: 120s}}
          placement:
            constraints: [node.hostname==foo]
            max_replicas_per_node: 5
            preferences: [{{spread: node.labels.az}}]
        """), scheduler="swarm")
    assert (s.mode, s.replicas, s.service_labels, s.endpoint_mode) == ("replicated", 6, {"FOO": "BAR"}, "dnsrr")
    for u in (s.update, s.rollback):
        assert (u.parallelism, u.delay_s, u.failure_action, u.monitor_s, u.max_failure_ratio, u.order) == \
            (3, 10, "continue", 60, 0.3, "start-first")
    assert (s.cpus, s.memory_mb, s.cpus_reserved, s.memory_reserved_mb) == (0.001, 50, 0.0001, 20)
    r = s.restart
    assert (r.condition, r.delay_s, r.max_attempts, r.window_s) == ("on-failure", 5, 3, 120)
    assert (s.constraints, s.max_per_node, s.placement_preferences) == (("node.hostname==foo",), 5, ("node.labels.az",))


@pytest.mark.parametrize("body, devices", [
    # TestDeviceMapping, TestDeviceMappingLongSyntax
    ("devices: ['/dev/source:/dev/target:permissions', /dev/single]",
     (("/dev/source", "/dev/target", "permissions"), ("/dev/single", "/dev/single", "rwm"))),
    ("devices: [{source: /dev/source, target: /dev/target, permissions: permissions}]",
     (("/dev/source", "/dev/target", "permissions"),)),
])
def test_devices_short_and_long(tmp_path, body, devices):
    assert service(tmp_path, foo(body)).engine.devices == devices


def test_dns_cap_add_drop_and_logging(tmp_path):
    # TestDNS, TestDNSSearch, TestCapAddDrop, TestLogging
    e = service(tmp_path, foo("""
        dns: 8.8.8.8
        dns_search: [dc1.example.com, dc2.example.com]
        cap_add: [ALL]
        cap_drop: [NET_ADMIN, SYS_ADMIN]
        logging: {driver: syslog, options: {syslog-address: "tcp://192.168.0.42:123"}}
        """)).engine
    assert (e.dns, e.dns_search, e.cap_add, e.cap_drop) == (
        ("8.8.8.8",), ("dc1.example.com", "dc2.example.com"), ("ALL",), ("NET_ADMIN", "SYS_ADMIN"))
    assert (e.log_driver, e.log_opts) == ("syslog", (("syslog-address", "tcp://192.168.0.42:123"),))


@pytest.mark.parametrize("mode", ["0440", "0o440", '"0440"'])
def test_a_secrets_mode_is_octal_however_written(tmp_path, mode):
    # TestServiceSecrets, TestSecretFileModeNumber, TestSecretFileModeString (YAML's 0440, as Go
    # reads an integer with a leading 0)
    (tmp_path / "secret_data").write_text("s")
    s = service(tmp_path, f"""
        secrets: {{secret1: {{file: ./secret_data}}}}
        services:
          foo:
            image: alpine
            secrets: [{{source: secret1, target: /run/secrets/s1, mode: {mode}}}]
        """)
    (f,) = s.files
    assert (f.source, f.target, f.mode) == ("secret1", "/run/secrets/s1", 0o440)


@pytest.mark.parametrize("volume, mount", [
    ("/host:/container", Mount("/container", "/host", "bind")),
    ("/host:/container:ro", Mount("/container", "/host", "bind", read_only=True)),
    ("/host:/container:rw,rslave", Mount("/container", "/host", "bind", propagation="rslave")),
    ("/host:/container:ro,z", Mount("/container", "/host", "bind", read_only=True, selinux="z")),
    ("mydata:/data:nocopy", Mount("/data", "mydata", "volume", nocopy=True)),
    ("/host:/container:cached", Mount("/container", "/host", "bind", consistency="cached")),
    ("/anonymous", Mount("/anonymous", "", "volume")),
    # TestVolumeBindPropagation, TestVolumeBindSELinux, TestVolumeNoCopy
    ("{type: bind, source: /host, target: /container, bind: {propagation: rslave}}",
     Mount("/container", "/host", "bind", propagation="rslave")),
    ("{type: bind, source: /host, target: /container, bind: {selinux: z}}", Mount("/container", "/host", "bind", selinux="z")),
    ("{type: volume, source: mydata, target: /data, volume: {nocopy: true, subpath: sub}}",
     Mount("/data", "mydata", "volume", nocopy=True, subpath="sub")),
    ("{type: bind, source: /host, target: /c, bind: {create_host_path: false}}",
     Mount("/c", "/host", "bind", create_host_path=False)),
    ("{type: tmpfs, target: /t, tmpfs: {size: 10000, mode: 0o1777}}",
     Mount("/t", "", "tmpfs", tmpfs_size_bytes=10000, tmpfs_mode=0o1777)),
])
def test_volume_forms_and_their_options(volume, mount):
    # (The parser alone: which scheduler honours which option is the tests below.)
    assert fields.mount(yaml12.load(f"v: {volume if volume.startswith('{') else repr(volume)}")["v"]) == mount


@pytest.mark.parametrize("volume, says", [
    # format/volume.go: "too many colons", "empty section between colons"
    ("/a:/b:ro:extra", "has too many colons"),
    ("/a::ro", "has an empty section between colons"),
    # the engine refuses a mode it does not know (docker/cli: "invalid mode")
    ("/a:/b:rx", "option 'rx' is not one for a bind mount"),
    ("/a:/b:nocopy", "option 'nocopy' is not one for a bind mount"),
    ("{type: bind, source: /a, target: /b, bind: {propagation: sideways}}", "propagation 'sideways' is not one of"),
    ("{type: volume, target: /b, bind: {propagation: rslave}}", "has `bind` options, but is a volume mount"),
])
def test_a_volume_spec_the_engine_would_refuse_is_refused(tmp_path, volume, says):
    found = problems(tmp_path, foo(f"volumes: [{volume!r}]" if not volume.startswith("{") else f"volumes: [{volume}]"))
    assert says in found["compose.yaml:services.foo.volumes[0]"], found


@pytest.mark.parametrize("scheduler, volume, option, why", [
    ("local", "/a:/b:z", "bind.selinux", "pulumi-docker's `docker.Container` mounts have no SELinux relabel"),
    ("swarm", "/a:/b:Z", "bind.selinux", "the Swarm API's mounts have no SELinux relabel"),
    ("swarm", "{type: volume, source: mydata, target: /b, volume: {subpath: x}}", "volume.subpath", "no subpath"),
    ("marathon", "/a:/b:rslave", "bind.propagation", "take a host path, a container path and RW/RO only"),
    ("local", "{type: bind, source: /a, target: /b, bind: {recursive: readonly}}", "bind.recursive",
     "no recursive setting"),
])
def test_a_mount_option_a_scheduler_cannot_honour_is_refused_with_the_reason(tmp_path, scheduler, volume, option, why):
    spec = f"volumes: [{volume!r}]" if not volume.startswith("{") else f"volumes: [{volume}]"
    found = problems(tmp_path, foo(spec) + "volumes: {mydata: {}}\n", scheduler=scheduler)
    said = found[f"compose.yaml:services.foo.volumes[0].{option}"]
    assert said.startswith(f"cannot be honoured on {scheduler}: ") and why in said, found


@pytest.mark.parametrize("scheduler", ["swarm", "marathon"])
def test_a_start_interval_only_the_engine_honours_is_a_warning_elsewhere(tmp_path, scheduler):
    (tmp_path / "compose.yaml").write_text(foo("healthcheck: {test: [CMD, 'true'], start_interval: 2s}"))
    stack, found = load_stack(tmp_path, "compose.yaml", "s", scheduler, {}, "platform.stacks[0]")
    assert found == []
    assert [(w.path, w.message) for w in stack.warnings if "start_interval" in w.path] == [
        ("compose.yaml:services.foo.healthcheck.start_interval", f"has no effect on {scheduler}: checks run every `interval`")]


def test_a_consistency_setting_is_a_warning_everywhere(tmp_path):
    for scheduler in ("local", "swarm", "marathon"):
        (tmp_path / "compose.yaml").write_text(foo("volumes: ['/a:/b:delegated']"))
        stack, found = load_stack(tmp_path, "compose.yaml", "s", scheduler, {}, "platform.stacks[0]")
        assert found == []
        assert [w.path for w in stack.warnings if "consistency" in w.path] == \
            ["compose.yaml:services.foo.volumes[0].consistency"], scheduler


@pytest.mark.parametrize("build, path, says", [
    ("{context: ., ssh: [default]}", "build.ssh", "build has no field for it"),
    ("{context: ., entitlements: [network.host]}", "build.entitlements", "build has no field for it"),
    ("{context: ., additional_contexts: {base: ../base}}", "build.additional_contexts", "build has no field for it"),
])
def test_a_build_setting_the_provider_has_no_field_for_is_refused(tmp_path, build, path, says):
    # (compose-go loader/tests/build_test.go TestBuildSSH, TestBuildConfig)
    found = problems(tmp_path, f"services: {{foo: {{image: example/a:1, build: {build}}}}}\n")
    assert says in found[f"compose.yaml:services.foo.{path}"], found


def test_a_service_platform_no_build_makes_is_refused(tmp_path):
    # docker compose's own e2e fixture (build-test/platforms/compose-service-platform-not-in-build-platforms.yaml)
    found = problems(tmp_path, "services: {foo: {image: example/a:1, platform: linux/386, "
                               "build: {context: ., platforms: [linux/amd64, linux/arm64]}}}\n")
    assert "linux/386 is not among build.platforms" in found["compose.yaml:services.foo.platform"], found


def test_a_service_platform_a_build_makes_is_taken(tmp_path):
    # (compose-go loader/validate.go: the service's platform must be one of build.platforms)
    stack, found = load(tmp_path, "services: {foo: {image: example/a:1, platform: linux/arm64, "
                                  "build: {context: ., platforms: [linux/amd64, linux/arm64]}}}\n")
    assert found == [] and stack.service("foo").engine.platform == "linux/arm64", found


@pytest.mark.parametrize("flag", ["true", "yes", "'on'"])
def test_a_networks_flags_read_as_compose_go_casts_booleans(tmp_path, flag):
    # (loader/interpolate.go toBoolean, as for every boolean of the file)
    (tmp_path / "compose.yaml").write_text(
        f"networks: {{n: {{internal: {flag}, enable_ipv6: {flag}}}}}\nservices: {{a: {{image: x, networks: [n]}}}}\n")
    stack, found = load_stack(tmp_path, "compose.yaml", "s", "local", {}, "platform.stacks[0]")
    assert found == [] and (stack.networks["n"].internal, stack.networks["n"].ipv6) == (True, True)
