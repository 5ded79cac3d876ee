"""A private OpenLDAP server (Debian's slapd) on a free port of 127.0.0.1, with its own cn=config and tree."""

from __future__ import annotations

import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import ldap
import ldap.modlist

from tests.services import free_port

SLAPD = Path("/usr/sbin/slapd")
SLAPADD = Path("/usr/sbin/slapadd")
SCHEMA_DIR = Path("/etc/ldap/schema")
MODULE_DIR = Path("/usr/lib/ldap")
SCHEMAS = ("core", "cosine", "inetorgperson", "nis")
# Microsoft's user/group classes (sAMAccountName, objectClass=group), for the Active Directory group type.
AD_SCHEMA = "msuser"

SUFFIX = "dc=example,dc=net"
ROOT_DN = f"cn=root,{SUFFIX}"
ROOT_PASSWORD = "root-secret"
PEOPLE = f"ou=people,{SUFFIX}"
GROUPS = f"ou=groups,{SUFFIX}"
# The portal's own bind account: may search, not read passwords.
BIND_DN = f"uid=portal-bind,{PEOPLE}"
BIND_PASSWORD = "bind-secret"


def group_dn(name: str) -> str:
    """The DN of a group of the test tree."""
    return f"cn={name},{GROUPS}"


def user_dn(uid: str) -> str:
    """The DN of a person of the test tree."""
    return f"uid={uid},{PEOPLE}"


def write_tls_files(root: Path) -> Path:
    """A private CA and a certificate for 127.0.0.1/localhost signed by it; returns the CA's PEM file."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "vpnportal test directory CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    (root / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (root / "server.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (root / "server.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return root / "ca.pem"


def _config_ldif(root: Path, with_ad: bool, tls: bool) -> str:
    schemas = [*SCHEMAS, AD_SCHEMA] if with_ad else list(SCHEMAS)
    includes = "\n".join(f"include: file://{SCHEMA_DIR / name}.ldif" for name in schemas)
    tls_lines = (
        f"olcTLSCACertificateFile: {root / 'ca.pem'}\n"
        f"olcTLSCertificateFile: {root / 'server.pem'}\n"
        f"olcTLSCertificateKeyFile: {root / 'server.key'}\n"
        if tls
        else ""
    )
    return f"""dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: {root / "slapd.pid"}
{tls_lines}
dn: cn=module{{0}},cn=config
objectClass: olcModuleList
cn: module{{0}}
olcModulePath: {MODULE_DIR}
olcModuleLoad: back_mdb

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

{includes}

dn: olcDatabase={{-1}}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {{-1}}frontend

dn: olcDatabase={{0}}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {{0}}config
olcAccess: {{0}}to * by * none

dn: olcDatabase={{1}}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {{1}}mdb
olcSuffix: {SUFFIX}
olcRootDN: {ROOT_DN}
olcRootPW: {ROOT_PASSWORD}
olcDbDirectory: {root / "data"}
olcDbMaxSize: 33554432
olcAccess: {{0}}to attrs=userPassword by self read by anonymous auth by * none
olcAccess: {{1}}to * by users read by * none
"""


def _tree_ldif() -> str:
    return f"""dn: {SUFFIX}
objectClass: dcObject
objectClass: organization
dc: example
o: Example NOC

dn: {PEOPLE}
objectClass: organizationalUnit
ou: people

dn: {GROUPS}
objectClass: organizationalUnit
ou: groups

dn: {BIND_DN}
objectClass: inetOrgPerson
uid: portal-bind
cn: portal bind
sn: bind
userPassword: {BIND_PASSWORD}
"""


@dataclass
class LdapServer:
    """A running slapd: its URI and an admin connection to change the tree while tests run."""

    uri: str
    root: Path
    process: subprocess.Popen[bytes]
    with_ad: bool
    # With tls: the ldaps:// URI and the CA file that signed the server's certificate.
    ldaps_uri: str = ""
    ca_file: str = ""

    def admin(self) -> ldap.ldapobject.LDAPObject:
        """A connection bound as the root DN."""
        conn = ldap.initialize(self.uri)
        conn.simple_bind_s(ROOT_DN, ROOT_PASSWORD)
        return conn

    def add_person(self, uid: str, password: str, mail: str | None = None) -> str:
        """Add an inetOrgPerson under ou=people; returns its DN."""
        entry = {
            "objectClass": [b"inetOrgPerson"],
            "uid": [uid.encode()],
            "cn": [f"{uid} person".encode()],
            "sn": [uid.encode()],
            "givenName": [uid.capitalize().encode()],
            "mail": [(mail or f"{uid}@example.net").encode()],
            "userPassword": [password.encode()],
        }
        self.admin().add_s(user_dn(uid), ldap.modlist.addModlist(entry))
        return user_dn(uid)

    def add_group(self, name: str, members: list[str], object_class: str = "groupOfNames") -> str:
        """Add a group (groupOfNames, or AD's `group`) whose members are these DNs; returns its DN."""
        entry: dict[str, list[bytes]] = {"objectClass": [object_class.encode()], "cn": [name.encode()]}
        if object_class == "group":
            # What AD's schema makes mandatory (values as a domain controller would write them).
            entry.update(
                objectClass=[b"top", b"group"],
                instanceType=[b"4"],
                groupType=[b"-2147483646"],
                objectCategory=[f"cn=Group,cn=Schema,cn=Configuration,{SUFFIX}".encode()],
                nTSecurityDescriptor=[b"\x01"],
            )
        # groupOfNames needs at least one member: the bind account stands in for an empty group.
        entry["member"] = [dn.encode() for dn in (members or [BIND_DN])]
        self.admin().add_s(group_dn(name), ldap.modlist.addModlist(entry))
        return group_dn(name)

    def set_members(self, group: str, members: list[str]) -> None:
        """Replace a group's members (the bind account stands in for none)."""
        values = [dn.encode() for dn in (members or [BIND_DN])]
        self.admin().modify_s(group, [(ldap.MOD_REPLACE, "member", values)])

    def add_member(self, group: str, member: str) -> None:
        """Add one member DN to a group."""
        self.admin().modify_s(group, [(ldap.MOD_ADD, "member", [member.encode()])])

    def remove_member(self, group: str, member: str) -> None:
        """Remove one member DN from a group."""
        self.admin().modify_s(group, [(ldap.MOD_DELETE, "member", [member.encode()])])

    def delete(self, dn: str) -> None:
        """Delete one entry."""
        self.admin().delete_s(dn)

    def stop(self) -> None:
        """Stop slapd (tests of an unreachable directory stop it early)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)


def slapd_available() -> bool:
    """Debian's slapd and slapadd are installed."""
    return SLAPD.exists() and SLAPADD.exists() and (SCHEMA_DIR / "core.ldif").exists()


def _run(args: list[str]) -> None:
    result = subprocess.run(args, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({result.returncode}): {result.stderr[-2000:]}")


def _wait_ready(uri: str, process: subprocess.Popen[bytes], deadline_seconds: float = 60) -> None:
    deadline = time.monotonic() + deadline_seconds
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"slapd exited with {process.returncode}")
        try:
            conn = ldap.initialize(uri)
            conn.set_option(ldap.OPT_NETWORK_TIMEOUT, 2)
            conn.simple_bind_s(ROOT_DN, ROOT_PASSWORD)
            conn.unbind_s()
            return
        except ldap.SERVER_DOWN:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@contextmanager
def running_slapd(with_ad: bool = False, tls: bool = False) -> Iterator[LdapServer]:
    """Build a cn=config and a tree with slapadd in a temporary folder, run slapd on a free port, stop it after."""
    root = Path(tempfile.mkdtemp(prefix="vpnportal-slapd-"))
    config_dir, data_dir = root / "slapd.d", root / "data"
    config_dir.mkdir()
    data_dir.mkdir()
    ca_file = str(write_tls_files(root)) if tls else ""
    (root / "config.ldif").write_text(_config_ldif(root, with_ad, tls))
    (root / "tree.ldif").write_text(_tree_ldif())
    try:
        _run([str(SLAPADD), "-n", "0", "-F", str(config_dir), "-l", str(root / "config.ldif")])
        _run([str(SLAPADD), "-n", "1", "-F", str(config_dir), "-l", str(root / "tree.ldif")])
        port = free_port()
        uri = f"ldap://127.0.0.1:{port}"
        ldaps_uri = f"ldaps://127.0.0.1:{free_port()}" if tls else ""
        listen = f"{uri}/ {ldaps_uri}/" if tls else f"{uri}/"
        # -d 0: stay in the foreground (so the test owns the process) without debug output.
        process = subprocess.Popen(
            [str(SLAPD), "-F", str(config_dir), "-h", listen, "-d", "0"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        server = LdapServer(uri, root, process, with_ad, ldaps_uri=ldaps_uri, ca_file=ca_file)
        try:
            _wait_ready(uri, process)
            yield server
        finally:
            server.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)
