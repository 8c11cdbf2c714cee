"""ControlPlaneTls: a CA (made with pulumi-tls, or the user's) and one certificate per role.

One certificate per role, shared by its members, not one per host:
- Marathon proxies requests to its leader over HTTPS and trusts only what its own keystore
  holds (Marathon's SSLContextUtil builds its TrustManagerFactory from the keystore, and a JVM
  trusts the end-entity certificate of a key entry). With one certificate for every instance
  the leader presents a certificate each instance holds, and its names cover every Marathon
  address, so the hostname check passes as well.
- Agents of an auto scaling group have no address before they boot: their certificate names
  none, which is why masters do not verify the peers that connect to them (roles/tls.py).
- A browser moving between masters in the Mesos UI keeps one certificate (Mesos ssl.md).

Keys are ECDSA P-256: small (an SSM SecureString holds one with room to spare) and fast; the
ciphers every party is told to use (roles/tls.py) are the ECDHE-ECDSA ones.
Certificates are valid for `validity_days` and re-issued by the first `pulumi up` in their last
30 days (pulumi-tls's early renewal).
"""
from __future__ import annotations

import ipaddress
from typing import Optional, Sequence

import pulumi
import pulumi_random as random
import pulumi_tls as tls

from ..outputs import concat
from ..roles.tls import TlsMaterial
from .keystore import Pkcs12Keystore

KEY = dict(algorithm="ECDSA", ecdsa_curve="P256")
CA_VALIDITY_HOURS = 10 * 365 * 24
EARLY_RENEWAL_HOURS = 30 * 24
# Every certificate serves (masters, Marathon, marathon-lb) and connects (agents and frameworks
# to masters, masters back to them): libprocess uses one certificate for both sides.
LEAF_USES = ["digital_signature", "key_agreement", "server_auth", "client_auth"]


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
        return True
    except ValueError:
        return False


class ControlPlaneTls(pulumi.ComponentResource):
    """`ca_certificate`: what clients trust (exported as `tls_ca_certificate`)."""

    ca_certificate: pulumi.Output[str]

    def __init__(self, name: str, platform_name: str, validity_days: int,
                 authority: Optional[tuple[str, pulumi.Input[str]]] = None,
                 opts: Optional[pulumi.ResourceOptions] = None):
        """`authority`: (CA certificate PEM, CA private key PEM as a secret) to issue from instead
        of a CA made here."""
        super().__init__("container-platform:security:ControlPlaneTls", name, None, opts)
        self._name, self._platform, self._hours = name, platform_name, validity_days * 24
        if authority is not None:
            certificate, key = authority
            self.ca_certificate = pulumi.Output.from_input(certificate)
            self._ca_key = pulumi.Output.secret(key)
        else:
            ca_key = tls.PrivateKey(f"{name}-ca", **KEY, opts=self._child())
            self._ca_key = pulumi.Output.secret(ca_key.private_key_pem)
            self.ca_certificate = tls.SelfSignedCert(
                f"{name}-ca", private_key_pem=ca_key.private_key_pem, is_ca_certificate=True,
                subject=tls.SelfSignedCertSubjectArgs(common_name=f"{platform_name} control plane CA",
                                                      organization="container-platform"),
                validity_period_hours=CA_VALIDITY_HOURS, allowed_uses=["cert_signing", "crl_signing"],
                set_subject_key_id=True, opts=self._child()).cert_pem
        self.register_outputs({"ca_certificate": self.ca_certificate})

    def _child(self) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self)

    def issue(self, role: str, addresses: Sequence[pulumi.Input[str]] = (), keystore: bool = False) -> TlsMaterial:
        """A certificate for every member of `role`, naming each of `addresses` (IP addresses
        and DNS names alike); with `keystore`, also as a PKCS#12 keystore (Marathon)."""
        key = tls.PrivateKey(f"{self._name}-{role}", **KEY, opts=self._child())
        names = pulumi.Output.all(*addresses)
        request = tls.CertRequest(
            f"{self._name}-{role}", private_key_pem=key.private_key_pem,
            subject=tls.CertRequestSubjectArgs(common_name=f"{self._platform} {role}", organization="container-platform"),
            ip_addresses=names.apply(lambda a: sorted({x for x in a if _is_ip(x)}) or None),
            dns_names=names.apply(lambda a: sorted({x for x in a if not _is_ip(x)}) or None),
            opts=self._child())
        certificate = tls.LocallySignedCert(
            f"{self._name}-{role}", cert_request_pem=request.cert_request_pem, ca_private_key_pem=self._ca_key,
            ca_cert_pem=self.ca_certificate, validity_period_hours=self._hours,
            early_renewal_hours=EARLY_RENEWAL_HOURS, allowed_uses=LEAF_USES, opts=self._child())
        # The leaf first, then the CA: what a server presents (OpenSSL's chain file, HAProxy's crt).
        chain = concat(certificate.cert_pem, self.ca_certificate)
        private_key = pulumi.Output.secret(key.private_key_pem)
        if not keystore:
            return TlsMaterial(chain, private_key, self.ca_certificate)
        password = pulumi.Output.secret(random.RandomPassword(
            f"{self._name}-{role}-keystore", length=32, special=False, opts=self._child()).result)
        store = Pkcs12Keystore(f"{self._name}-{role}", private_key, chain, password, alias=role, opts=self._child())
        return TlsMaterial(chain, private_key, self.ca_certificate, store.keystore, password)
