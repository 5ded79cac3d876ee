"""What PIX 6.0 prints (the seed's pix520-1): UTC without a zone name, lower-case hex."""

from __future__ import annotations

from importlib import resources

from .clock import pix_stamp, uptime_words
from .device import CertEntry, Device
from .render_common import CERT_TITLES, dn_display, flows, validity_lines

_DATA = resources.files("simulator") / "data"


def show_clock(device: Device) -> str:
    """`show clock`: `09:27:54 Jan 11 2002`."""
    return pix_stamp(device.now())


def show_isakmp_sa(device: Device) -> str:
    """`show crypto isakmp sa` with its Total/Embryonic header."""
    rows = []
    views = list(flows(device))
    live = [f for f in views if f.view.ike_state is not None]
    for f in live:
        dst, src = f.dst_src(device.outside_ip)
        rows.append(f"{dst:>16}{src:>18} {f.view.ike_state:>10}{0:>10}{f.view.ike_created:>12}")
    embryonic = sum(1 for f in live if f.view.ike_state != "QM_IDLE")
    return "\n".join(
        [
            f"Total     : {len(live)}",
            f"Embryonic : {embryonic}",
            "        dst               src        state     pending     created",
            *rows,
        ]
    )


def show_isakmp_policy(device: Device) -> str:
    """`show crypto isakmp policy` (same words as IOS 12.2)."""
    return (_DATA / "isakmp_policy_legacy.txt").read_text().rstrip("\n")


def show_ipsec_sa(device: Device) -> str:
    """`show crypto ipsec sa` with the PIX's doubled blank lines and lower-case SPIs."""
    out = [
        "",
        "",
        f"interface: {device.outside_if}",
        f"    Crypto map tag: {device.crypto_map}, local addr. {device.outside_ip}",
    ]
    for f in flows(device):
        v = f.view
        out += [
            "",
            f"   local  ident (addr/mask/prot/port): ({device.inside_net}/{device.inside_mask}/0/0)",
            f"   remote ident (addr/mask/prot/port): ({f.peer_net}/{f.peer_mask}/0/0)",
            f"   current_peer: {f.peer_ip}",
            "     PERMIT, flags={origin_is_acl,}",
            f"    #pkts encaps: {v.encaps}, #pkts encrypt: {v.encaps}, #pkts digest {v.encaps}",
            f"    #pkts decaps: {v.decaps}, #pkts decrypt: {v.decaps}, #pkts verify {v.decaps}",
            "    #pkts compressed: 0, #pkts decompressed: 0",
            "    #pkts not compressed: 0, #pkts compr. failed: 0, #pkts decompress failed: 0",
            f"    #send errors {v.send_errors}, #recv errors {v.recv_errors}",
            "",
            f"     local crypto endpt.: {device.outside_ip}, remote crypto endpt.: {f.peer_ip}",
            "     path mtu 1500, ipsec overhead 56, media mtu 1500",
            f"     current outbound spi: {v.spi_out:x}" if v.alive else "     current outbound spi: 0",
        ]
        out_conn = device.ipsec_conn_base + 2 * v.generation + 4 * f.index
        for title, spi, conn, kb, sec in (
            ("inbound", v.spi_in, out_conn + 1, v.remaining_kb_in, v.remaining_in),
            ("outbound", v.spi_out, out_conn, v.remaining_kb_out, v.remaining_out),
        ):
            out += ["", f"     {title} esp sas:"]
            if v.alive:
                out += [
                    f"      spi: 0x{spi:x}({spi})",
                    f"        transform: {device.transforms} ,",
                    "        in use settings ={Tunnel, }",
                    f"        slot: 0, conn id: {conn}, crypto map: {device.crypto_map}",
                    f"        sa timing: remaining key lifetime (k/sec): ({kb}/{sec})",
                    "        IV size: 8 bytes",
                    "        replay detection support: Y",
                    "",
                ]
            out += ["", f"     {title} ah sas:", "", "", f"     {title} pcp sas:", ""]
    out.append("")
    return "\n".join(out)


def show_engine(device: Device) -> str:
    """`show crypto engine`: only the connection map summary."""
    used = 2 * sum(1 for f in flows(device) if f.view.alive)
    return "\n".join(
        [
            "Crypto Engine Connection Map:",
            f"        size = 8, free = {8 - used}, used = {used}, active = {used}",
        ]
    )


def show_crypto_map(device: Device) -> str:
    """`show crypto map`."""
    out = ["", f'Crypto Map: "{device.crypto_map}" interfaces: {{ {device.outside_if} }}']
    for f in flows(device):
        seq = device.crypto_map_seq + 10 * f.index
        hits = 88 + f.view.encaps
        out += [
            "",
            f'Crypto Map "{device.crypto_map}" {seq} ipsec-isakmp',
            f"        Peer = {f.peer_ip}",
            f"        access-list {device.acl + f.index} permit ip {device.inside_net} {device.inside_mask} "
            f"{f.peer_net} {f.peer_mask} (hitcnt={hits})",
            f"        Current peer: {f.peer_ip}",
            "        Security association lifetime: 4608000 kilobytes/28800 seconds",
            "        PFS (Y/N): N",
            f"        Transform sets={{ {device.transform_set}, }}",
        ]
    return "\n".join(out)


def _cert_block(device: Device, cert: CertEntry) -> list[str]:
    title = CERT_TITLES[cert.role]
    if cert.status == "Pending":
        return [
            title,
            "  Status: Pending",
            f"  Key Usage: {cert.key_usage}",
            "  Subject Name",
            f"    Name: {cert.subject_name}",
            f"  Fingerprint: {(cert.fingerprint or '').lower()}",
        ]
    lines = [
        title,
        f"  Status: {cert.status}",
        f"  Certificate Serial Number: {cert.serial:x}",
        f"  Key Usage: {cert.key_usage}",
    ]
    if cert.role == "identity":
        lines += ["  Subject Name", f"    Name: {cert.subject_name}"]
    else:
        lines += [f"    {x}" for x in dn_display(cert.subject, "old")]
    lines += [
        "  CRL Distribution Point:",
        "    CN = CRL1, OU = sjvpn, O = cisco, C = us",
        "  Validity Date:",
        *validity_lines(cert, pix_stamp),
    ]
    return lines


def show_certificates(device: Device) -> str:
    """`show ca certificate`: the device's own certificate first, then CA and RA certificates."""
    order = {"identity": 0, "ca": 1, "ra_signature": 2, "ra_encryption": 3}
    certs = sorted(device.certificates, key=lambda c: order[c.role])
    return "\n\n".join("\n".join(_cert_block(device, c)) for c in certs)


def show_crls(device: Device) -> str:
    """`show ca crl`; nothing when no CRL is held."""
    crl = device.crl
    if crl is None:
        return ""
    return "\n".join(
        [
            "CRL:",
            "  CRL Issuer Name:",
            f"    {crl.issuer}",
            f"  LastUpdate: {pix_stamp(crl.last_update)}",
            f"  NextUpdate: {pix_stamp(crl.next_update)}",
        ]
    )


def show_mypubkey(device: Device) -> str:
    """`show ca mypubkey rsa` (the seed's damaged hex, as printed)."""
    return (_DATA / "pix60_mypubkey.txt").read_text().rstrip("\n")


def show_running_config(device: Device) -> str:
    """`write terminal`: the seed's configuration with the pager and ISAKMP identity as set now."""
    text = (_DATA / "pix60_write_terminal.txt").read_text().rstrip("\n")
    out = []
    for line in text.split("\n"):
        if line == "no pager":
            line = "no pager" if device.pager_lines == 0 else f"pager lines {device.pager_lines}"
        out.append(line)
        if line.startswith("isakmp policy 10 lifetime") and device.isakmp_identity != "hostname":
            out.append(f"isakmp identity {device.isakmp_identity}")
    return "\n".join(out)


def write_memory(device: Device) -> str:
    """`write memory`."""
    return "Building configuration...\nCryptochecksum: c2d5976f c8787567 8356cf83 b135bb8c \n[OK]"


def show_version(device: Device) -> str:
    """`show version`."""
    return "\n".join(
        [
            "",
            "Cisco PIX Firewall Version 6.0(1)",
            "Cisco PIX Device Manager Version 1.0(1)",
            "",
            "Compiled on Thu 17-May-01 16:35 by morlee",
            "",
            f"{device.hostname} up {uptime_words(device.uptime())}",
            "",
            "Hardware:   PIX-520, 128 MB RAM, CPU Pentium 200 MHz",
            "Flash i28F640J5 @ 0x300, 16MB",
            "BIOS Flash AT29C257 @ 0xfffd8000, 32KB",
            "",
            "0: ethernet0: address is 00aa.0000.003b, irq 11",
            "1: ethernet1: address is 00aa.0000.0037, irq 10",
            "",
            "Licensed Features:",
            "Failover:          Enabled",
            "VPN-DES:           Enabled",
            "VPN-3DES:          Disabled",
            "",
            f"Serial Number: {device.serial_number} (0x{device.serial_number})",
            "Configuration last modified by enable_15 at 04:54:34.000 UTC Fri Jan 11 2002",
        ]
    )
