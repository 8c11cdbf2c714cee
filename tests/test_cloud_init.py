"""cloud-init, the second materialization of a ContainerSpec: schema-valid user data, the same
container as the `docker.Container` path for every role, and `docker run` lines that really run."""
import base64
import configparser
import dataclasses
import hashlib
import json
import shlex
import subprocess

import pytest
import yaml

from components.hosts import cloud_init
from components.hosts.aws import unpacked
from components.hosts.docker_engine import container_args

from .conftest import PLACEHOLDER_SECRETS
from .harness import captured_specs, cloud_config, copied_in, docker_create, evaluate, packed_user_data, stack_config, units
from .realhelpers import STANDIN_IMAGE, docker, wait_for

AWS_STACKS = ["dev", "prod"]


def user_data_texts(stack):
    d = evaluate(stack, secrets=PLACEHOLDER_SECRETS)
    assert d.error is None, d.error
    for r in d.of_type("aws:ec2/instance:Instance") + d.of_type("aws:ec2/launchTemplate:LaunchTemplate"):
        packed = packed_user_data(r)
        yield r.name, unpacked(packed), len(packed)


def schema_check(path):
    return subprocess.run(["cloud-init", "schema", "--config-file", str(path)], capture_output=True, text=True)


@pytest.mark.parametrize("stack", AWS_STACKS)
def test_every_user_data_is_valid_cloud_config_and_fits_ec2s_limit(stack, tmp_path):
    texts = list(user_data_texts(stack))
    assert texts
    for name, text, packed_size in texts:
        path = tmp_path / f"{name}.yaml"
        path.write_text(text)
        check = schema_check(path)
        assert check.returncode == 0 and "Valid" in check.stdout, (name, check.stdout, check.stderr)
        assert packed_size < 16384, name  # EC2 refuses larger user data


@pytest.mark.parametrize("stack", AWS_STACKS)
def test_every_written_file_has_a_mode_cloud_init_reads_none_world_writable_units_0644(stack):
    # cloud-init's cc_write_files.decode_perms reads the mode as octal and, when it cannot,
    # writes the file with its default and only a warning in the log: the schema accepts any text.
    for name, text, _ in user_data_texts(stack):
        files = yaml.safe_load(text).get("write_files", [])
        assert files, name
        for f in files:
            mode = int(f["permissions"], 8)
            assert not mode & 0o002, (name, f["path"])
            if f["path"].startswith("/etc/systemd/system/"):
                assert mode == 0o644, (name, f["path"])


@pytest.mark.parametrize("stack", AWS_STACKS)
def test_docker_and_every_unit_written_start_now_and_at_each_boot(stack):
    # `systemctl enable` links a unit only from its [Install] section: one without it is
    # refused with "The unit files have no installation config" and would not start at boot.
    for name, text, _ in user_data_texts(stack):
        config = yaml.safe_load(text)
        units = {f["path"].rsplit("/", 1)[1]: f["content"] for f in config["write_files"]
                 if f["path"].rsplit("/", 1)[0] == "/etc/systemd/system" and f["path"].endswith(".service")}
        assert units, name
        enabled = [u for cmd in config["runcmd"] if cmd[:3] == ["systemctl", "enable", "--now"] for u in cmd[3:]]
        assert enabled[0] == "docker" and sorted(enabled[1:]) == sorted(units), name
        for unit, content in units.items():
            parser = configparser.ConfigParser(interpolation=None)
            parser.read_string(content)
            assert parser["Install"]["WantedBy"] == "multi-user.target", (name, unit)


def test_the_schema_check_rejects_a_broken_config(tmp_path):
    (name, text, _), *_ = user_data_texts("dev")
    config = yaml.safe_load(text)
    config["runcmd"] = {"not": "a list"}
    path = tmp_path / "broken.yaml"
    path.write_text("#cloud-config\n" + yaml.safe_dump(config))
    assert schema_check(path).returncode != 0


# -- one spec, two materializations ------------------------------------------------------

def from_docker_args(a, secret_keys):
    h = a["healthcheck"]
    env = dict(e.split("=", 1) for e in a["envs"] or [])
    return {
        "name": a["name"], "command": list(a["command"] or []), "entrypoint": a["entrypoints"],
        "env": {k: v for k, v in env.items() if k not in secret_keys}, "secret_env": sorted(secret_keys & set(env)),
        "network": a["network_mode"], "publish": bool(a.get("ports")),
        "restart": a["restart"] + (f":{a['max_retry_count']}" if a.get("max_retry_count") else ""),
        "privileged": bool(a.get("privileged")), "pid": a["pid_mode"],
        "health": [h.tests[1] if h.tests[0] == "CMD-SHELL" else shlex.join(h.tests[1:]), h.interval, h.timeout,
                   h.retries, h.start_period] if h else None,
        "volumes": sorted((v.volume_name or v.host_path, v.container_path, bool(v.read_only)) for v in a["volumes"] or []),
        "files": sorted((u.file, u.permissions or "") for u in a["uploads"] or []),
        "labels": {l.label: l.value for l in a["labels"] or []},
    }


def from_run_script(script, spec):
    argv = docker_create(script)

    def values(flag):
        return [argv[i + 1] for i, a in enumerate(argv[:-1]) if a == flag]

    image_at = argv.index(spec.image, argv.index("--name"))
    entry = values("--entrypoint")
    rest = argv[image_at + 1:]
    if entry:  # the entrypoint's own arguments come first after the image
        entry, rest = [entry[0], *rest[:len(spec.entrypoint) - 1]], rest[len(spec.entrypoint) - 1:]
    mounts = [v.split(":") for v in values("--volume")]
    secret_root = cloud_init.secret_files_root(spec)
    files = [(inside, "0400" if outside.startswith(secret_root) else "") for inside, outside in copied_in(script).items()]
    return {
        "name": values("--name")[0], "command": rest, "entrypoint": entry or None,
        "env": dict(e.split("=", 1) for e in values("--env")),
        "secret_env": sorted(spec.secret_env) if values("--env-file") == [cloud_init.secrets_file(spec)] else [],
        "network": values("--network")[0],
        "publish": bool(values("--publish")),  # roles bind on the host network: nothing published
        "restart": values("--restart")[0], "privileged": "--privileged" in argv, "pid": (values("--pid") or [None])[0],
        "health": [values("--health-cmd")[0], *values("--health-interval"), *values("--health-timeout"),
                   int(values("--health-retries")[0]), *values("--health-start-period")] if values("--health-cmd") else None,
        "volumes": sorted((m[0], m[1], m[2:] == ["ro"]) for m in mounts),
        "files": sorted(files),
        "labels": dict(l.split("=", 1) for l in values("--label")),
    }


def every_role():
    """local-ha: ZooKeeper x3, masters, both agent pools, Marathon, marathon-lb, Spark; local; and
    local with Marathon auth (secret env, marathon-lb's entrypoint). Compose services are not
    among them: they run only on Docker-provider engines (services/local.py), never from cloud-init."""
    auth = json.loads(json.dumps(stack_config("local")))
    auth["container-platform:platform"]["marathon"]["auth"] = {"username": "ops"}
    return captured_specs("local-ha", secrets=PLACEHOLDER_SECRETS) + captured_specs("local", secrets=PLACEHOLDER_SECRETS) + captured_specs("local", config=auth, secrets=PLACEHOLDER_SECRETS)


def test_docker_container_and_cloud_init_unit_agree_for_every_role():
    specs = every_role()
    roles = set()
    for plain, secret_env in specs:
        roles.add(plain.labels.get("container-platform/role"))
        docker_side = from_docker_args(container_args(plain, plain.image), set(secret_env))
        unit_side = from_run_script(cloud_init.run_script(plain), plain)
        assert unit_side == docker_side, plain.name
    assert roles >= {"zookeeper", "mesos-master", "mesos-agent", "marathon", "marathon-lb", "spark-master",
                     "spark-worker", "spark-history"}


def test_an_entrypoint_the_spec_clears_is_cleared_on_both_paths():
    # `entrypoint: []` in Compose terms: Docker runs the command without the image's entrypoint
    # (`--entrypoint ""` on the command line, an empty list through the provider).
    (plain, _), *_ = every_role()
    cleared = dataclasses.replace(plain, entrypoint=())
    argv = cloud_init.docker_create_argv(cleared)
    assert argv[argv.index("--entrypoint") + 1] == ""
    assert container_args(cleared, cleared.image)["entrypoints"] == []


def test_the_comparison_notices_a_difference():
    (plain, secret_env), *_ = every_role()
    script = cloud_init.run_script(plain).replace("--restart unless-stopped", "--restart no")
    assert from_run_script(script, plain) != from_docker_args(container_args(plain, plain.image), set(secret_env))


# -- the units' run scripts, for real -------------------------------------------------

def image_of(argv):
    """The first word after `docker create`'s options (only --privileged takes no value)."""
    i = 2
    while argv[i].startswith("--"):
        i += 1 if argv[i] == "--privileged" else 2
    return argv[i]


def ssm_standin(bin_dir, d) -> dict:
    """An `aws` on PATH that answers `ssm get-parameter --name N` with what the program stored in
    SSM under N (as the CLI prints `--output text`: the value and a newline)."""
    stored = {p.inputs["name"]: p.inputs["value"] for p in d.of_type("aws:ssm/parameter:Parameter")}
    bin_dir.mkdir()
    (bin_dir / "ssm.json").write_text(json.dumps(stored))
    (bin_dir / "aws").write_text(
        "#!/usr/bin/python3\n# stand-in for the AWS CLI: SSM get-parameter answers the stored value\n"
        "import json, sys\n"
        f"stored = json.load(open({str(bin_dir / 'ssm.json')!r}))\n"
        "print(stored[sys.argv[sys.argv.index('--name') + 1]])\n")
    (bin_dir / "aws").chmod(0o755)
    return {"PATH": f"{bin_dir}:/usr/bin:/bin"}


@pytest.mark.real
def test_rendered_run_scripts_start_the_containers_they_describe(tmp_path):
    """dev's user data, written under a scratch root, each unit's secrets script (SSM answered
    by a stand-in with the values the program stored) then its run script, as systemd runs them,
    with the local stand-in image (only the image is swapped; tests/test_twin_aws.py runs prod's
    unchanged). Secret files arrive at their paths, mode 0400, and in no argument."""
    d = evaluate("dev", secrets=PLACEHOLDER_SECRETS)
    assert d.error is None, d.error
    scratch, secrets_dir = tmp_path / cloud_init.ROOT.lstrip("/"), tmp_path / "secrets"
    scratch.mkdir(parents=True)
    (scratch / "instance.env").write_text("INSTANCE_IP=127.0.0.1\n")
    for r in d.of_type("aws:ec2/instance:Instance") + d.of_type("aws:ec2/launchTemplate:LaunchTemplate"):
        for f in cloud_config(r)["write_files"]:
            target = tmp_path / f["path"].lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(f["content"].replace(cloud_init.ROOT, str(scratch)).replace(cloud_init.SECRETS_DIR, str(secrets_dir)))
    env = ssm_standin(tmp_path / "bin", d)
    stored = {p.inputs["name"]: p.inputs["value"] for p in d.of_type("aws:ssm/parameter:Parameter")}
    started, secret_files = [], 0
    try:
        for unit in units(d):
            if (scratch / unit.name / "secrets.sh").exists():
                fetched = subprocess.run(["sh", str(scratch / unit.name / "secrets.sh")], env=env, capture_output=True, text=True)
                assert fetched.returncode == 0, (unit.name, fetched.stderr)
            script = (scratch / unit.name / "run.sh").read_text().replace(f" {image_of(unit.argv)}", f" {STANDIN_IMAGE}", 1)
            run = subprocess.run(["sh", "-c", script], env=env, capture_output=True, text=True)
            assert run.returncode == 0, (unit.name, run.stderr)
            started.append(unit.name)
            info = json.loads(docker("inspect", unit.name).stdout)[0]
            container_env = dict(e.split("=", 1) for e in info["Config"]["Env"])
            for key, value in unit.env.items():
                assert container_env[key] == value.replace("$INSTANCE_IP", "127.0.0.1"), (unit.name, key)
            assert info["HostConfig"]["RestartPolicy"]["Name"] == unit.argv[unit.argv.index("--restart") + 1]
            assert info["HostConfig"]["NetworkMode"] == unit.argv[unit.argv.index("--network") + 1]
            assert info["Config"]["Healthcheck"]["Test"] == ["CMD-SHELL", *unit.health[1:]]
            wait_for(f"{unit.name} running",
                     lambda: docker("inspect", "-f", "{{.State.Running}}", unit.name).stdout.strip() == "true")
            for path, content in unit.files.items():
                assert docker("exec", unit.name, "cat", path).stdout == content
            fetched_root = secrets_dir / unit.name / "files"  # laid out as in the container
            for fetched_file in (p for p in fetched_root.rglob("*") if p.is_file()):
                path, data = "/" + str(fetched_file.relative_to(fetched_root)), fetched_file.read_bytes()
                # Byte for byte what the program stored (a binary file, Marathon's keystore, as base64).
                value = base64.b64encode(data).decode() if path.endswith(".p12") else data.decode()
                assert value in stored.values(), (unit.name, path)
                inside = docker("exec", unit.name, "sha256sum", path).stdout.split()[0]
                assert inside == hashlib.sha256(data).hexdigest(), (unit.name, path)
                assert docker("exec", unit.name, "stat", "-c", "%a", path).stdout.strip() == "400"
                assert value not in " ".join(unit.argv) + json.dumps(info["Config"]["Env"])
                secret_files += 1
        assert {"dev-zookeeper-1", "dev-master-1", "dev-marathon-1", "dev-marathon-lb-1", "dev-agent-private-1"} <= set(started)
        # Every file parameter stored (env vars keep their upper-case names; files are slugs of paths):
        # the master's credentials, Marathon's Mesos secret, marathon-lb's login, the agents' two each.
        assert secret_files == len([n for n in stored if not n.rsplit("/", 1)[1].isupper()]) >= 5
    finally:
        for name in started:
            docker("rm", "-f", "-v", name, check=False)
        for volume in docker("volume", "ls", "-q", "--filter", "name=dev-").stdout.split():
            docker("volume", "rm", volume, check=False)


@pytest.mark.real
def test_a_secret_file_reaches_the_container_readable_by_its_owner_only(tmp_path):
    """prod's marathon-lb unit, its secrets script then its run script, as systemd runs them:
    the credentials are fetched from SSM (an `aws` stand-in answers get-parameter) into /run and
    copied into the container at the path marathon-lb's --marathon-auth-credential-file names,
    mode 0400, and appear in no argument or env var of the container. Paths under /etc and /run
    are moved under a scratch dir; only the image is swapped for the stand-in."""
    d = evaluate("prod", secrets=PLACEHOLDER_SECRETS)
    assert d.error is None, d.error
    (lb,) = [u for u in units(d) if u.role == "marathon-lb" and u.host == "master-a"]
    files = {f["path"]: f["content"] for f in cloud_config(lb.resource)["write_files"]}
    etc, run = tmp_path / "etc", tmp_path / "run"
    etc.mkdir()

    def moved(text: str) -> str:
        return text.replace(cloud_init.ROOT, str(etc)).replace(cloud_init.SECRETS_DIR, str(run))

    for name in ("secrets.sh", "run.sh"):
        (etc / name).write_text(moved(files[f"{cloud_init.ROOT}/{lb.name}/{name}"]))
    (etc / "instance.env").write_text("INSTANCE_IP=127.0.0.1\n")
    env = ssm_standin(tmp_path / "bin", d)
    (stored,) = [p.inputs["value"] for p in d.of_type("aws:ssm/parameter:Parameter")
                 if p.inputs["name"] == f"/container-platform/prod/{lb.name}/etc-marathon-lb-credentials"]
    fetched = subprocess.run(["sh", str(etc / "secrets.sh")], env=env, capture_output=True, text=True)
    assert fetched.returncode == 0, fetched.stderr
    script = (etc / "run.sh").read_text().replace(f" {image_of(lb.argv)}", f" {STANDIN_IMAGE}", 1)
    try:
        started = subprocess.run(["sh", "-c", script], env=env, capture_output=True, text=True)
        assert started.returncode == 0, started.stderr
        path = "/etc/marathon-lb/credentials"
        assert path in lb.argv and lb.argv[lb.argv.index("--marathon-auth-credential-file") + 1] == path
        assert docker("exec", lb.name, "cat", path).stdout == stored == f"ops:{PLACEHOLDER_SECRETS['marathonPassword']}"
        assert docker("exec", lb.name, "stat", "-c", "%a %u", path).stdout.split() == ["400", "0"]
        assert PLACEHOLDER_SECRETS["marathonPassword"] not in docker("inspect", lb.name).stdout  # args, env, labels
    finally:
        docker("rm", "-f", lb.name, check=False)


NAMESPACE_BOOT = """\
set -eu
mount --make-rprivate /
mount -t tmpfs tmpfs /dev
mknod /dev/null c 1 3
mknod {loop} b 7 {minor}
mkdir -p /dev/disk/by-id
ln -s {loop} /dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_{serial}
mount --bind {scratch}/fstab /etc/fstab
mount --bind {scratch}/docker /var/lib/docker
sh -c "$STATE_SCRIPT"
sh -c "$MOUNT_SCRIPT"
[ -e {mount}/kept ] && echo "kept: $(cat {mount}/kept)"
echo written > {mount}/kept
findmnt -no SOURCE {mount}
"""


@pytest.mark.real
def test_the_state_volume_is_formatted_once_and_keeps_dockers_volumes_across_boots(tmp_path):
    """prod's zk-a state scripts exactly as rendered (bootcmd), run as root in a private mount
    namespace where a loop device plays the EBS volume under its NVMe by-id name, a scratch file
    /etc/fstab and a scratch dir /var/lib/docker: the first boot formats and labels it, lists it
    in fstab and mounts it at Docker's volume directory; the next boot (a replaced host) finds
    what the first wrote, formats nothing and adds no second fstab line."""
    d = evaluate("prod", secrets=PLACEHOLDER_SECRETS)
    (host,) = [r for r in d.of_type("aws:ec2/instance:Instance") if r.name == "zk-a"]
    (volume,) = [v for v in d.of_type("aws:ebs/volume:Volume") if v.name == "zk-a-state"]
    state_script, data_script, mount_script = cloud_config(host)["bootcmd"]
    assert data_script == cloud_init.DATA_VOLUME  # the data disk in between: not run here (it takes the host's disks)
    serial = f"{volume.name}-id".replace("-", "")  # the mock's volume id, as the NVMe serial shows it
    image = tmp_path / "ebs.img"
    subprocess.run(["truncate", "-s", "64M", str(image)], check=True)
    loop = subprocess.run(["losetup", "-f", "--show", str(image)], capture_output=True, text=True, check=True).stdout.strip()
    (tmp_path / "fstab").write_text("# scratch fstab\n")
    (tmp_path / "docker").mkdir()
    script = NAMESPACE_BOOT.format(loop=loop, minor=loop.removeprefix("/dev/loop"), serial=serial, scratch=tmp_path,
                                   mount=cloud_init.STATE_MOUNT)
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "STATE_SCRIPT": state_script, "MOUNT_SCRIPT": mount_script}
    try:
        first = subprocess.run(["unshare", "-m", "sh", "-c", script], env=env, capture_output=True, text=True, timeout=120)
        assert first.returncode == 0, first.stderr
        assert "kept:" not in first.stdout and first.stdout.strip().endswith(loop)
        label = subprocess.run(["blkid", "-s", "LABEL", "-o", "value", loop], capture_output=True, text=True).stdout.strip()
        assert label == cloud_init.STATE_LABEL
        uuid = subprocess.run(["blkid", "-s", "UUID", "-o", "value", loop], capture_output=True, text=True).stdout.strip()
        second = subprocess.run(["unshare", "-m", "sh", "-c", script], env=env, capture_output=True, text=True, timeout=120)
        assert second.returncode == 0, second.stderr
        assert "kept: written" in second.stdout  # the replaced host sees the first one's data
        assert subprocess.run(["blkid", "-s", "UUID", "-o", "value", loop], capture_output=True, text=True).stdout.strip() == uuid
        lines = [line for line in (tmp_path / "fstab").read_text().splitlines() if "LABEL=cp-state" in line]
        assert lines == [f"LABEL=cp-state {cloud_init.STATE_MOUNT} ext4 defaults,nofail,x-systemd.device-timeout=10min 0 2"]
    finally:
        subprocess.run(["losetup", "-d", loop], check=False)
