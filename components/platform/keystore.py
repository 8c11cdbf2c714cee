"""Pkcs12Keystore: a private key and its certificate chain as the PKCS#12 keystore Marathon reads.

Marathon serves HTTPS only from a Java keystore (`--ssl_keystore_path`, Marathon docs
ssl-basic-access-authentication.md), and pulumi-tls makes PEM. PKCS#12 files are salted at
random, so a keystore built by the program itself would differ on every run and replace
Marathon's containers on every `pulumi up`: this dynamic resource builds it once, keeps it in
the state as a secret, and builds it again only when the key, the chain or the password change.

It is encrypted with the legacy PKCS#12 algorithms (PBE-SHA1-3DES, SHA-1 MAC), which every Java
8 reads (the JVM of the Marathon 1.7 image); PBES2/AES keystores need Java 8u301 or later.
The provider uses `cryptography`, which the program's virtualenv has, and keeps every helper
inside the class (dynamic_resources.py).
"""
from __future__ import annotations

from typing import Optional

import pulumi
import pulumi.dynamic as dynamic

from ..dynamic_resources import pickled_by_value, serialized_once

INPUTS = ("private_key", "certificate_chain", "password", "alias")
KDF_ROUNDS = 50_000


@pickled_by_value
class Pkcs12KeystoreProvider(dynamic.ResourceProvider):
    def create(self, props: dict) -> dynamic.CreateResult:
        return dynamic.CreateResult(props["alias"], {**props, "keystore": self.build(props)})

    def diff(self, _id: str, olds: dict, news: dict) -> dynamic.DiffResult:
        changed = [k for k in INPUTS if olds.get(k) != news.get(k)]
        return dynamic.DiffResult(changes=bool(changed))  # an update in place: no replacement

    def update(self, _id: str, _olds: dict, news: dict) -> dynamic.UpdateResult:
        return dynamic.UpdateResult({**news, "keystore": self.build(news)})

    def build(self, props: dict) -> str:
        """The keystore, base64: one key entry named `alias`, with the whole chain."""
        import base64
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.serialization import pkcs12
        key = serialization.load_pem_private_key(props["private_key"].encode(), password=None)
        chain = x509.load_pem_x509_certificates(props["certificate_chain"].encode())
        encryption = (serialization.PrivateFormat.PKCS12.encryption_builder()
                      .kdf_rounds(KDF_ROUNDS)
                      .key_cert_algorithm(pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC)
                      .hmac_hash(hashes.SHA1())
                      .build(props["password"].encode()))
        data = pkcs12.serialize_key_and_certificates(props["alias"].encode(), key, chain[0], chain[1:], encryption)
        return base64.b64encode(data).decode()


class Pkcs12Keystore(dynamic.Resource):
    """`keystore`: the PKCS#12 file, base64 (a secret)."""

    keystore: pulumi.Output[str]

    def __init__(self, name: str, private_key: pulumi.Input[str], certificate_chain: pulumi.Input[str],
                 password: pulumi.Input[str], alias: str, opts: Optional[pulumi.ResourceOptions] = None):
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(
            additional_secret_outputs=["keystore", "private_key", "password"]))
        with serialized_once():
            super().__init__(Pkcs12KeystoreProvider(), name, {
                "private_key": private_key, "certificate_chain": certificate_chain, "password": password,
                "alias": alias, "keystore": None,
            }, opts)
