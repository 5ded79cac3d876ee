"""Kept device state: what an operator changed on a simulated device survives a restart of the simulator.

With `keep_state` (`--keep-state`; `make demo` uses it) each device's certificates, key date and faults
are written to `<state-dir>/devices.json` whenever they change, and read back at start instead of the
scenario's. A re-enrolled router keeps its new certificate; a fault set at run time stays set.
`--reset` (or `forget`) starts over from the scenario. Not kept: pending requests (the CA that would have
answered them lived in the stopped process) and CRLs, which a device fetches fresh after a restart as
the scenario describes them (a kept one would run out a day later; `crl_missing` and `crl_expired`
are faults, and those are kept).
"""

from __future__ import annotations

import base64
import json
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .device import CertEntry, Device

if TYPE_CHECKING:
    from .simulator import Simulator

STATE_FILE = "devices.json"
VERSION = 1


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _cert(entry: CertEntry) -> dict[str, Any]:
    data = asdict(entry)
    data["not_before"] = _time(entry.not_before)
    data["not_after"] = _time(entry.not_after)
    data["der"] = base64.b64encode(entry.der).decode() if entry.der else None
    return data


def _load_cert(data: dict[str, Any]) -> CertEntry:
    fields = dict(data)
    fields["issuer"] = [tuple(pair) for pair in fields["issuer"]]
    fields["subject"] = [tuple(pair) for pair in fields["subject"]]
    fields["not_before"] = _parse_time(fields["not_before"])
    fields["not_after"] = _parse_time(fields["not_after"])
    fields["der"] = base64.b64decode(fields["der"]) if fields.get("der") else None
    return CertEntry(**fields)


def device_state(sim: Simulator, dev: Device) -> dict[str, Any]:
    """One device's kept state as JSON-ready data."""
    return {
        "certificates": [_cert(c) for c in dev.certificates if c.status != "Pending"],
        "key_generated_at": _time(dev.key_generated_at),
        "faults": {name: dict(params) for name, params in dev.faults.items()},
    }


def snapshot(sim: Simulator) -> dict[str, Any]:
    """Every device's kept state."""
    return {
        "version": VERSION,
        "devices": {name: device_state(sim, dev) for name, dev in sim.devices.items()},
    }


def state_path(state_dir: Path) -> Path:
    """Where the kept state lives."""
    return Path(state_dir) / STATE_FILE


def save(sim: Simulator, last: str | None = None) -> str:
    """Write the snapshot when it differs from `last` (the text written before); return its text."""
    text = json.dumps(snapshot(sim), sort_keys=True, indent=1)
    if text != last:
        path = state_path(sim.state_dir)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(text)
        tmp.replace(path)
    return text


def load(state_dir: Path) -> dict[str, Any]:
    """The kept state by device name ({} when there is none or it cannot be read)."""
    try:
        data = json.loads(state_path(state_dir).read_text())
    except (FileNotFoundError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != VERSION:
        return {}
    devices = data.get("devices")
    return devices if isinstance(devices, dict) else {}


def restore(dev: Device, kept: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Put a device's kept certificates and key date back; return its kept faults to apply."""
    dev.certificates = [_load_cert(c) for c in kept.get("certificates", [])]
    dev.key_generated_at = _parse_time(kept.get("key_generated_at"))
    return {name: dict(params or {}) for name, params in (kept.get("faults") or {}).items()}


def forget(state_dir: Path) -> bool:
    """Remove the kept state (start over from the scenario); whether there was any."""
    path = state_path(state_dir)
    existed = path.exists()
    path.unlink(missing_ok=True)
    return existed
