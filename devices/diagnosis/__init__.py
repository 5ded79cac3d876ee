"""Diagnosis: the guide's troubleshooting section, crypto hygiene and both tunnel ends checked together."""

from __future__ import annotations

from devices.diagnosis.model import DeviceOutputs, Finding, Severity

__all__ = ["DeviceOutputs", "Finding", "Severity"]
