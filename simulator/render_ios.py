"""What IOS prints: 12.2 (the seed's 1720-1) and 15/IOS-XE (`crypto pki`, ISAKMP `status` column)."""

from __future__ import annotations

from importlib import resources

from cryptography.hazmat.primitives import serialization

from .ca import der_hex_lines
from .clock import ios_clock, ios_stamp, uptime_words
from .device import CertEntry, Device
from .render_common import CERT_TITLES, Flow, dn_display, flows, validity_lines, wildcard

_DATA = resources.files("simulator") / "data"

TRANSFORM_DISPLAY = {
    "esp-aes-256": "esp-256-aes",
    "esp-aes": "esp-aes",
}
# IPsec SA lifetime of a crypto map entry that sets none (the config shows only other values).
DEFAULT_LIFETIME_S = 3600
# ASA 9 negotiates IKEv1 with SHA-1 at best (SHA-2 needs IKEv2), so an IOS-XE router with ASA peers
# keeps its SHA-256 policy and transform set and adds, for those peers, ones the ASA accepts.
ASA_PEER_POLICY = 20
ASA_PEER_TRANSFORM_SET = "TS-ASA"
ASA_PEER_TRANSFORMS = "esp-aes-256 esp-sha-hmac"
# IOS-XE's IKE hashes: the configuration's word and how `show crypto isakmp policy` names it.
HASH_NAMES = {"sha256": "Secure Hash Standard 2 (256 bit)", "sha": "Secure Hash Standard"}


def _legacy(device: Device) -> bool:
    return device.kind == "ios122"


def _towards_asa(device: Device, f: Flow) -> bool:
    return not _legacy(device) and f.peer_kind == "asa9"


def _has_asa_peer(device: Device) -> bool:
    return any(_towards_asa(device, f) for f in flows(device))


def _transform_set(device: Device, f: Flow) -> tuple[str, str]:
    """(name, transforms) of the transform set the map entry towards this peer names."""
    if _towards_asa(device, f):
        return ASA_PEER_TRANSFORM_SET, ASA_PEER_TRANSFORMS
    return device.transform_set, device.transforms


def _ike_policies(device: Device) -> list[tuple[int, str]]:
    """(priority, hash) of the IOS-XE router's IKE policies, all AES-256, RSA signatures, group 14."""
    policies = [(10, "sha256")]
    if _has_asa_peer(device):
        policies.append((ASA_PEER_POLICY, "sha"))
    return policies


def _algorithm(transforms: str) -> str:
    """The crypto engine's name for a transform set's algorithms."""
    if "des" in transforms:
        return "HMAC_MD5+DES_56_CB"
    return "HMAC_SHA256+AES_256_C" if "sha256" in transforms else "HMAC_SHA+AES_256_C"


def show_clock(device: Device) -> str:
    """`show clock`."""
    return ios_clock(device.now(), device.zone, device.clock_authoritative)


def show_isakmp_sa(device: Device) -> str:
    """`show crypto isakmp sa`: 12.2 has a `slot` column; 15/XE a header and a `status` column."""
    rows = []
    for f in flows(device):
        if f.view.ike_state is None or f.ike_version == 2:
            continue
        dst, src = f.dst_src(device.outside_ip)
        if _legacy(device):
            rows.append(f"{dst:<16}{src:<16}{f.view.ike_state:<15}{device.ike_conn_id + f.index:>7}{0:>7}")
        else:
            rows.append(f"{dst:<16}{src:<16}{f.view.ike_state:<15}{device.ike_conn_id + f.index:>7} ACTIVE")
    if _legacy(device):
        return "\n".join(["dst             src             state          conn-id   slot", *rows])
    return "\n".join(
        [
            "IPv4 Crypto ISAKMP SA",
            "dst             src             state          conn-id status",
            *rows,
            "",
            "IPv6 Crypto ISAKMP SA",
            "",
        ]
    )


def show_ikev2_sa(device: Device) -> str:
    """`show crypto ikev2 sa` (IOS 15 / IOS-XE): the IKEv2 tunnels, READY while phase 1 is up."""
    out = [
        " IPv4 Crypto IKEv2  SA ",
        "",
        f"{'Tunnel-id':<10}{'Local':<22}{'Remote':<22}{'fvrf/ivrf':<21}Status ",
    ]
    for f in flows(device):
        if f.ike_version != 2 or f.view.ike_state is None:
            continue
        local, remote = f"{device.outside_ip}/500", f"{f.peer_ip}/500"
        out += [
            f"{device.ike_conn_id + f.index:<10}{local:<22}{remote:<22}{'none/none':<21}READY  ",
            "      Encr: AES-CBC, keysize: 256, PRF: SHA256, Hash: SHA256, DH Grp:14, Auth sign: RSA, "
            "Auth verify: RSA",
            "      Life/Active Time: 86400/600 sec",
        ]
    return "\n".join([*out, "", " IPv6 Crypto IKEv2  SA ", ""])


def show_isakmp_policy(device: Device) -> str:
    """`show crypto isakmp policy`."""
    if _legacy(device):
        return (_DATA / "isakmp_policy_legacy.txt").read_text().rstrip("\n")
    lines = ["", "Global IKE policy"]
    for priority, hashing in _ike_policies(device):
        lines += [
            f"Protection suite of priority {priority}",
            "        encryption algorithm:   AES - Advanced Encryption Standard (256 bit keys).",
            f"        hash algorithm:         {HASH_NAMES[hashing]}",
            "        authentication method:  Rivest-Shamir-Adleman Signature",
            "        Diffie-Hellman group:   #14 (2048 bit)",
            "        lifetime:               86400 seconds, no volume limit",
        ]
    return "\n".join(lines)


def show_ipsec_sa(device: Device) -> str:
    """`show crypto ipsec sa` in the 12.2 or 15/XE layout."""
    legacy = _legacy(device)
    out: list[str] = [""]
    out.append(f"interface: {device.outside_if}")
    if legacy:
        out.append(f"    Crypto map tag: {device.crypto_map}, local addr. {device.outside_ip}")
    else:
        out.append(f"    Crypto map tag: {device.crypto_map}, local addr {device.outside_ip}")
    for f in flows(device):
        v = f.view
        transform = " ".join(TRANSFORM_DISPLAY.get(w, w) for w in _transform_set(device, f)[1].split())
        out.append("")
        if not legacy:
            out.append("   protected vrf: (none)")
        out.append(f"   local  ident (addr/mask/prot/port): ({device.inside_net}/{device.inside_mask}/0/0)")
        out.append(f"   remote ident (addr/mask/prot/port): ({f.peer_net}/{f.peer_mask}/0/0)")
        if legacy:
            out.append(f"   current_peer: {f.peer_ip}")
        else:
            out.append(f"   current_peer {f.peer_ip} port 500")
        out.append("     PERMIT, flags={origin_is_acl,}")
        if legacy:
            out += [
                f"    #pkts encaps: {v.encaps}, #pkts encrypt: {v.encaps}, #pkts digest {v.encaps}",
                f"    #pkts decaps: {v.decaps}, #pkts decrypt: {v.decaps}, #pkts verify {v.decaps}",
                "    #pkts compressed: 0, #pkts decompressed: 0",
                "    #pkts not compressed: 0, #pkts compr. failed: 0, #pkts decompress failed: 0",
                f"    #send errors {v.send_errors}, #recv errors {v.recv_errors}",
            ]
        else:
            out += [
                f"    #pkts encaps: {v.encaps}, #pkts encrypt: {v.encaps}, #pkts digest: {v.encaps}",
                f"    #pkts decaps: {v.decaps}, #pkts decrypt: {v.decaps}, #pkts verify: {v.decaps}",
                "    #pkts compressed: 0, #pkts decompressed: 0",
                "    #pkts not compressed: 0, #pkts compr. failed: 0",
                "    #pkts not decompressed: 0, #pkts decompress failed: 0",
                f"    #send errors {v.send_errors}, #recv errors {v.recv_errors}",
            ]
        out.append("")
        out.append(f"     local crypto endpt.: {device.outside_ip}, remote crypto endpt.: {f.peer_ip}")
        if legacy:
            out.append("     path mtu 1500, media mtu 1500")
            out.append(
                f"     current outbound spi: {v.spi_out:X}" if v.alive else "     current outbound spi: 0"
            )
        else:
            out.append(f"     plaintext mtu 1438, path mtu 1500, ip mtu 1500, ip mtu idb {device.outside_if}")
            out.append(
                f"     current outbound spi: 0x{v.spi_out:X}({v.spi_out})"
                if v.alive
                else "     current outbound spi: 0x0(0)"
            )
            out.append("     PFS (Y/N): N, DH group: none")
        in_conn = device.ipsec_conn_base + 2 * v.generation + 4 * f.index
        sections = [
            ("inbound esp sas:", v.spi_in, in_conn, 2 * v.generation + 1, v.remaining_kb_in, v.remaining_in),
            (
                "outbound esp sas:",
                v.spi_out,
                in_conn + 1,
                2 * v.generation + 2,
                v.remaining_kb_out,
                v.remaining_out,
            ),
        ]
        for title, spi, conn, flow_id, kb, sec in sections:
            direction = title.split()[0]
            out.append("")
            out.append(f"     {title}")
            if v.alive:
                out.append(f"      spi: 0x{spi:X}({spi})")
                out.append(f"        transform: {transform} ,")
                out.append("        in use settings ={Tunnel, }")
                if legacy:
                    out.append(
                        f"        slot: 0, conn id: {conn}, flow_id: {flow_id}, crypto map: {device.crypto_map}"
                    )
                else:
                    out.append(
                        f"        conn id: {conn}, flow_id: CSR:{flow_id}, sibling_flags FFFFFFFF80000048, crypto map: {device.crypto_map}"
                    )
                out.append(f"        sa timing: remaining key lifetime (k/sec): ({kb}/{sec})")
                out.append("        IV size: 8 bytes" if "des" in transform else "        IV size: 16 bytes")
                out.append("        replay detection support: Y")
                if not legacy:
                    out.append("        Status: ACTIVE(ACTIVE)")
            out.append("")
            out.append(f"     {direction} ah sas:")
            out.append("")
            out.append(f"     {direction} pcp sas:")
    out.append("")
    return "\n".join(out)


def show_engine_active(device: Device) -> str:
    """`show crypto engine connections active`."""
    rows = ["", "  ID Interface            IP-Address      State  Algorithm           Encrypt  Decrypt"]

    def row(conn: int, state: str, alg: str, enc: int, dec: int) -> str:
        return (
            f"{conn:>4} {device.outside_if:<20} {device.outside_ip:<15} {state:<6} {alg:<18}{enc:>9}{dec:>9}"
        )

    views = list(flows(device))
    for f in views:
        if f.view.ike_state == "QM_IDLE":
            rows.append(
                row(device.ike_conn_id + f.index, "set", _algorithm(_transform_set(device, f)[1]), 0, 0)
            )
    if _legacy(device):
        for conn in range(114, 118):
            rows.append(row(conn, "alloc", "NONE", 0, 0))
    for f in views:
        v = f.view
        if not v.alive:
            continue
        base = device.ipsec_conn_base + 2 * v.generation + 4 * f.index
        algorithm = _algorithm(_transform_set(device, f)[1])
        rows.append(row(base, "set", algorithm, 0, v.gen_decrypt))
        rows.append(row(base + 1, "set", algorithm, v.gen_encrypt, 0))
    return "\n".join(rows)


def show_crypto_map(device: Device) -> str:
    """`show crypto map`."""
    out: list[str] = []
    for f in flows(device):
        seq = device.crypto_map_seq + 10 * f.index
        out += [
            f'Crypto Map "{device.crypto_map}" {seq} ipsec-isakmp',
            f"        Peer = {f.peer_ip}",
            f"        Extended IP access list {device.acl + f.index}",
            f"            access-list {device.acl + f.index} permit ip {device.inside_net} {wildcard(device.inside_mask)} "
            f"{f.peer_net} {wildcard(f.peer_mask)}",
            f"        Current peer: {f.peer_ip}",
            f"        Security association lifetime: 4608000 kilobytes/{f.lifetime_s} seconds",
            "        PFS (Y/N): N",
            f"        Transform sets={{ {_transform_set(device, f)[0]}, }}",
        ]
    out += [
        f"        Interfaces using crypto map {device.crypto_map}:",
        f"                {device.outside_if}",
        "",
    ]
    return "\n".join(out)


def _cert_block_legacy(device: Device, cert: CertEntry) -> list[str]:
    title = CERT_TITLES[cert.role]
    if cert.status == "Pending":
        return [
            title,
            "  Subject Name Contains:",
            f"    Name: {cert.subject_name}",
            "  Status: Pending",
            f"  Key Usage: {cert.key_usage}",
            f"  Fingerprint: {cert.fingerprint}",
            f"  Associated Identity: {device.trustpoint}",
        ]
    lines = [
        title,
        f"  Status: {cert.status}",
        f"  Certificate Serial Number: {cert.serial_hex}",
        f"  Key Usage: {cert.key_usage}",
    ]
    lines.append("  Issuer:")
    lines += [f"    {x}" for x in dn_display(cert.issuer, "old")]
    if cert.role == "identity":
        lines += ["  Subject Name Contains:", f"    Name: {cert.subject_name}"]
    else:
        lines.append("  Subject:")
        lines += [f"    {x}" for x in dn_display(cert.subject, "old")]
    lines += ["  CRL Distribution Point:", "    CN = CRL1, OU = sjvpn, O = cisco, C = us"]
    lines += [
        "  Validity Date:",
        *validity_lines(cert, lambda t: ios_stamp(t, device.zone)),
        f"  Associated Identity: {device.trustpoint}",
    ]
    return lines


def _cert_block_pki(device: Device, cert: CertEntry) -> list[str]:
    title = CERT_TITLES[cert.role]
    if cert.status == "Pending":
        return [
            title,
            "  Subject:",
            f"    Name: {cert.subject_name}",
            "  Status: Pending",
            f"  Key Usage: {cert.key_usage}",
            f"  Certificate Request Fingerprint MD5: {(cert.fingerprint or '').replace(' ', '')}",
            f"  Associated Trustpoint: {device.trustpoint}",
        ]
    lines = [
        title,
        f"  Status: {cert.status}",
        f"  Certificate Serial Number (hex): {cert.serial_hex}",
        f"  Certificate Usage: {cert.key_usage if cert.role == 'identity' else 'Signature'}",
        "  Issuer: ",
    ]
    lines += [f"    {x}" for x in dn_display(cert.issuer, "new")]
    lines.append("  Subject:")
    if cert.role == "identity":
        lines.append(f"    Name: {cert.subject_name}")
    lines += [f"    {x}" for x in dn_display(cert.subject, "new")]
    lines += [
        "  CRL Distribution Points: ",
        f"    {device.extra.get('crl_url', 'http://ca.example.com/crl')}",
    ]
    lines += [
        "  Validity Date: ",
        *validity_lines(cert, lambda t: ios_stamp(t, device.zone)),
        f"  Associated Trustpoints: {device.trustpoint} ",
    ]
    if cert.role == "identity":
        lines.append(f"  Storage: nvram:{device.trustpoint}#{cert.serial % 0x10000:X}.cer")
    return lines


def show_certificates(device: Device) -> str:
    """`show crypto ca certificates` (12.2) / `show crypto pki certificates` (15): pending requests last."""
    certs = [c for c in device.certificates if c.status != "Pending"] + [
        c for c in device.certificates if c.status == "Pending"
    ]
    block = _cert_block_legacy if _legacy(device) else _cert_block_pki
    blocks = ["\n".join(block(device, c)) for c in certs]
    return "\n\n".join(blocks)


def show_crls(device: Device) -> str:
    """`show crypto ca crls` / `show crypto pki crls`; nothing when the device holds no CRL."""
    crl = device.crl
    if crl is None:
        return ""
    if _legacy(device):
        return "\n".join(
            [
                "CRL Issuer Name:",
                f"    {crl.issuer}",
                f"    LastUpdate: {ios_stamp(crl.last_update, device.zone)}",
                f"    NextUpdate: {ios_stamp(crl.next_update, device.zone)}",
                "    Retrieved from CRL Distribution Point:",
                f"      {crl.retrieved_from}",
            ]
        )
    return "\n".join(
        [
            "CRL Issuer Name:",
            f"    {crl.issuer}",
            f"    LastUpdate: {ios_stamp(crl.last_update, device.zone)}",
            f"    NextUpdate: {ios_stamp(crl.next_update, device.zone)}",
            "",
            "    Retrieved from CRL Distribution Point:",
            f"      {crl.retrieved_from}",
            "",
            " CRL DER is 350 bytes",
            " CRL is stored in parsed CRL cache",
        ]
    )


def show_mypubkey(device: Device) -> str:
    """`show crypto key mypubkey rsa`."""
    if device.extra.get("seed_mypubkey"):
        return (_DATA / "ios122_mypubkey.txt").read_text().rstrip("\n")
    key = device.key().public_key()
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    generated = device.key_generated_at or device.now()
    return "\n".join(
        [
            f"% Key pair was generated at: {ios_stamp(generated, device.zone)}",
            f"Key name: {device.fqdn}",
            "Key type: RSA KEYS",
            " Storage Device: not specified",
            " Usage: General Purpose Key",
            " Key is not exportable.",
            " Key Data:",
            *der_hex_lines(der, indent="  "),
        ]
    )


def _chain_lines(device: Device) -> list[str]:
    device.ensure_der()
    role_word = {"identity": "", "ra_signature": "ra-sign ", "ra_encryption": "ra-encrypt ", "ca": "ca "}
    keyword = "crypto ca certificate chain" if _legacy(device) else "crypto pki certificate chain"
    lines = [f"{keyword} {device.trustpoint}"]
    for cert in device.certificates:
        if cert.status != "Available" or cert.der is None:
            continue
        lines.append(f"  certificate {role_word[cert.role]}{cert.serial_hex}")
        lines += der_hex_lines(cert.der)
        lines.append("  quit")
    return lines


def show_running_config(device: Device) -> str:
    """`show running-config` / `write terminal`: the seed's configuration with live parts."""
    if device.config_template:
        text = (_DATA / device.config_template).read_text().rstrip("\n")
        lines = text.split("\n")
        start = next(i for i, line in enumerate(lines) if line.startswith("crypto ca certificate chain"))
        end = max(i for i, line in enumerate(lines) if line == "  quit")
        lines[start : end + 1] = _chain_lines(device)
        lines = [
            f"crypto isakmp identity {device.isakmp_identity}"
            if line.startswith("crypto isakmp identity")
            else line
            for line in lines
        ]
        body = "\n".join(lines)
        if body != text:
            # keep the seed's byte count when nothing changed, count again when something did
            size = len(body.split("\n!\n", 1)[-1]) + 2
            body = "\n".join(
                f"Current configuration : {size} bytes" if line.startswith("Current configuration") else line
                for line in body.split("\n")
            )
        return body
    return "\n".join(_modern_config(device))


def _modern_config(device: Device) -> list[str]:
    peers = list(flows(device))
    lines = [
        "Building configuration...",
        "",
        "Current configuration : 4096 bytes",
        "!",
        "version 17.3",
        "service timestamps debug datetime msec",
        "service timestamps log datetime msec",
        "!",
        f"hostname {device.hostname}",
        "!",
        "boot-start-marker",
        "boot-end-marker",
        "!",
        f"enable secret 9 $9$simulated${device.name}",
        "!",
        "no aaa new-model",
        f"clock timezone {device.zone.name} {device.zone.offset_minutes // 60} {device.zone.offset_minutes % 60}",
        "!",
        f"ip domain name {device.domain}",
        "!",
        f"crypto pki trustpoint {device.trustpoint}",
        f" enrollment url {device.enrollment_url}",
        f" subject-name CN={device.fqdn}",
        " revocation-check crl",
        " rsakeypair " + device.trustpoint,
        "!",
        *_chain_lines(device),
        "!",
        f"username {device.username} privilege 1 secret 9 $9$simulated$",
        "!",
    ]
    for priority, hashing in _ike_policies(device):
        lines += [f"crypto isakmp policy {priority}", " encr aes 256", f" hash {hashing}", " group 14"]
    lines += [f"crypto isakmp identity {device.isakmp_identity}", "!"]
    sets = [(device.transform_set, device.transforms)]
    if _has_asa_peer(device):
        sets.append((ASA_PEER_TRANSFORM_SET, ASA_PEER_TRANSFORMS))
    for name, transforms in sets:
        # IOS writes the key size as a word of its own (`esp-aes 256`), PIX/ASA as `esp-aes-256`.
        written = transforms.replace("esp-aes-256", "esp-aes 256")
        lines += [f"crypto ipsec transform-set {name} {written}", " mode tunnel"]
    lines.append("!")
    for f in peers:
        seq = device.crypto_map_seq + 10 * f.index
        lines += [f"crypto map {device.crypto_map} {seq} ipsec-isakmp", f" set peer {f.peer_ip}"]
        if f.lifetime_s != DEFAULT_LIFETIME_S:
            lines.append(f" set security-association lifetime seconds {f.lifetime_s}")
        lines += [
            f" set transform-set {_transform_set(device, f)[0]}",
            f" match address {device.acl + f.index}",
        ]
    lines += [
        "!",
        f"interface {device.outside_if}",
        f" ip address {device.outside_ip} {device.outside_mask}",
        f" crypto map {device.crypto_map}",
        "!",
    ]
    for f in peers:
        lines.append(
            f"access-list {device.acl + f.index} permit ip {device.inside_net} {wildcard(device.inside_mask)} "
            f"{f.peer_net} {wildcard(f.peer_mask)}"
        )
    lines += ["!", "line vty 0 4", " login local", " transport input ssh", "!", "end"]
    return lines


def show_version(device: Device) -> str:
    """`show version` (enough for netmiko's autodetect and for an operator's eye)."""
    up = uptime_words(device.uptime())
    if _legacy(device):
        return "\n".join(
            [
                "Cisco Internetwork Operating System Software ",
                "IOS (tm) C1700 Software (C1700-K9O3SY7-M), Version 12.2(6), RELEASE SOFTWARE (fc1)",
                "Copyright (c) 1986-2001 by cisco Systems, Inc.",
                "Compiled Fri 21-Dec-01 01:59 by kellythw",
                "Image text-base: 0x80008124, data-base: 0x80B4D580",
                "",
                "ROM: System Bootstrap, Version 12.0(3)T, RELEASE SOFTWARE (fc1)",
                "",
                f"{device.hostname} uptime is {up}",
                "System returned to ROM by power-on",
                'System image file is "flash:c1700-k9o3sy7-mz.122-6.bin"',
                "",
                "cisco 1720 (MPC860T) processor (revision 0x601) with 27853K/4915K bytes of memory.",
                f"Processor board ID {device.serial_number}, with hardware revision 0000",
                "MPC860T processor: part number 0, mask 32",
                "1 FastEthernet/IEEE 802.3 interface(s)",
                "1 Serial network interface(s)",
                "32K bytes of non-volatile configuration memory.",
                "16384K bytes of processor board System flash (Read/Write)",
                "",
                "Configuration register is 0x2102",
            ]
        )
    return "\n".join(
        [
            "Cisco IOS XE Software, Version 17.03.04a",
            "Cisco IOS Software [Amsterdam], Virtual XE Software (X86_64_LINUX_IOSD-UNIVERSALK9-M), "
            "Version 17.3.4a, RELEASE SOFTWARE (fc3)",
            "Technical Support: http://www.cisco.com/techsupport",
            "Copyright (c) 1986-2021 by Cisco Systems, Inc.",
            "",
            f"{device.hostname} uptime is {up}",
            "Uptime for this control processor is " + up,
            "System returned to ROM by reload",
            'System image file is "bootflash:packages.conf"',
            "",
            "cisco CSR1000V (VXE) processor (revision VXE) with 2071828K/3075K bytes of memory.",
            f"Processor board ID {device.serial_number}",
            "",
            "Configuration register is 0x2102",
        ]
    )
