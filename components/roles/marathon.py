"""Marathon: every instance joins the same leader election under `<zk>/marathon`.

Flags are `MARATHON_<FLAG>` environment variables, which Marathon's start script turns into
`--<flag>` (Marathon 1.7 command-line flags); checked against `marathon_flags.txt`.
"""
from __future__ import annotations

from typing import Optional

import pulumi

from ..spec import Instance
from ..spec.model import Marathon
from .container import ContainerSpec, HealthCheck, container_name, zk_auth_url, zk_url
from .mesos import PUBLIC_ROLE
from .tls import TlsFiles, TlsMaterial, libprocess

MESOS_SECRET_FILE = "/etc/marathon/mesos-secret"
ZK_IDENTITY = "marathon"  # Marathon's ZooKeeper digest user
TLS_FILES = TlsFiles("/etc/marathon/tls")
KEYSTORE = f"{TLS_FILES.directory}/keystore.p12"


def mesos_role(has_public_agents: bool) -> str:
    """The role Marathon registers with: the public agents' role where there are any (it still
    gets unreserved `*` resources), else Marathon's default `*`."""
    return PUBLIC_ROLE if has_public_agents else "*"


def marathon(node: Instance, address: pulumi.Input[str], zk_connect: pulumi.Input[str],
             spec: Marathon, platform_name: str, has_public_agents: bool, *,
             http_credentials: pulumi.Input[str], mesos_principal: str, mesos_secret: pulumi.Input[str],
             zk_secret: pulumi.Input[str], tls: Optional[TlsMaterial] = None) -> ContainerSpec:
    """`http_credentials` (`user:password`) guards the REST API; Marathon registers with Mesos as
    `mesos_principal`, with the secret read from a file; its state in ZooKeeper is readable and
    writable only with `zk_secret`. With `tls` (a certificate with its keystore) the REST API is
    HTTPS only, on the same port, and Marathon's libmesos speaks TLS to the masters."""
    port = node.port("http")
    secure = libprocess(tls, TLS_FILES, verify_masters=True, accept_plain=False)
    env: dict[str, pulumi.Input[str]] = {
        "MARATHON_MASTER": zk_url(zk_connect, "mesos"),
        "MARATHON_HOSTNAME": address,
        "MARATHON_FRAMEWORK_NAME": "marathon",
        "MARATHON_MESOS_AUTHENTICATION": "",  # an empty value is a boolean flag: --mesos_authentication
        "MARATHON_MESOS_AUTHENTICATION_PRINCIPAL": mesos_principal,
        "MARATHON_MESOS_AUTHENTICATION_SECRET_FILE": MESOS_SECRET_FILE,
    }
    if has_public_agents:
        # Register for the public role too, so apps can ask for public agents with
        # acceptedResourceRoles: ["slave_public"].
        env["MARATHON_MESOS_ROLE"] = mesos_role(has_public_agents)
        env["MARATHON_DEFAULT_ACCEPTED_RESOURCE_ROLES"] = "*"
    secret_env: dict[str, pulumi.Input[str]] = {}
    keystore: dict[str, pulumi.Input[str]] = {}
    if tls is None:
        env.update({"MARATHON_HTTP_ADDRESS": address, "MARATHON_HTTP_PORT": str(port)})
        health = f"curl -fsS http://$MARATHON_HTTP_ADDRESS:{port}/ping"
    else:
        assert tls.keystore is not None and tls.keystore_password is not None, "Marathon's TLS needs its keystore"
        # HTTPS from the keystore (Marathon docs ssl-basic-access-authentication.md), plain HTTP off.
        # The keystore's password as MESOSPHERE_KEYSTORE_PASS, the flag's default, for the reason
        # MESOSPHERE_HTTP_CREDENTIALS is used below.
        env.update({"MARATHON_HTTPS_ADDRESS": address, "MARATHON_HTTPS_PORT": str(port), "MARATHON_DISABLE_HTTP": "",
                    "MESOSPHERE_KEYSTORE_PATH": KEYSTORE, **secure.env})
        secret_env["MESOSPHERE_KEYSTORE_PASS"] = tls.keystore_password
        keystore[KEYSTORE] = tls.keystore
        health = f"curl -fsS --cacert {TLS_FILES.ca} https://$MARATHON_HTTPS_ADDRESS:{port}/ping"
    return ContainerSpec(
        name=container_name(platform_name, node.name),
        image=spec.image,
        env=env,
        # Marathon takes its HTTP credentials only as a value, never from a file. As
        # MARATHON_HTTP_CREDENTIALS it would be turned into `--http_credentials` on the Java
        # command line (visible in `ps`); MESOSPHERE_HTTP_CREDENTIALS is read as that flag's
        # default (HttpConf.scala) and stays in the environment, which only root and `docker
        # inspect` can read.
        # MARATHON_ZK, with its digest credentials, likewise: Marathon turns MARATHON_* variables
        # into flags inside the JVM (Main.scala, envToArgs), not on the command line.
        secret_env={"MESOSPHERE_HTTP_CREDENTIALS": http_credentials,
                    "MARATHON_ZK": zk_auth_url(zk_connect, "marathon", ZK_IDENTITY, zk_secret), **secret_env},
        files=secure.files,
        secret_files={MESOS_SECRET_FILE: mesos_secret, **secure.secret_files},
        secret_files_base64=keystore,
        # /ping needs no credentials and answers once the HTTP(S) service is up.
        health=HealthCheck(("CMD-SHELL", health), start_period_s=120),
        labels={"container-platform/role": "marathon"},
    )
