"""The public corpus (genieparser and ntc-templates raw outputs): which files are ours, and how our results
project onto ntc-templates' flat rows so the two can be compared field by field."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from devices.parsers.common import Context, parse_time
from tests.parsers.helpers import CORPUS

# corpus directory (relative to CORPUS) -> (platform, command). Directories not listed hold commands
# vpnportal does not poll (`show crypto session`, `show vpn-sessiondb`): see OUT_OF_SCOPE.
COMMAND_DIRS: dict[str, tuple[str, str]] = {
    "genieparser/asa/show_crypto_ikev2_sa": ("cisco_asa", "show crypto ikev2 sa"),
    "genieparser/ios/show_clock": ("cisco_ios", "show clock"),
    "genieparser/iosxe/show_clock": ("cisco_ios", "show clock"),
    "genieparser/ios/show_crypto_pki_certificates": ("cisco_ios", "show crypto pki certificates"),
    "genieparser/iosxe/show_crypto_pki_certificates": ("cisco_ios", "show crypto pki certificates"),
    "genieparser/iosxe/show_crypto_pki_certificates_verbose_X": (
        "cisco_ios",
        "show crypto pki certificates verbose TP",
    ),
    "genieparser/iosxe/show_crypto_pki_crls": ("cisco_ios", "show crypto pki crls"),
    "genieparser/iosxe/show_crypto_ikev2_sa": ("cisco_ios", "show crypto ikev2 sa"),
    "genieparser/iosxe/show_crypto_ikev2_sa_detail": ("cisco_ios", "show crypto ikev2 sa detail"),
    "genieparser/iosxe/show_crypto_ikev2_sa_local_X": ("cisco_ios", "show crypto ikev2 sa local 10.0.0.1"),
    "genieparser/iosxe/show_crypto_ikev2_sa_local_X_detail": (
        "cisco_ios",
        "show crypto ikev2 sa local 1.1.1.1 detail",
    ),
    "genieparser/iosxe/show_crypto_ikev2_sa_remote_X": ("cisco_ios", "show crypto ikev2 sa remote 10.0.0.1"),
    "genieparser/iosxe/show_crypto_ikev2_sa_remote_X_detail": (
        "cisco_ios",
        "show crypto ikev2 sa remote 1.1.1.1 detail",
    ),
    "genieparser/iosxe/show_crypto_ipsec_sa": ("cisco_ios", "show crypto ipsec sa"),
    "genieparser/iosxe/show_crypto_ipsec_sa_detail": ("cisco_ios", "show crypto ipsec sa detail"),
    "genieparser/iosxe/show_crypto_ipsec_sa_interface_X": (
        "cisco_ios",
        "show crypto ipsec sa interface Tunnel1",
    ),
    "genieparser/iosxe/show_crypto_ipsec_sa_peer_X": ("cisco_ios", "show crypto ipsec sa peer 10.0.0.1"),
    "genieparser/iosxe/show_crypto_ipsec_sa_peer_X_detail": (
        "cisco_ios",
        "show crypto ipsec sa peer 10.0.0.1 detail",
    ),
    "genieparser/iosxe/show_crypto_ipsec_sa_ipv6_detailed": ("cisco_ios", "show crypto ipsec sa detail"),
    "genieparser/iosxe/show_crypto_isakmp_sa": ("cisco_ios", "show crypto isakmp sa"),
    "genieparser/iosxe/show_crypto_isakmp_sa_X": ("cisco_ios", "show crypto isakmp sa"),
    "genieparser/iosxe/show_crypto_isakmp_sa_detail": ("cisco_ios", "show crypto isakmp sa detail"),
    "ntc-templates/cisco_asa/show_crypto_ikev1_sa_detail": ("cisco_asa", "show crypto ikev1 sa detail"),
    "ntc-templates/cisco_asa/show_crypto_ipsec_sa": ("cisco_asa", "show crypto ipsec sa"),
    "ntc-templates/cisco_ios/show_clock": ("cisco_ios", "show clock"),
    "ntc-templates/cisco_ios/show_crypto_ipsec_sa_detail": ("cisco_ios", "show crypto ipsec sa detail"),
    "ntc-templates/cisco_ios/show_crypto_pki_certificates": ("cisco_ios", "show crypto pki certificates"),
}
# Other commands: different outputs that vpnportal neither polls nor parses.
OUT_OF_SCOPE = (
    "show_crypto_session",
    "show_vpn-sessiondb",
    "show_crypto_ikev2_session",
    "show_crypto_ipsec_sa_count",
    "show_crypto_isakmp_sa_count",
    "show_crypto_pki_crls_download",
    "show_crypto_pki_certificates_pem_server",
)


def corpus_files() -> Iterator[tuple[Path, str, str]]:
    """Every raw corpus output of a command we parse: (path, platform, command)."""
    for rel, (platform, command) in sorted(COMMAND_DIRS.items()):
        folder = CORPUS / rel
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path.suffix in {".txt", ".raw"}:
                yield path, platform, command


def all_raw_files() -> list[Path]:
    """Every raw output in the corpus, ours or not."""
    return sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.suffix in {".txt", ".raw"})


# -- projections onto ntc-templates rows ----------------------------------------------------------------

_IP = re.compile(r"^[0-9A-Fa-f:.]+$")
_DN_SPLIT = re.compile(r", (?=[A-Za-z][\w.]*=)")


def dn_parts(dn: str | None) -> dict[str, str]:
    """`CN=x, OU=y` -> {"cn": "x", "ou": "y"} (keys lower-case, as ntc names its columns)."""
    if not dn:
        return {}
    parts: dict[str, str] = {}
    for part in _DN_SPLIT.split(dn):
        key, _, value = part.partition("=")
        parts.setdefault(key.lower(), value)
    return parts


def _clock(result: dict[str, Any]) -> list[dict[str, Any]]:
    if not result["clock"]:
        return []
    moment = datetime.fromisoformat(result["clock"])
    return [
        {
            "time": result["clock"][11:23] if "." in result["clock"][11:20] else result["clock"][11:19],
            "timezone": result["timezone"],
            "dayweek": result.get("day_of_week"),
            "month": moment.strftime("%b"),
            "day": str(moment.day),
            "year": str(moment.year),
        }
    ]


def _certificates(result: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for cert in result["certificates"]:
        row: dict[str, Any] = {
            "certificate_type": cert["certificate_type"],
            "status": cert["status"],
            "serial_number": cert["serial"],
            "certificate_usage": cert["key_usage"],
            "subject_name": cert["subject_name"],
            "subject_serial_number": cert.get("subject_serial_number"),
            "crl_distribution_point": cert["crl_distribution_point"],
            "start_date": cert["valid_from"],
            "end_date": cert["valid_to"],
            "renew_date": cert.get("renew_date"),
            "associated_trustpoints": " ".join(
                cert.get("trustpoints") or ([cert["trustpoint"]] if cert["trustpoint"] else [])
            )
            or None,
            "storage": cert.get("storage"),
        }
        for side in ("issuer", "subject"):
            for key, value in dn_parts(cert[side]).items():
                row[f"{side}_{key}"] = value
        row["subject_hostname"] = dn_parts(cert["subject"]).get("hostname")
        rows.append(row)
    return rows


NTC_COUNTERS = {
    "pkts_compress_failed": "pkts_compr_failed",
    "pkts_replay_rollover_recv": "pkts_replay_rollover_rcv",
}
ASA_COUNTERS = {
    "packets_encapsulated": "pkts_encaps",
    "packets_encrypted": "pkts_encrypt",
    "packets_digested": "pkts_digest",
    "packets_decapsulated": "pkts_decaps",
    "packets_decrypted": "pkts_decrypt",
    "packets_verified": "pkts_verify",
    "packets_compressed": "pkts_compressed",
    "packets_decompressed": "pkts_decompressed",
    "packets_not_compressed": "pkts_not_compressed",
    "packets_compress_failed": "pkts_compr_failed",
    "packets_decompress_failed": "pkts_decompress_failed",
    "pre_fragment_success": "pre_frag_successes",
    "pre_fragment_failures": "pre_frag_failures",
    "fragments_created": "fragments_created",
    "pmtus_sent": "pmtus_sent",
    "pmtus_received": "pmtus_rcvd",
    "send_errors": "send_errors",
    "receive_errors": "recv_errors",
}


def _entry_common(entry: dict[str, Any]) -> dict[str, Any]:
    return {
        "interface": entry["interface"],
        "crypto_map_tag": entry["crypto_map"],
        "current_peer": entry["current_peer"],
    }


def _ios_ipsec(result: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for entry in result["ipsec_sas"]:
        base = _entry_common(entry)
        base.update(
            {
                "local_addr": entry["local_addr"],
                "protected_vrf": entry.get("protected_vrf"),
                "port": entry.get("current_peer_port"),
                "action": entry.get("action"),
                "flags": ",".join(entry.get("flags") or []) + "," if entry.get("flags") is not None else None,
                "local_crypto_endpt": entry["local_endpoint"],
                "remote_crypto_endpt": entry["remote_endpoint"],
                "plaintext_mtu": entry.get("plaintext_mtu"),
                "path_mtu": entry["path_mtu"],
                "ip_mtu": entry.get("ip_mtu"),
                "ip_mtu_idb": entry.get("ip_mtu_idb"),
                "current_outbound_spi_dec": entry.get("current_outbound_spi_decimal"),
                "current_outbound_spi_hex": _hex(entry["current_outbound_spi"]),
                "pfs": entry.get("pfs"),
                "dh_group": entry.get("dh_group"),
            }
        )
        for side in ("local", "remote"):
            ident = entry[f"{side}_ident"] or {}
            for key in ("addr", "mask", "prot", "port"):
                base[f"{side}_ident_{key}"] = ident.get(key)
        for key, value in entry["counters"].items():
            base[key] = value
        for ntc_name, ours in NTC_COUNTERS.items():
            base[ntc_name] = entry["counters"].get(ours)
        sas = [
            (o, t, sa)
            for o in ("inbound", "outbound")
            for t in ("esp", "ah", "pcp")
            for sa in entry[f"{o}_{t}"]
        ]
        for orientation, kind, sa in sas:
            row = dict(base)
            row.update(
                {
                    "sa_orientation": orientation,
                    "sa_type": kind,
                    "sa_spi_hex": _hex(sa["spi"]),
                    "sa_spi_dec": sa.get("spi_decimal"),
                    "sa_transform": sa["transform"],
                    "sa_in_use_settings": ", ".join(sa.get("settings") or []) or None,
                    "sa_conn_id": sa["conn_id"],
                    "sa_flow_id": sa.get("flow_id"),
                    "sa_sibling_flags": sa.get("sibling_flags"),
                    "sa_crypto_map": sa["crypto_map"],
                    "sa_lifetime_kbytes": sa["remaining_kb"],
                    "sa_lifetime_sec": sa["remaining_sec"],
                    "sa_iv_size": sa.get("iv_size"),
                    "sa_replay_detection_support": sa.get("replay_detection"),
                    "sa_replay_window_size": sa.get("replay_window_size"),
                    "sa_status": sa.get("status"),
                }
            )
            rows.append(row)
        if not sas:
            rows.append(base)
    return rows


def _asa_ipsec(result: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for entry in result["ipsec_sas"]:
        row = _entry_common(entry)
        row.update(
            {
                "sequence_number": entry.get("seq_num"),
                "local_address": entry["local_addr"],
                "dynamic_peer": entry.get("dynamic_peer"),
                "local_crypto_endpoint": entry["local_endpoint"],
                "remote_crypto_endpoint": entry["remote_endpoint"],
                "path_mtu": entry["path_mtu"],
                "ipsec_overhead": entry.get("ipsec_overhead"),
                "media_mtu": entry["media_mtu"],
                "current_inbound_spi": _hex(entry.get("current_inbound_spi"), prefix=""),
                "current_outbound_spi": _hex(entry["current_outbound_spi"], prefix=""),
            }
        )
        # ASA `names`: ntc moves a name printed where an address goes into its `*_name` column.
        for field in (
            "local_address",
            "current_peer",
            "dynamic_peer",
            "local_crypto_endpoint",
            "remote_crypto_endpoint",
        ):
            if row.get(field) and not _IP.match(str(row[field])):
                row[f"{field}_name"] = row.pop(field)
        counters = entry["counters"]
        for ntc_name, ours in ASA_COUNTERS.items():
            row[ntc_name] = counters.get(ours)
        reassembly = [v for k, v in counters.items() if k.startswith("decapsulated_fr")]
        row["decap_frags_needing_reassembly"] = reassembly[0] if reassembly else None
        for side in ("local", "remote"):
            ident = entry[f"{side}_ident"] or {}
            for ours, ntc_name in (
                ("addr", "addr"),
                ("mask", "mask"),
                ("prot", "protocol"),
                ("port", "port"),
            ):
                row[f"{side}_identity_{ntc_name}"] = ident.get(ours)
        for orientation in ("inbound", "outbound"):
            sas = entry[f"{orientation}_esp"]
            if not sas:
                continue
            sa = sas[0]
            transform = (sa["transform"] or "").split()
            row.update(
                {
                    f"{orientation}_spi_hex": _hex(sa["spi"]),
                    f"{orientation}_spi_integer": sa.get("spi_decimal"),
                    f"{orientation}_encryption": transform[0] if transform else None,
                    f"{orientation}_authentication": transform[1] if len(transform) > 1 else None,
                    f"{orientation}_settings_in_use": ", ".join(sa.get("settings") or []) or None,
                    f"{orientation}_slot": sa.get("slot"),
                    f"{orientation}_connection_id": sa["conn_id"],
                    f"{orientation}_crypto_map": sa["crypto_map"],
                    f"{orientation}_remaining_lifetime": sa["remaining_sec"],
                    f"{orientation}_remaining_lifetime_kilobytes": sa["remaining_kb"],
                    f"{orientation}_iv_size": f"{sa['iv_size']} bytes"
                    if sa.get("iv_size") is not None
                    else None,
                    f"{orientation}_replay_detection": sa.get("replay_detection"),
                }
            )
        rows.append(row)
    return rows


def _asa_ikev1(result: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "sequence": sa.get("index"),
            "peer": sa["peer"],
            "type": sa.get("type"),
            "dir": sa.get("direction"),
            "rekey": sa.get("rekey"),
            "state": sa["state"],
            "encryption": sa.get("encryption"),
            "hash": sa.get("hash"),
            "authentication": sa.get("authentication"),
            "lifetime": sa.get("lifetime"),
        }
        for sa in result["ike_sas"]
    ]


def _hex(value: int | None, prefix: str = "0x") -> str | None:
    return None if value is None else f"{prefix}{value:X}"


PROJECTIONS: dict[str, Callable[[dict[str, Any]], list[dict[str, Any]]]] = {
    "cisco_ios/show_clock": _clock,
    "cisco_ios/show_crypto_pki_certificates": _certificates,
    "cisco_ios/show_crypto_ipsec_sa_detail": _ios_ipsec,
    "cisco_asa/show_crypto_ipsec_sa": _asa_ipsec,
    "cisco_asa/show_crypto_ikev1_sa_detail": _asa_ikev1,
}
_TIME_FIELDS = {"start_date", "end_date", "renew_date"}
_HEX_FIELDS = {
    "sa_spi_hex",
    "current_outbound_spi_hex",
    "inbound_spi_hex",
    "outbound_spi_hex",
    "current_inbound_spi",
    "current_outbound_spi",
}


def normalise(field: str, value: Any, platform: str) -> str | None:
    """One comparable string for a value from either side (ntc's empty string is 'absent')."""
    if value is None:
        return None
    text = " ".join(str(value).split())
    if text == "":
        return None
    if field in _TIME_FIELDS:
        return parse_time(text, Context(platform=platform)) if not text[:4].isdigit() else text
    if field in _HEX_FIELDS:
        return format(int(text, 16), "X") if re.fullmatch(r"(0x)?[0-9A-Fa-f]+", text) else text.upper()
    if field == "flags":
        return ",".join(sorted(f.strip() for f in text.split(",") if f.strip()))
    if field == "serial_number":
        return text.upper()
    if text.isdigit():
        return str(int(text))
    return text


def compare(ntc_rows: list[dict[str, Any]], our_rows: list[dict[str, Any]], platform: str) -> dict[str, Any]:
    """Field-by-field agreement of ntc rows with our projected rows (same order)."""
    stats: dict[str, Any] = {
        "rows_ntc": len(ntc_rows),
        "rows_ours": len(our_rows),
        "agreed": 0,
        "disagreed": [],
        "ntc_only": [],
        "ours_only": 0,
    }
    for index, ntc in enumerate(ntc_rows):
        ours = our_rows[index] if index < len(our_rows) else {}
        for field, raw in ntc.items():
            theirs = normalise(field, raw, platform)
            mine = normalise(field, ours.get(field), platform)
            if theirs is None and mine is None:
                continue
            if theirs is None:
                stats["ours_only"] += 1
            elif mine is None:
                stats["ntc_only"].append((index, field, theirs))
            elif theirs == mine:
                stats["agreed"] += 1
            else:
                stats["disagreed"].append((index, field, theirs, mine))
    return stats
