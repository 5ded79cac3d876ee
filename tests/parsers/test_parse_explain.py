"""`manage.py parse --explain`: for each input line, the field it went to or that it went to warnings."""

from __future__ import annotations

import io
from pathlib import Path

from django.core.management import call_command

from devices.parsers.explain import explain
from tests.parsers.helpers import fixture

TEXT = (
    "interface: FastEthernet0\n"
    "    Crypto map tag: vpn, local addr. 172.16.172.39\n"
    "   local  ident (addr/mask/prot/port): (1.1.1.0/255.255.255.0/0/0)\n"
    "   remote ident (addr/mask/prot/port): (192.168.4.0/255.255.255.0/0/0)\n"
    "    #pkts encaps: 3, #pkts encrypt: 3, #pkts digest 3\n"
    "    #pkts decompress failed:\n"
    " 0\n"
    "    a line nobody knows\n"
)


def _run(path: Path) -> str:
    out = io.StringIO()
    call_command(
        "parse",
        "--platform",
        "cisco_ios",
        "--command",
        "show crypto ipsec sa",
        "--explain",
        str(path),
        stdout=out,
    )
    return out.getvalue()


def test_it_names_each_lines_fields_and_its_warnings(tmp_path: Path) -> None:
    path = tmp_path / "sa.txt"
    path.write_text(TEXT)
    lines = _run(path).splitlines()
    counters = lines.index("               5  #pkts encaps: 3, #pkts encrypt: 3, #pkts digest 3")
    assert lines[counters + 1 : counters + 4] == [
        "                  -> ipsec_sas[0].counters.pkts_encaps = 3",
        "                  -> ipsec_sas[0].counters.pkts_encrypt = 3",
        "                  -> ipsec_sas[0].counters.pkts_digest = 3",
    ]
    joined = lines.index("      6-7 joined  #pkts decompress failed: 0")
    assert lines[joined + 1] == "                  -> ipsec_sas[0].counters.pkts_decompress_failed = 0"
    unknown = lines.index("               8  a line nobody knows")
    assert lines[unknown + 1] == "                  -> WARNING: not understood"


def test_every_line_of_a_golden_output_is_accounted_for() -> None:
    explained, whole = explain(
        "cisco_pix", "show crypto ipsec sa", fixture("cisco_pix", "show_crypto_ipsec_sa")
    )
    assert whole["warnings"] == [] and explained
    assert not any(item.warned for item in explained)
    spis = [value for item in explained for path, value in item.fields if path.endswith("].spi")]
    assert spis == [s["spi"] for e in whole["ipsec_sas"] for s in e["inbound_esp"] + e["outbound_esp"]]
