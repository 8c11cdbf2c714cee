"""Issue 13, item 2 under the mock runtime: TLS for Mesos, Marathon and marathon-lb off the local
target, from a CA the program makes (pulumi-tls) or one the user brings.

The mock runtime's pulumi-tls stand-in (ops/mock_tls.py) makes real keys and certificates, so
these tests read the very certificates each role would present; tests/test_real_tls.py hands
them to OpenSSL, keytool and HAProxy."""
import base64
import datetime

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from components.platform.keystore import Pkcs12KeystoreProvider
from components.roles import marathon as marathon_role, marathon_lb as lb_role, mesos as mesos_role
from components.roles.tls import CIPHERS

from .conftest import PLACEHOLDER_SECRETS, evaluate_changed
from .harness import units, workloads

TLS_STACKS = ["onprem", "dev", "prod"]


def by_role(d) -> dict[str, list]:
    out: dict[str, list] = {}
    for w in workloads(d):
        out.setdefault(w.role, []).append(w)
    return out


def leaf(chain_pem: str) -> x509.Certificate:
    return x509.load_pem_x509_certificates(chain_pem.encode())[0]


def names_of(cert: x509.Certificate) -> set[str]:
    try:
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return set()
    return {str(n.value) for n in sans}


def signed_by(cert: x509.Certificate, ca: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(ca)
        return True
    except (ValueError, TypeError, InvalidSignature):
        return False


def host_address(w) -> str:
    return w.env.get("MESOS_IP") or w.env.get("MARATHON_HOSTNAME") or ""


@pytest.mark.parametrize("name", TLS_STACKS)
def test_off_the_local_target_every_mesos_process_speaks_tls_and_the_masters_accept_nothing_else(stack, name):
    d = stack(name)
    roles = by_role(d)
    for w in roles["mesos-master"]:
        assert w.env["LIBPROCESS_SSL_ENABLED"] == "true" and w.env["LIBPROCESS_SSL_SUPPORT_DOWNGRADE"] == "false"
        # Masters verify no peer: the agents' certificate names no address (roles/tls.py).
        assert w.env["LIBPROCESS_SSL_VERIFY_CERT"] == "false"
        assert w.env["LIBPROCESS_SSL_CIPHERS"] == CIPHERS
        assert w.health[-1].startswith(f"curl -fsS --cacert {mesos_role.TLS_FILES.ca} https://$MESOS_IP:")
    for w in roles["mesos-agent"]:
        # Agents verify the masters by their IP address, and take plain connections from executors.
        assert (w.env["LIBPROCESS_SSL_VERIFY_CERT"], w.env["LIBPROCESS_SSL_VERIFY_IPADD"]) == ("true", "true")
        assert w.env["LIBPROCESS_SSL_SUPPORT_DOWNGRADE"] == "true"
        assert w.health[-1].startswith("curl -fsS -k https://$MESOS_IP:")
    for w in roles["marathon"]:
        assert (w.env["LIBPROCESS_SSL_VERIFY_CERT"], w.env["LIBPROCESS_SSL_SUPPORT_DOWNGRADE"]) == ("true", "false")
        # HTTPS only, on the port HTTP had.
        assert w.env["MARATHON_DISABLE_HTTP"] == "" and "MARATHON_HTTP_PORT" not in w.env
        assert w.env["MARATHON_HTTPS_ADDRESS"] == w.env["MARATHON_HOSTNAME"]
        assert w.env["MESOSPHERE_KEYSTORE_PATH"] == marathon_role.KEYSTORE
        assert w.health[-1].startswith(f"curl -fsS --cacert {marathon_role.TLS_FILES.ca} https://")
    for w in roles["marathon-lb"]:
        argv = list(w.resource.inputs["command"]) if w.argv == [] else w.argv
        urls = argv[argv.index("--marathon") + 1:]
        assert urls and all(u.startswith("https://") for u in urls)
        assert argv[argv.index("--marathon-ca-cert") + 1] == lb_role.TLS_FILES.ca
    every = [w for ws in roles.values() for w in ws]
    assert all(not k.startswith("LIBPROCESS_SSL") for w in every if w.role in ("zookeeper", "service") for k in w.env)
    assert d.outputs["mesos_ui"].startswith("https://") and all(u.startswith("https://") for u in d.outputs["marathon_urls"])
    assert d.outputs["tls_ca_certificate"].startswith("-----BEGIN CERTIFICATE-----")


def test_the_local_target_keeps_plain_http_unless_told_otherwise(stack):
    d = stack("local")
    assert "tls_ca_certificate" not in d.outputs and not d.of_type("tls:index/privateKey:PrivateKey")
    assert not any(k.startswith("LIBPROCESS_SSL") for w in workloads(d) for k in w.env)
    assert d.outputs["marathon_ui"].startswith("http://")
    on = evaluate_changed("local", lambda p: p.update(tls={"enabled": True}))
    assert on.error is None, on.error
    assert on.outputs["marathon_ui"].startswith("https://127.0.0.1:")


@pytest.mark.parametrize("name", ["onprem", "prod"])
def test_each_role_presents_one_certificate_from_the_ca_that_names_its_hosts(stack, name):
    d = stack(name)
    ca = x509.load_pem_x509_certificate(d.outputs["tls_ca_certificate"].encode())
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert [a.value for a in ca.subject.get_attributes_for_oid(x509.NameOID.ORGANIZATION_NAME)] == ["container-platform"]
    roles = by_role(d)
    expected = {"mesos-master": mesos_role.TLS_FILES.chain, "marathon": marathon_role.TLS_FILES.chain}
    for role, path in expected.items():
        certs = {w.files[path] for w in roles[role]}
        assert len(certs) == 1, f"{role}: one certificate for every member"
        cert = leaf(certs.pop())
        assert signed_by(cert, ca)
        assert names_of(cert) == {host_address(w) for w in roles[role]}, role
        # Clients match an address against iPAddress entries only (RFC 2818 3.1): never a dNSName.
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert sans.get_values_for_type(x509.DNSName) == [] and \
            {str(a) for a in sans.get_values_for_type(x509.IPAddress)} == names_of(cert), role
        assert [a.value for a in cert.subject.get_attributes_for_oid(x509.NameOID.ORGANIZATION_NAME)] == \
            ["container-platform"], role
    agents = {w.files[mesos_role.TLS_FILES.chain] for w in roles["mesos-agent"]}
    assert len(agents) == 1 and names_of(leaf(agents.pop())) == set()  # agents have no address before they boot
    for w in [w for ws in roles.values() for w in ws if "LIBPROCESS_SSL_CA_FILE" in w.env]:
        assert w.files[w.env["LIBPROCESS_SSL_CA_FILE"]] == d.outputs["tls_ca_certificate"], w.name


def test_a_host_addressed_by_dns_name_is_named_as_one_in_its_certificate():
    """Marathon on a host reached by DNS name: the name is a dNSName of its certificate, not
    an iPAddress (RFC 5280 4.2.1.6), and the other roles keep their IP entries."""
    def marathon_on_a_named_host(p):
        p["hosts"].append({**p["hosts"][0], "name": "ctl-1", "address": "ctl-1.dc.example.com"})
        p["marathon"]["hosts"] = ["ctl-1"]
    d = evaluate_changed("onprem", marathon_on_a_named_host)
    assert d.error is None, d.error
    roles = by_role(d)
    sans = leaf(roles["marathon"][0].files[marathon_role.TLS_FILES.chain]).extensions.get_extension_for_class(
        x509.SubjectAlternativeName).value
    assert (sans.get_values_for_type(x509.DNSName), sans.get_values_for_type(x509.IPAddress)) == (["ctl-1.dc.example.com"], [])
    master = leaf(roles["mesos-master"][0].files[mesos_role.TLS_FILES.chain])
    assert master.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName) == []


def marathon_keystore_inputs(d) -> tuple[dict, dict]:
    """The keystore resource's inputs as Marathon's first container renders them, and its uploads."""
    (marathon, *_) = [c for c in d.containers() if c.name.startswith("onprem-marathon-") and "-lb-" not in c.name]
    files = {u["file"]: u for u in marathon.inputs["uploads"]}
    password = dict(e.split("=", 1) for e in marathon.inputs["envs"])["MESOSPHERE_KEYSTORE_PASS"]
    (store,) = [r for r in d.of_type("pulumi-python:dynamic:Resource") if "certificate_chain" in r.inputs]
    assert store.inputs["password"] == password and {"private_key", "password"} <= store.secret_inputs
    assert store.inputs["private_key"] == files[marathon_role.TLS_FILES.key]["content"]
    assert store.inputs["certificate_chain"] == files[marathon_role.TLS_FILES.chain]["content"]
    return store.inputs, files


def test_marathons_keystore_holds_its_key_and_chain_and_opens_with_its_password(stack):
    props, files = marathon_keystore_inputs(stack("onprem"))
    keystore = files[marathon_role.KEYSTORE]
    assert keystore["permissions"] == "0400" and "content" not in keystore  # binary: content_base64
    built = base64.b64decode(Pkcs12KeystoreProvider().create(props).outs["keystore"])
    key, cert, extra = pkcs12.load_key_and_certificates(built, props["password"].encode())
    chain = x509.load_pem_x509_certificates(props["certificate_chain"].encode())
    assert [cert, *extra] == chain  # the leaf, then the CA: what Jetty presents
    assert key.public_key() == cert.public_key()
    with pytest.raises(ValueError):
        pkcs12.load_key_and_certificates(built, b"wrong")
    # Built once and kept: the same inputs are no change; a new password or key is an update.
    provider = Pkcs12KeystoreProvider()
    assert not provider.diff("marathon", props, dict(props)).changes
    changed = provider.diff("marathon", props, {**props, "password": "another"})
    assert changed.changes and not changed.replaces
    # The update builds the keystore again from the new inputs: the new password opens it.
    outs = provider.update("marathon", props, {**props, "password": "another"}).outs
    assert outs["password"] == "another"
    pkcs12.load_key_and_certificates(base64.b64decode(outs["keystore"]), b"another")


def test_marathon_lb_serves_its_stats_over_tls_and_asks_for_the_login_everywhere_but_its_health_check(stack):
    d = stack("onprem")
    (lb, *_) = [c for c in d.containers() if "-marathon-lb-" in c.name]
    files = {u["file"]: u for u in lb.inputs["uploads"]}
    head = files[lb_role.HEAD_TEMPLATE]
    assert head["permissions"] == "0400"  # it names the login
    text = head["content"]
    assert f"bind 0.0.0.0:9090 ssl crt {lb_role.STATS_PEM}" in text
    assert f"user 'ops' insecure-password '{PLACEHOLDER_SECRETS['marathonPassword']}'" in text
    auth = text.index("http-request auth realm marathon-lb unless { http_auth(operators) }")
    assert text.index(f"monitor-uri {lb_role.HEALTH_URI}") < auth < text.index("use-service lua.signalmlbhup")
    stats = files[lb_role.STATS_PEM]["content"]
    assert stats.count("BEGIN CERTIFICATE") == 2 and "BEGIN EC PRIVATE KEY" in stats
    assert names_of(leaf(stats)) == set(d.outputs["service_discovery"]["load_balancers"])


def test_haproxy_quoting_keeps_any_password_one_argument():
    assert lb_role.haproxy_quoted("plain") == "'plain'"
    assert lb_role.haproxy_quoted("it's a #pw $X") == "'it'\\''s a #pw $X'"


def test_a_password_with_colons_stays_whole_in_the_stats_login():
    """`user:password`: the user ends at the first colon, a generated or chosen password may hold more."""
    assert "  user 'ops' insecure-password 'pa:ss'" in lb_role.render_head("ops:pa:ss", tls=False).splitlines()


def test_spark_drivers_on_mesos_get_their_certificate_in_the_client_files():
    d = evaluate_changed("onprem", lambda p: p.update(spark={"enabled": True, "mode": "mesos"}))
    assert d.error is None, d.error
    files = d.outputs["spark_client_files"]
    assert "spark_client_files" in d.secret_outputs
    env = files["/opt/spark/conf/spark-env.sh"]
    assert "export LIBPROCESS_SSL_ENABLED=true" in env and "export LIBPROCESS_SSL_VERIFY_IPADD=true" in env
    # A driver only connects out, to masters it verifies: it takes no plaintext connection in
    # (downgrade is for agents, whose executors speak none; Mesos docs/ssl.md).
    assert "export LIBPROCESS_SSL_SUPPORT_DOWNGRADE=false" in env and "export LIBPROCESS_SSL_VERIFY_CERT=true" in env
    assert files["/opt/spark/conf/tls/key.pem"].startswith("-----BEGIN EC PRIVATE KEY-----")
    assert files["/opt/spark/conf/tls/ca.pem"] == d.outputs["tls_ca_certificate"]


# A CA that expired on a day of its own (not one relative to today: the refusal names the day,
# and tests/rendered/said.txt pins it).
EXPIRED = datetime.datetime(2025, 1, 31, tzinfo=datetime.timezone.utc)


def _authority(ca: bool | None = True, expires: datetime.datetime | None = None) -> tuple[str, str]:
    """ca None: a certificate without basicConstraints at all (an end-entity one, as old tools made)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Example Corp CA")])
    expires = expires or datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=3650)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(expires - datetime.timedelta(days=3652))
            .not_valid_after(expires)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False))
    if ca is not None:
        cert = cert.add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    cert = cert.sign(key, hashes.SHA256())
    return (cert.public_bytes(serialization.Encoding.PEM).decode(),
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()).decode())


def test_a_ca_the_user_brings_issues_every_certificate():
    cert, key = _authority()
    d = evaluate_changed("onprem", lambda p: p.update(tls={"authority": {"certificate": cert, "private_key_secret": "caKey"}}),
                         secrets={"caKey": key})
    assert d.error is None, d.error
    assert not d.of_type("tls:index/selfSignedCert:SelfSignedCert")
    assert d.outputs["tls_ca_certificate"] == cert
    ca = x509.load_pem_x509_certificate(cert.encode())
    for signed in d.of_type("tls:index/locallySignedCert:LocallySignedCert"):
        assert signed.inputs["caCertPem"] == cert and "caPrivateKeyPem" in signed.secret_inputs
    masters = [w for w in workloads(d) if w.role == "mesos-master"]
    assert signed_by(leaf(masters[0].files[mesos_role.TLS_FILES.chain]), ca)


@pytest.mark.parametrize("tls, secrets, path, words", [
    ({"enabled": False, "authority": {"certificate": "x", "private_key_secret": "caKey"}}, {"caKey": "k"},
     "platform.tls.authority", "TLS is off (platform.tls.enabled: false), so this CA would never be used; "
                               "remove the key or turn TLS on"),
    ({"authority": {"certificate": "not a pem", "private_key_secret": "caKey"}}, {"caKey": "k"},
     "platform.tls.authority.certificate", "is not a PEM certificate"),
    ({"authority": {"certificate": _authority(ca=False)[0], "private_key_secret": "caKey"}}, {"caKey": "k"},
     "platform.tls.authority.certificate", "is not a CA certificate"),
    ({"authority": {"certificate": _authority(ca=None)[0], "private_key_secret": "caKey"}}, {"caKey": "k"},
     "platform.tls.authority.certificate", "'CN=Example Corp CA' is not a CA certificate (no basicConstraints "
                                           "CA:TRUE), so certificates it signs would not verify"),
    ({"authority": {"certificate": _authority(expires=EXPIRED)[0], "private_key_secret": "caKey"}}, {"caKey": "k"},
     "platform.tls.authority.certificate", "expired on 2025-01-31; renew the CA"),
    ({"authority": {"certificate": _authority()[0], "private_key_secret": "caKey"}}, {},
     "platform.tls.authority.private_key_secret", "pulumi config set --secret caKey < ca.key"),
    ({"validity_days": 7}, {}, "platform.tls.validity_days", "greater than or equal to 31"),
])
def test_a_bad_tls_config_is_refused_by_key_before_any_resource(tls, secrets, path, words):
    d = evaluate_changed("onprem", lambda p: p.update(tls=tls), secrets=secrets)
    assert d.resources == []
    assert f"{path}: " in str(d.error) and words in str(d.error), d.error


def test_every_aws_unit_copies_its_tls_files_in(stack):
    d = stack("prod")
    for u in units(d):
        if "LIBPROCESS_SSL_CERT_FILE" in u.env:
            assert u.files[u.env["LIBPROCESS_SSL_CERT_FILE"]].startswith("-----BEGIN CERTIFICATE-----"), u.name
            assert u.env["LIBPROCESS_SSL_KEY_FILE"] not in u.files, u.name  # fetched from SSM at start


def test_spark_outside_mesos_gets_no_certificate():
    """Only drivers on Mesos speak libprocess TLS: a standalone Spark has no certificate to get."""
    def issued(mode: str) -> set[str]:
        spark = {"enabled": True, "mode": mode, **({"masters": {"web_ui_port": 8090}} if mode == "standalone" else {})}
        d = evaluate_changed("onprem", lambda p: p.update(spark=spark))
        assert d.error is None, d.error
        return {r.name for r in d.of_type("tls:index/locallySignedCert:LocallySignedCert") if "spark" in r.name}
    assert issued("mesos") and not issued("standalone")


def test_without_marathon_lb_no_certificate_is_made_for_it():
    d = evaluate_changed("onprem", lambda p: p.update(discovery={"enabled": False}, stacks=[]))
    assert d.error is None, d.error
    issued = {r.name for r in d.of_type("tls:index/locallySignedCert:LocallySignedCert")}
    assert issued and not [n for n in issued if "marathon-lb" in n], issued


@pytest.mark.parametrize("left, validity_days, says", [
    (datetime.timedelta(days=397), 397, None),  # valid through its notAfter (RFC 5280 4.1.2.5): the last cert fits
    (datetime.timedelta(days=397, seconds=-1), 397, "expires on 2027-01-10 11:59 UTC, before the certificates it "
     "would sign now (valid 397 days, to 2027-01-10 12:00 UTC): they would stop verifying then; renew the CA, "
     "or set platform.tls.validity_days to at most 396"),
    (datetime.timedelta(days=100), 100, None),
    (datetime.timedelta(days=20), 397, "expires on 2025-12-29 12:00 UTC, before the certificates it would sign "
     "now (valid 397 days, to 2027-01-10 12:00 UTC): they would stop verifying then; renew the CA"),
    (datetime.timedelta(days=31), 397, "renew the CA, or set platform.tls.validity_days to at most 31"),
    (datetime.timedelta(days=30), 397, "they would stop verifying then; renew the CA"),
    (datetime.timedelta(0), 397, "expires on 2025-12-09 12:00 UTC, before"),  # still valid this second
    (datetime.timedelta(seconds=-1), 397, "expired on 2025-12-09; renew the CA"),
])
def test_a_ca_the_user_brings_must_outlive_what_it_signs_now(monkeypatch, left, validity_days, says):
    """Every certificate the program issues lives `validity_days`; one signed by a CA that
    expires first stops verifying that day, taking every TLS connection with it."""
    from components.spec import SpecError, checks, load
    from .harness import stack_config
    now = datetime.datetime(2025, 12, 9, 12, 0, tzinfo=datetime.timezone.utc)
    monkeypatch.setattr(checks, "now_utc", lambda: now)
    cert, key = _authority(expires=now + left)
    raw = {**stack_config("onprem")["container-platform:platform"],
           "tls": {"authority": {"certificate": cert, "private_key_secret": "caKey"}, "validity_days": validity_days}}
    if says is None:
        load(raw, {**PLACEHOLDER_SECRETS, "caKey": key})
        return
    with pytest.raises(SpecError) as e:
        load(raw, {**PLACEHOLDER_SECRETS, "caKey": key})
    assert [(p.path, says in p.message) for p in e.value.problems] == [("platform.tls.authority.certificate", True)], \
        e.value.problems
