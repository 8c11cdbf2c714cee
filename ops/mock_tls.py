"""A stand-in for the pulumi-tls provider under the mock runtime: real keys and certificates.

The tests then meet the very files a deployment's containers would hold (OpenSSL, keytool and
HAProxy read them in tests/test_real_tls.py). It reproduces what terraform-provider-tls does
(internal/provider/common_cert.go `createCertificate`, resource_locally_signed_cert.go,
resource_private_key.go; read in its repository, not copied):
- ECDSA keys as SEC1 PEM ("EC PRIVATE KEY") in `private_key_pem`, PKCS#8 in
  `private_key_pem_pkcs8` (P-256 only here: the platform makes no other);
- certificates valid from the moment they are made for `validity_period_hours`;
- `allowed_uses` split into key usages and extended key usages by name;
- `is_ca_certificate`: basic constraints CA:TRUE and a subject key id; `set_subject_key_id`
  likewise; every locally signed certificate has basic constraints (CA:FALSE) and the CA's
  subject key id as its authority key id (Go's x509.CreateCertificate);
- SANs from `ip_addresses` and `dns_names` (a locally signed certificate takes them, and the
  subject, from the request).
Unlike the provider it is deterministic (keys from a hash of the resource name, serials too,
signatures RFC 6979, the day as the start of validity), so two evaluations of a stack agree and
the offline review compares like with like.
"""
from __future__ import annotations

import datetime
import hashlib
import ipaddress
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

# pulumi-tls's names -> cryptography's KeyUsage arguments.
KEY_USAGES = {"digital_signature": "digital_signature", "content_commitment": "content_commitment",
              "key_encipherment": "key_encipherment", "data_encipherment": "data_encipherment",
              "key_agreement": "key_agreement", "cert_signing": "key_cert_sign", "crl_signing": "crl_sign",
              "encipher_only": "encipher_only", "decipher_only": "decipher_only"}
EXTENDED = {"server_auth": ExtendedKeyUsageOID.SERVER_AUTH, "client_auth": ExtendedKeyUsageOID.CLIENT_AUTH,
            "code_signing": ExtendedKeyUsageOID.CODE_SIGNING, "email_protection": ExtendedKeyUsageOID.EMAIL_PROTECTION,
            "timestamping": ExtendedKeyUsageOID.TIME_STAMPING, "ocsp_signing": ExtendedKeyUsageOID.OCSP_SIGNING}
SUBJECT = {"commonName": NameOID.COMMON_NAME, "organization": NameOID.ORGANIZATION_NAME,
           "organizationalUnit": NameOID.ORGANIZATIONAL_UNIT_NAME, "country": NameOID.COUNTRY_NAME,
           "province": NameOID.STATE_OR_PROVINCE_NAME, "locality": NameOID.LOCALITY_NAME}


def _seed(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest(), "big")


# The order of P-256's group: a private key is a number below it.
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def private_key(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    if (inputs.get("algorithm"), inputs.get("ecdsaCurve")) != ("ECDSA", "P256"):
        raise NotImplementedError("the stand-in makes ECDSA P-256 keys only (the platform uses no other)")
    key = ec.derive_private_key(_seed(name) % (P256_ORDER - 1) + 1, ec.SECP256R1())
    return {
        "privateKeyPem": key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                           serialization.NoEncryption()).decode(),
        "privateKeyPemPkcs8": key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                serialization.NoEncryption()).decode(),
        "publicKeyPem": key.public_key().public_bytes(serialization.Encoding.PEM,
                                                      serialization.PublicFormat.SubjectPublicKeyInfo).decode(),
    }


def _subject(inputs: dict[str, Any]) -> x509.Name:
    given = inputs.get("subject") or {}
    return x509.Name([x509.NameAttribute(oid, given[k]) for k, oid in SUBJECT.items() if given.get(k)])


def _sans(inputs: dict[str, Any]) -> list[x509.GeneralName]:
    return ([x509.IPAddress(ipaddress.ip_address(a)) for a in inputs.get("ipAddresses") or []]
            + [x509.DNSName(d) for d in inputs.get("dnsNames") or []])


def _key(pem: str):
    return serialization.load_pem_private_key(pem.encode(), password=None)


def cert_request(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    builder = x509.CertificateSigningRequestBuilder().subject_name(_subject(inputs))
    if _sans(inputs):
        builder = builder.add_extension(x509.SubjectAlternativeName(_sans(inputs)), critical=False)
    request = builder.sign(_key(inputs["privateKeyPem"]), hashes.SHA256(), ecdsa_deterministic=True)
    return {"certRequestPem": request.public_bytes(serialization.Encoding.PEM).decode()}


def _certificate(name: str, inputs: dict[str, Any], subject: x509.Name, public_key, sans: list, issuer: x509.Name,
                 signer, issuer_key_id) -> dict[str, Any]:
    start = datetime.datetime.now(datetime.timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    end = start + datetime.timedelta(hours=int(inputs["validityPeriodHours"]))
    uses = set(inputs.get("allowedUses") or [])
    is_ca = bool(inputs.get("isCaCertificate"))
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
               .serial_number(_seed(name) >> 128).not_valid_before(start).not_valid_after(end)
               .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True))
    if uses & set(KEY_USAGES):
        builder = builder.add_extension(x509.KeyUsage(**{arg: name in uses for name, arg in KEY_USAGES.items()}),
                                        critical=True)
    if uses & set(EXTENDED):
        builder = builder.add_extension(x509.ExtendedKeyUsage([EXTENDED[u] for u in EXTENDED if u in uses]), critical=False)
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    if is_ca or inputs.get("setSubjectKeyId"):
        builder = builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    if issuer_key_id is not None:
        builder = builder.add_extension(x509.AuthorityKeyIdentifier(issuer_key_id, None, None), critical=False)
    cert = builder.sign(signer, hashes.SHA256(), ecdsa_deterministic=True)
    return {"certPem": cert.public_bytes(serialization.Encoding.PEM).decode(),
            "validityStartTime": start.isoformat(), "validityEndTime": end.isoformat(), "readyForRenewal": False}


def self_signed_cert(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    key = _key(inputs["privateKeyPem"])
    subject = _subject(inputs)
    return _certificate(name, inputs, subject, key.public_key(), _sans(inputs), subject, key, None)


def locally_signed_cert(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    request = x509.load_pem_x509_csr(inputs["certRequestPem"].encode())
    ca = x509.load_pem_x509_certificate(inputs["caCertPem"].encode())
    try:
        sans = list(request.extensions.get_extension_for_class(x509.SubjectAlternativeName).value)
    except x509.ExtensionNotFound:
        sans = []
    try:
        ca_key_id = ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    except x509.ExtensionNotFound:
        ca_key_id = None
    return _certificate(name, inputs, request.subject, request.public_key(), sans, ca.subject,
                        _key(inputs["caPrivateKeyPem"]), ca_key_id)


OUTPUTS = {
    "tls:index/privateKey:PrivateKey": private_key,
    "tls:index/certRequest:CertRequest": cert_request,
    "tls:index/selfSignedCert:SelfSignedCert": self_signed_cert,
    "tls:index/locallySignedCert:LocallySignedCert": locally_signed_cert,
}
