"""TLS as each control-plane process is told about it: files in the container and environment.

Mesos processes (masters, agents, and the frameworks' libmesos in Marathon and Spark drivers)
take TLS from `LIBPROCESS_SSL_*` variables (Mesos 1.7 docs/ssl.md; the mesosphere images are
built with libevent and OpenSSL). Who verifies whom, and why:
- Masters do not verify the peers that connect to them: libprocess checks a peer's name on
  every connection a process has, and the agents of an auto scaling group share a certificate
  that names no address (platform/tls.py). Mesos authenticates agents and frameworks itself
  (CRAM-MD5, platform/credentials.py); TLS keeps what they send (credentials, task env) off the
  wire. Masters accept TLS only.
- Agents, Marathon and Spark drivers verify the masters: the CA's signature, and the master's
  IP address in its certificate (LIBPROCESS_SSL_VERIFY_IPADD), so no one between them can pose
  as a master.
- Agents also accept plain connections: the Docker executor runs in a container of its own
  that gets none of the agent's TLS files (Mesos 1.7 docker.cpp mounts only the sandbox and the
  Docker socket), and talks to its agent on the same host; libprocess retries such a peer
  without TLS when downgrades are on (process.cpp `link_connect`).
libprocess's default ciphers are RSA ones (openssl.cpp), so every party is given the ECDHE-ECDSA
suites that the ECDSA certificates need.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi

CIPHERS = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384"


@dataclass(frozen=True)
class TlsMaterial:
    """What a role's processes need: its certificate chain (PEM, the leaf first), its private key
    (a secret), the CA certificate; for Marathon also the PKCS#12 keystore (base64) and its
    password (secrets)."""

    chain: pulumi.Input[str]
    key: pulumi.Input[str]
    ca: pulumi.Input[str]
    keystore: Optional[pulumi.Input[str]] = None
    keystore_password: Optional[pulumi.Input[str]] = None


@dataclass(frozen=True)
class TlsFiles:
    """Where a container keeps its TLS files (the key is copied in 0400, as every secret file)."""

    directory: str

    @property
    def chain(self) -> str:
        return f"{self.directory}/cert.pem"

    @property
    def key(self) -> str:
        return f"{self.directory}/key.pem"

    @property
    def ca(self) -> str:
        return f"{self.directory}/ca.pem"

    def files(self, tls: TlsMaterial) -> dict[str, pulumi.Input[str]]:
        return {self.chain: tls.chain, self.ca: tls.ca}

    def secret_files(self, tls: TlsMaterial) -> dict[str, pulumi.Input[str]]:
        return {self.key: tls.key}


@dataclass(frozen=True)
class ContainerTls:
    """What TLS adds to a container: environment, files, secret files (all empty without TLS)."""

    env: dict[str, str]
    files: dict[str, pulumi.Input[str]]
    secret_files: dict[str, pulumi.Input[str]]


WITHOUT = ContainerTls({}, {}, {})


def libprocess(tls: Optional[TlsMaterial], paths: TlsFiles, *, verify_masters: bool, accept_plain: bool) -> ContainerTls:
    """TLS for one Mesos process (`LIBPROCESS_SSL_*`): on, its certificate and key, the CA, the
    ciphers; `verify_masters` for the processes that connect to masters, `accept_plain` for
    agents (their executors speak no TLS). WITHOUT where `tls` is None."""
    if tls is None:
        return WITHOUT
    env = {
        "LIBPROCESS_SSL_ENABLED": "true",
        "LIBPROCESS_SSL_CERT_FILE": paths.chain,
        "LIBPROCESS_SSL_KEY_FILE": paths.key,
        "LIBPROCESS_SSL_CA_FILE": paths.ca,
        "LIBPROCESS_SSL_CIPHERS": CIPHERS,
        "LIBPROCESS_SSL_SUPPORT_DOWNGRADE": "true" if accept_plain else "false",
        "LIBPROCESS_SSL_VERIFY_CERT": "true" if verify_masters else "false",
    }
    if verify_masters:
        env["LIBPROCESS_SSL_VERIFY_IPADD"] = "true"
    return ContainerTls(env, paths.files(tls), paths.secret_files(tls))
