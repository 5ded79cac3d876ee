"""What ASA 9 prints: `IKEv1 SAs:` numbered blocks, `crypto ca` certificates with trustpoints."""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization

from .ca import der_hex_lines
from .clock import asa_clock, ios_stamp, uptime_words
from .device import CertEntry, Device
from .render_common import dn_display, flows, validity_lines

# IPsec SA lifetime of a crypto map entry that sets none (the config shows only other values).
DEFAULT_LIFETIME_S = 28800


def show_clock(device: Device) -> str:
    """`show clock`: `09:27:54.123 UTC Thu Nov 27 2026`."""
    return asa_clock(device.now(), device.zone)


def show_curpriv(device: Device, priv: int) -> str:
    """`show curpriv` (netmiko's ASA driver sends it first)."""
    mode = "P_PRIV" if priv == 15 else "P_UNPR"
    user = "enable_15" if priv == 15 else "enable_1"
    return f"Username : {user}\nCurrent privilege level : {priv}\nCurrent Mode/s : {mode}"


def show_isakmp_sa(device: Device) -> str:
    """`show crypto isakmp sa`."""
    live = [f for f in flows(device) if f.view.ike_state is not None]
    if not live:
        return "\nThere are no IKEv1 SAs\n\nThere are no IKEv2 SAs"
    out = [
        "",
        "IKEv1 SAs:",
        "",
        f"   Active SA: {len(live)}",
        "    Rekey SA: 0 (A tunnel will report 1 Active and 1 Rekey SA during rekey)",
        f"Total IKE SA: {len(live)}",
        "",
    ]
    for n, f in enumerate(live, 1):
        state = "MM_ACTIVE" if f.view.ike_state == "QM_IDLE" else "MM_WAIT_MSG3"
        role = "responder" if f.is_a else "initiator"
        out += [
            f"{n}   IKE Peer: {f.peer_ip}",
            f"    Type    : L2L             Role    : {role:<10}",
            f"    Rekey   : no              State   : {state:<10}",
        ]
    out += ["", "There are no IKEv2 SAs"]
    return "\n".join(out)


def show_ipsec_sa(device: Device) -> str:
    """`show crypto ipsec sa` in the ASA 9 layout."""
    out = [f"interface: {device.outside_if}"]
    for f in flows(device):
        v = f.view
        seq = device.crypto_map_seq + 10 * f.index
        acl = f"{device.crypto_map}_{seq}"
        out += [
            f"    Crypto map tag: {device.crypto_map}, seq num: {seq}, local addr: {device.outside_ip}",
            "",
            f"      access-list {acl} extended permit ip {device.inside_net} {device.inside_mask} {f.peer_net} {f.peer_mask} ",
            f"      local ident (addr/mask/prot/port): ({device.inside_net}/{device.inside_mask}/0/0)",
            f"      remote ident (addr/mask/prot/port): ({f.peer_net}/{f.peer_mask}/0/0)",
            f"      current_peer: {f.peer_ip}",
            "",
            "",
            f"      #pkts encaps: {v.encaps}, #pkts encrypt: {v.encaps}, #pkts digest: {v.encaps}",
            f"      #pkts decaps: {v.decaps}, #pkts decrypt: {v.decaps}, #pkts verify: {v.decaps}",
            "      #pkts compressed: 0, #pkts decompressed: 0",
            f"      #pkts not compressed: {v.encaps}, #pkts comp failed: 0, #pkts decomp failed: 0",
            "      #pre-frag successes: 0, #pre-frag failures: 0, #fragments created: 0",
            "      #PMTUs sent: 0, #PMTUs rcvd: 0, #decapsulated frgs needing reassembly: 0",
            "      #TFC rcvd: 0, #TFC sent: 0",
            "      #Valid ICMP Errors rcvd: 0, #Invalid ICMP Errors rcvd: 0",
            f"      #send errors: {v.send_errors}, #recv errors: {v.recv_errors}",
            "",
            f"      local crypto endpt.: {device.outside_ip}/0, remote crypto endpt.: {f.peer_ip}/0",
            "      path mtu 1500, ipsec overhead 74(44), media mtu 1500",
            "      PMTU time remaining (sec): 0, DF policy: copy-df",
            "      ICMP error validation: disabled, TFC packets: disabled",
            f"      current outbound spi: {v.spi_out:08X}"
            if v.alive
            else "      current outbound spi: 00000000",
            f"      current inbound spi : {v.spi_in:08X}"
            if v.alive
            else "      current inbound spi : 00000000",
            "",
        ]
        conn = device.ipsec_conn_base + 4096 * (2 * v.generation + f.index)
        for title, spi, kb, sec in (
            ("inbound", v.spi_in, v.remaining_kb_in, v.remaining_in),
            ("outbound", v.spi_out, v.remaining_kb_out, v.remaining_out),
        ):
            out.append(f"    {title} esp sas:")
            if v.alive:
                out += [
                    f"      spi: 0x{spi:08X} ({spi})",
                    "         SA State: active",
                    f"         transform: {device.transforms} no compression",
                    "         in use settings ={L2L, Tunnel, IKEv1, }",
                    f"         slot: 0, conn_id: {conn}, crypto-map: {device.crypto_map}",
                    f"         sa timing: remaining key lifetime (kB/sec): ({kb}/{sec})",
                    "         IV size: 16 bytes",
                    "         replay detection support: Y",
                    "         Anti replay bitmap: ",
                    "          0xFFFFFFFF 0xFFFFFFFF"
                    if title == "inbound"
                    else "          0x00000000 0x00000001",
                ]
        out.append("")
    return "\n".join(out)


def _cert_block(device: Device, cert: CertEntry) -> list[str]:
    title = "CA Certificate" if cert.role == "ca" else "Certificate"
    if cert.status == "Pending":
        return [
            title,
            "  Status: Pending",
            "  Certificate Usage: General Purpose",
            "  Subject Name:",
            f"    hostname={cert.subject_name}",
            f"  Associated Trustpoints: {device.trustpoint} ",
        ]
    lines = [
        title,
        f"  Status: {cert.status}",
        f"  Certificate Serial Number: {cert.serial:x}",
        f"  Certificate Usage: {'Signature' if cert.role == 'ca' else 'General Purpose'}",
        f"  Public Key Type: RSA ({2048 if cert.role == 'ca' else device.key_bits} bits)",
        "  Signature Algorithm: SHA256 with RSA Encryption",
        "  Issuer Name: ",
        *[f"    {x}" for x in dn_display(cert.issuer, "new")],
        "  Subject Name:",
        *[f"    {x}" for x in dn_display(cert.subject, "new")],
    ]
    if cert.role != "ca":
        lines += [
            "  CRL Distribution Points: ",
            f"    [1]  {device.extra.get('crl_url', 'http://ca.example.com/crl')}",
        ]
    lines += [
        "  Validity Date: ",
        *validity_lines(cert, lambda t: ios_stamp(t, device.zone)),
        "  Storage: config",
        f"  Associated Trustpoints: {device.trustpoint} ",
    ]
    return lines


def show_certificates(device: Device) -> str:
    """`show crypto ca certificates`: identity first, then the CA."""
    order = {"identity": 0, "ca": 1, "ra_signature": 2, "ra_encryption": 3}
    certs = sorted(device.certificates, key=lambda c: order[c.role])
    return "\n\n".join("\n".join(_cert_block(device, c)) for c in certs) + "\n"


def show_crls(device: Device) -> str:
    """`show crypto ca crl`."""
    crl = device.crl
    if crl is None:
        return ""
    return "\n".join(
        [
            "CRL Issuer Name:",
            f"    {crl.issuer}",
            f"    LastUpdate: {ios_stamp(crl.last_update, device.zone)}",
            f"    NextUpdate: {ios_stamp(crl.next_update, device.zone)}",
            f"    Cached Until: {ios_stamp(crl.next_update, device.zone)}",
            "    Retrieved from CRL Distribution Point:",
            f"      {crl.retrieved_from}",
            "    Size (bytes): 730",
            f"    Associated Trustpoints: {device.trustpoint}",
        ]
    )


def show_mypubkey(device: Device) -> str:
    """`show crypto key mypubkey rsa`."""
    der = (
        device.key()
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    generated = device.key_generated_at or device.now()
    return "\n".join(
        [
            f"Key pair was generated at: {ios_stamp(generated, device.zone)}",
            f"Key name: {device.trustpoint}",
            " Usage: General Purpose Key",
            " Modulus Size (bits): " + str(device.key_bits),
            " Storage: config",
            " Key Data:",
            "",
            *der_hex_lines(der, upper=False, indent="  "),
        ]
    )


def _chain_lines(device: Device) -> list[str]:
    device.ensure_der()
    lines = [f"crypto ca certificate chain {device.trustpoint}"]
    for cert in sorted(device.certificates, key=lambda c: c.role != "identity"):
        if cert.status != "Available" or cert.der is None:
            continue
        word = "ca " if cert.role == "ca" else ""
        lines.append(f" certificate {word}{cert.serial:x}")
        lines += der_hex_lines(cert.der, upper=False)
        lines.append("  quit")
    return lines


def show_running_config(device: Device) -> str:
    """`show running-config`."""
    peers = list(flows(device))
    lines = [
        ": Saved",
        "",
        ":",
        ": Serial Number: " + device.serial_number,
        ": Hardware:   ASA5516, 8192 MB RAM, CPU Atom C2000 series 2416 MHz, 1 CPU (8 cores)",
        ":",
        "ASA Version 9.16(4) ",
        "!",
        f"hostname {device.hostname}",
        f"domain-name {device.domain}",
        "enable password ***** pbkdf2",
        "names",
        "no mac-address auto",
        "",
        f"interface {device.extra.get('physical_if', 'GigabitEthernet1/1')}",
        f" nameif {device.outside_if}",
        " security-level 0",
        f" ip address {device.outside_ip} {device.outside_mask} ",
        "!",
    ]
    for f in peers:
        seq = device.crypto_map_seq + 10 * f.index
        lines.append(
            f"access-list {device.crypto_map}_{seq} extended permit ip {device.inside_net} {device.inside_mask} "
            f"{f.peer_net} {f.peer_mask} "
        )
    lines += [
        "pager lines " + str(device.pager_lines) if device.pager_lines else "no pager",
        "logging enable",
        f"mtu {device.outside_if} 1500",
        f"crypto ipsec ikev1 transform-set {device.transform_set} {device.transforms}",
    ]
    for f in peers:
        seq = device.crypto_map_seq + 10 * f.index
        lines += [
            f"crypto map {device.crypto_map} {seq} match address {device.crypto_map}_{seq}",
            f"crypto map {device.crypto_map} {seq} set peer {f.peer_ip} ",
            f"crypto map {device.crypto_map} {seq} set ikev1 transform-set {device.transform_set}",
        ]
        if f.lifetime_s != DEFAULT_LIFETIME_S:
            lines.append(
                f"crypto map {device.crypto_map} {seq} set security-association lifetime seconds {f.lifetime_s}"
            )
        lines.append(f"crypto map {device.crypto_map} {seq} set trustpoint {device.trustpoint}")
    lines += [
        f"crypto map {device.crypto_map} interface {device.outside_if}",
        f"crypto ca trustpoint {device.trustpoint}",
        f" enrollment url {device.enrollment_url}",
        f" fqdn {device.fqdn}",
        f" subject-name CN={device.fqdn}",
        " crl configure",
        *_chain_lines(device),
        f"crypto isakmp identity {device.isakmp_identity}",
        f"crypto ikev1 enable {device.outside_if}",
        "crypto ikev1 policy 10",
        " authentication rsa-sig",
        " encryption aes-256",
        " hash sha",
        " group 14",
        " lifetime 86400",
        f"ssh 0.0.0.0 0.0.0.0 {device.outside_if}",
        "ssh version 2",
        f"username {device.username} password ***** pbkdf2 privilege 15",
    ]
    for f in peers:
        lines += [
            f"tunnel-group {f.peer_ip} type ipsec-l2l",
            f"tunnel-group {f.peer_ip} ipsec-attributes",
            f" ikev1 trust-point {device.trustpoint}",
        ]
    lines += [
        "!",
        "Cryptochecksum:5e1e7a2f3c1a4b0c9d8e7f6a5b4c3d2e",
        ": end",
    ]
    return "\n".join(lines)


def write_memory(device: Device) -> str:
    """`write memory`."""
    return "\n".join(
        [
            "Building configuration...",
            "Cryptochecksum: 5e1e7a2f 3c1a4b0c 9d8e7f6a 5b4c3d2e ",
            "",
            "10430 bytes copied in 0.160 secs",
            "[OK]",
        ]
    )


def show_version(device: Device) -> str:
    """`show version`."""
    return "\n".join(
        [
            "",
            "Cisco Adaptive Security Appliance Software Version 9.16(4) ",
            "SSP Operating System Version 2.10(1.162)",
            "Device Manager Version 7.18(1)",
            "",
            "Compiled on Thu 20-Oct-22 17:48 GMT by builders",
            'System image file is "disk0:/asa9-16-4-lfbff-k8.SPA"',
            'Config file at boot was "startup-config"',
            "",
            f"{device.hostname} up {uptime_words(device.uptime())}",
            "",
            "Hardware:   ASA5516, 8192 MB RAM, CPU Atom C2000 series 2416 MHz, 1 CPU (8 cores)",
            "",
            f"Serial Number: {device.serial_number}",
            "Configuration register is 0x1",
        ]
    )
