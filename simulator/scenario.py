"""Scenario files (YAML) -> devices, tunnels, traffic, clock, validity and faults.

```yaml
clock: {start: seed, speed: 1.0}        # seed | now | ISO 8601 time; speed x real time
defaults: {enroll_delay: 5, cert_validity_days: 365}
devices:
  - {name: 1720-1, persona: seed-router, telnet: true}
  - {name: pix520-1, persona: seed-pix, telnet: true, faults: {slow: {seconds: 2}}}
tunnels:
  - {name: hq-branch, ends: [1720-1, pix520-1], traffic: {a_to_b: 1.0, b_to_a: 1.0}, lifetime: 3600}
fleet: {pairs: 500, personas: [ios15, asa9], prefix: sim}   # adds N generated tunnel pairs
```
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from .clock import parse_start
from .faults import check as check_fault
from .personas import modern_device, seed_pix, seed_router
from .tunnel_state import EndSeed

PERSONA_ALIASES = {
    "seed-router": "seed-router",
    "ios122": "seed-router",
    "seed-pix": "seed-pix",
    "pix60": "seed-pix",
    "ios15": "ios15",
    "iosxe": "ios15",
    "asa9": "asa9",
    "asa": "asa9",
}

SEED_SCENARIO: dict[str, Any] = {
    "clock": {"start": "seed", "speed": 1.0},
    "devices": [
        {"name": "1720-1", "persona": "seed-router", "telnet": True},
        {"name": "pix520-1", "persona": "seed-pix", "telnet": True},
    ],
    "tunnels": [{"name": "hq-branch", "ends": ["1720-1", "pix520-1"]}],
}

# The seed's captures: the router's inbound SPI is the PIX's outbound one and the other way round.
SEED_ENDS = {
    "seed-router": EndSeed(0xD740971C, 0x3803A0C1, 3150, 3141, 3, 3, 0, 0),
    "seed-pix": EndSeed(0x3803A0C1, 0xD740971C, 2971, 2971, 3, 3, 2, 0),
}


@dataclass
class DeviceSpec:
    """One device as the scenario describes it."""

    name: str
    persona: str
    fields: dict[str, Any]
    port: int | None = None
    telnet: bool = False
    telnet_port: int | None = None
    faults: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class TunnelSpec:
    """One tunnel between two named devices."""

    name: str
    a: str
    b: str
    rate_ab: float = 1.0
    rate_ba: float = 1.0
    lifetime: int = 3600
    ike_version: int = 1  # 2: IKEv2 (IOS-XE routers only): SAs in `show crypto ikev2 sa`, not isakmp
    seed_a: EndSeed | None = None
    seed_b: EndSeed | None = None


@dataclass
class Scenario:
    """A whole simulated network."""

    start: datetime
    speed: float
    devices: list[DeviceSpec]
    tunnels: list[TunnelSpec]


def load(source: str | Path | dict[str, Any] | None) -> Scenario:
    """Read a scenario from a YAML file, a dict, or None (the seed network)."""
    if source is None:
        data: dict[str, Any] = SEED_SCENARIO
    elif isinstance(source, dict):
        data = source
    else:
        data = yaml.safe_load(Path(source).read_text()) or {}
    return build(data)


def _faults(raw: Any) -> dict[str, dict[str, Any]]:
    if not raw:
        return {}
    if isinstance(raw, list):
        raw = {name: {} for name in raw}
    return {check_fault(k): dict(v or {}) for k, v in raw.items()}


def build(data: dict[str, Any]) -> Scenario:
    """Turn scenario data into specs (validates personas, faults, tunnel ends)."""
    clock = data.get("clock") or {}
    start = parse_start(clock.get("start", "seed"))
    speed = float(clock.get("speed", 1.0))
    defaults = data.get("defaults") or {}
    validity = data.get("validity") or {}
    devices: list[DeviceSpec] = []
    tunnels: list[TunnelSpec] = []
    modern_index = 0

    def add_device(raw: dict[str, Any]) -> DeviceSpec:
        nonlocal modern_index
        persona = PERSONA_ALIASES.get(str(raw.get("persona", "")))
        if persona is None:
            raise ValueError(f"device {raw.get('name')!r}: unknown persona {raw.get('persona')!r}")
        name = str(raw["name"])
        if persona == "seed-router":
            fields = seed_router(enrolled=bool(raw.get("enrolled", True)))
        elif persona == "seed-pix":
            fields = seed_pix(enrolled=bool(raw.get("enrolled", True)))
        else:
            fields = modern_device(
                persona, name, modern_index, start, {**validity, **(raw.get("validity") or {})}
            )
            modern_index += 1
            if raw.get("enrolled") is False:
                fields["certificates"] = [c for c in fields["certificates"] if c.role != "identity"]
        fields["name"] = name
        fields["hostname"] = raw.get(
            "hostname", name if persona not in ("seed-router", "seed-pix") else fields["hostname"]
        )
        for key in ("enroll_delay", "cert_validity_days"):
            if key in defaults:
                fields[key] = defaults[key]
        for key, value in (raw.get("set") or {}).items():
            fields[key] = value
        for key in ("username", "password", "enable", "enroll_delay", "cert_validity_days", "domain"):
            if key in raw:
                fields[key] = raw[key]
        spec = DeviceSpec(
            name=name,
            persona=persona,
            fields=fields,
            port=raw.get("port"),
            telnet=bool(raw.get("telnet", False) or raw.get("telnet_port")),
            telnet_port=raw.get("telnet_port"),
            faults=_faults(raw.get("faults")),
        )
        devices.append(spec)
        return spec

    for raw in data.get("devices") or []:
        add_device(raw)
    by_name = {d.name: d for d in devices}
    if len(by_name) != len(devices):
        raise ValueError("device names must be unique")

    def add_tunnel(raw: dict[str, Any]) -> None:
        a, b = raw["ends"]
        if a not in by_name or b not in by_name:
            raise ValueError(f"tunnel {raw.get('name')!r}: unknown end")
        traffic = raw.get("traffic") or {}
        spec = TunnelSpec(
            name=str(raw.get("name") or f"{a}--{b}"),
            a=a,
            b=b,
            rate_ab=float(traffic.get("a_to_b", 1.0)),
            rate_ba=float(traffic.get("b_to_a", 1.0)),
            lifetime=int(raw.get("lifetime", 3600)),
            ike_version=int(raw.get("ike_version", 1)),
        )
        pa, pb = by_name[a].persona, by_name[b].persona
        if spec.ike_version not in (1, 2):
            raise ValueError(f"tunnel {spec.name!r}: ike_version must be 1 or 2")
        if spec.ike_version == 2 and {pa, pb} != {"ios15"}:
            raise ValueError(f"tunnel {spec.name!r}: ike_version 2 is simulated between ios15 routers only")
        if {pa, pb} == {"seed-router", "seed-pix"} and raw.get("seed_state", True):
            spec.seed_a, spec.seed_b = SEED_ENDS[pa], SEED_ENDS[pb]
        tunnels.append(spec)

    for raw in data.get("tunnels") or []:
        add_tunnel(raw)

    fleet = data.get("fleet")
    if fleet:
        pairs = int(fleet.get("pairs", 1))
        personas = list(fleet.get("personas") or ["ios15", "asa9"])
        prefix = str(fleet.get("prefix", "sim"))
        traffic = fleet.get("traffic") or {}
        for i in range(pairs):
            names = []
            for side, persona in zip("ab", personas, strict=False):
                name = f"{prefix}{i + 1:04d}{side}"
                add_device(
                    {
                        "name": name,
                        "persona": persona,
                        "telnet": fleet.get("telnet", False),
                        "faults": (fleet.get("faults") or {}).get(name),
                    }
                )
                names.append(name)
            by_name.update({d.name: d for d in devices[-2:]})
            add_tunnel({"name": f"{prefix}{i + 1:04d}", "ends": names, "traffic": traffic})
    return Scenario(start=start, speed=speed, devices=devices, tunnels=tunnels)
