"""Issue 13 under the mock runtime, on every stack: the control plane authenticates, each party
carries its own credential, and no secret value sits in a plain input, a command line, a label or
(apart from the one documented case) an environment variable."""
import json

import pytest

from components.roles import marathon as marathon_role
from components.roles import mesos as mesos_role

from ops import mock_tls

from .conftest import PLACEHOLDER_SECRETS
from .harness import env_of, evaluate, mesos_principals, role_of, units, uploads, zk_password

STACKS = ["local", "local-ha", "onprem", "dev", "prod"]


def zookeeper_urls(d) -> dict[str, str]:
    """{ZooKeeper identity: the zk:// URL with its password} as the masters and Marathon get them."""
    urls = [uploads(c)[mesos_role.MASTER_ZK] for c in d.containers()
            if role_of(c) == "mesos-master"]
    urls += [env_of(c)["MARATHON_ZK"] for c in d.containers() if role_of(c) == "marathon"]
    urls += [p.inputs["value"] for p in d.of_type("aws:ssm/parameter:Parameter")
             if p.inputs["name"].endswith(("/etc-mesos-zk", "/MARATHON_ZK"))]
    return {u.split("//", 1)[1].split(":", 1)[0]: u for u in urls}


def tls_secrets(d) -> set[str]:
    """The body of every private key the platform made (as the provider makes them: the mock's
    stand-in is deterministic), and Marathon's keystore password."""
    keys = {mock_tls.private_key(r.name, r.inputs)["privateKeyPem"].splitlines()[1]
            for r in d.of_type("tls:index/privateKey:PrivateKey")}
    passwords = {env_of(c)["MESOSPHERE_KEYSTORE_PASS"] for c in d.containers() if role_of(c) == "marathon"
                 and "MESOSPHERE_KEYSTORE_PASS" in env_of(c)}
    passwords |= {p.inputs["value"] for p in d.of_type("aws:ssm/parameter:Parameter")
                  if p.inputs["name"].endswith("/MESOSPHERE_KEYSTORE_PASS")}
    return keys | passwords


def secret_values(d) -> set[str]:
    values = set(mesos_principals(d).values())
    values |= {zk_password(u) for u in zookeeper_urls(d).values()}
    values.add(d.outputs["marathon_credentials"].split(":", 1)[1])
    values |= tls_secrets(d)
    return values | {v for v in PLACEHOLDER_SECRETS.values() if len(v) > 8}


@pytest.mark.parametrize("name", STACKS)
def test_every_secret_is_a_secret_input_and_never_on_a_command_line_label_or_output(stack, name):
    d = stack(name)
    assert d.error is None, d.error
    secrets = secret_values(d)
    assert len(mesos_principals(d)) == 4 and set(zookeeper_urls(d)) == {"mesos", "marathon"}
    assert all(len(s) >= 8 for s in secrets)
    for r in d.resources:
        for key, value in r.inputs.items():
            text = json.dumps(value)
            found = [s for s in secrets if s in text]
            assert not found or key in r.secret_inputs, f"{r.type} {r.name}: {key} holds a secret as a plain input"
            if r.type == "docker:index/container:Container" and key in ("command", "entrypoints", "labels"):
                assert not found, f"{r.name}: {key}"
    for c in d.containers():
        if role_of(c) == "service":
            continue  # a Compose service's env is as its file wrote it (${secret.*} included)
        for u in c.inputs.get("uploads", []):  # a file holding a secret is readable by its owner only
            if any(s in (u.get("content") or "") for s in secrets):
                assert u.get("permissions") == "0400", f"{c.name}: {u['file']}"
        for entry in c.inputs.get("envs", []):
            k, v = entry.split("=", 1)
            if any(s in v for s in secrets):
                # Marathon takes its HTTP login and its keystore's password only as values
                # (README, "Security").
                assert role_of(c) == "marathon" and k in ("MESOSPHERE_HTTP_CREDENTIALS", "MARATHON_ZK",
                                                          "MESOSPHERE_KEYSTORE_PASS"), f"{c.name}: {k}"
    for u in units(d):
        assert not [s for s in secrets if s in " ".join(u.argv)], u.name
    for key, value in d.outputs.items():
        if any(s in json.dumps(value) for s in secrets):
            assert key in d.secret_outputs, key


@pytest.mark.parametrize("name", STACKS)
def test_masters_require_authentication_and_agents_and_marathon_carry_their_own_credential(stack, name):
    d = stack(name)
    principals = mesos_principals(d)
    docker = [(role_of(c), env_of(c), uploads(c)) for c in d.containers()]
    aws = [(u.role, u.env, None) for u in units(d)]
    seen = set()
    for role, env, files in docker + aws:
        seen.add(role)
        if role == "mesos-master":
            for flag in ("AGENTS", "FRAMEWORKS", "HTTP_READONLY", "HTTP_READWRITE"):
                assert env[f"MESOS_AUTHENTICATE_{flag}"] == "true", flag
            assert env["MESOS_CREDENTIALS"] == mesos_role.MASTER_CREDENTIALS
            assert env["MESOS_ZK"] == f"file://{mesos_role.MASTER_ZK}"
        if role == "mesos-agent":
            assert env["MESOS_CREDENTIAL"] == mesos_role.AGENT_CREDENTIAL
            assert env["MESOS_AUTHENTICATE_HTTP_READWRITE"] == "true"
            if files is not None:
                assert json.loads(files[mesos_role.AGENT_CREDENTIAL]) == {"principal": "agent", "secret": principals["agent"]}
                # The agents' HTTP login is their own: the masters' operator secret is on no agent.
                (login,) = json.loads(files[mesos_role.AGENT_HTTP_CREDENTIALS])["credentials"]
                assert f"{login['principal']}:{login['secret']}" == d.outputs["mesos_agent_http_credentials"]
                assert login["principal"] == "agent-operator" and login["principal"] not in principals
                assert principals["operator"] not in json.dumps(files)
        if role == "marathon":
            assert env["MARATHON_MESOS_AUTHENTICATION"] == ""
            assert env["MARATHON_MESOS_AUTHENTICATION_PRINCIPAL"] == "marathon"
            if files is not None:
                assert files[marathon_role.MESOS_SECRET_FILE] == principals["marathon"]
    assert {"mesos-master", "mesos-agent", "marathon"} <= seen
    assert d.outputs["mesos_http_credentials"] == f"operator:{principals['operator']}"
    assert {"mesos_http_credentials", "mesos_agent_http_credentials", "marathon_credentials"} <= d.secret_outputs
    assert len(set(principals.values())) == 4, "each principal has its own secret"


def test_marathon_login_is_generated_where_no_password_is_configured(stack):
    local, prod = evaluate("local", secrets={"dbPassword": "placeholder-db-password"}), stack("prod")
    user, password = local.outputs["marathon_credentials"].split(":", 1)
    assert user == "admin" and len(password) == 32 and password.isalnum()
    assert prod.outputs["marathon_credentials"].endswith(":" + PLACEHOLDER_SECRETS["marathonPassword"])
    generated = [r for r in local.of_type("random:index/randomPassword:RandomPassword")]
    assert {r.inputs["length"] for r in generated} == {32} and all(r.inputs["special"] is False for r in generated)
    # four Mesos principals, the agents' HTTP login, two ZooKeeper identities, Marathon's login,
    # ZooKeeper's superuser
    assert len(generated) == 9
