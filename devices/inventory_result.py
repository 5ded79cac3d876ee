"""What an inventory import changed (or, in a dry run, would change): names, and a line per change."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext

SECRET_NOTE = "(changed)"  # noqa: S105 - a word, not a password


@dataclass
class ImportResult:
    """What an import changed, by name, with `details`: one line per row created, changed or pruned."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    pruned: list[str] = field(default_factory=list)
    tunnels_created: list[str] = field(default_factory=list)
    tunnels_updated: list[str] = field(default_factory=list)
    tunnels_pruned: list[str] = field(default_factory=list)
    credentials_created: list[str] = field(default_factory=list)
    credentials_updated: list[str] = field(default_factory=list)
    credentials_unchanged: list[str] = field(default_factory=list)
    credentials_pruned: list[str] = field(default_factory=list)
    channels_created: list[str] = field(default_factory=list)
    channels_updated: list[str] = field(default_factory=list)
    channels_unchanged: list[str] = field(default_factory=list)
    channels_pruned: list[str] = field(default_factory=list)
    # "+ device r1", "~ device r2: host 192.0.2.2 -> 192.0.2.9, password (changed)", "- tunnel t3"
    details: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line for the command's output (credential sets and channels named only when there are some)."""
        line = gettext(
            "devices: %(created)s created, %(updated)s updated, %(unchanged)s unchanged, %(pruned)s pruned; "
            "tunnels: %(t_created)s created, %(t_updated)s updated, %(t_pruned)s pruned"
        ) % {
            "created": len(self.created),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "pruned": len(self.pruned),
            "t_created": len(self.tunnels_created),
            "t_updated": len(self.tunnels_updated),
            "t_pruned": len(self.tunnels_pruned),
        }
        sets = (
            self.credentials_created,
            self.credentials_updated,
            self.credentials_unchanged,
            self.credentials_pruned,
        )
        channels = (
            self.channels_created,
            self.channels_updated,
            self.channels_unchanged,
            self.channels_pruned,
        )
        sections = (
            (
                gettext(
                    "credential sets: %(created)s created, %(updated)s updated, %(unchanged)s unchanged, %(pruned)s pruned"
                ),
                sets,
            ),
            (
                gettext(
                    "channels: %(created)s created, %(updated)s updated, %(unchanged)s unchanged, %(pruned)s pruned"
                ),
                channels,
            ),
        )
        for text, counts in sections:
            if any(counts):
                names = ("created", "updated", "unchanged", "pruned")
                line += "; " + text % {name: len(rows) for name, rows in zip(names, counts, strict=True)}
        return line

    def note(self, sign: str, kind: str, name: str, changes: list[str] | None = None) -> None:
        """Record one line of `details`: `sign` is + (created), ~ (changed) or - (pruned)."""
        text = f"{sign} {kind} {name}"
        if changes:
            text += ": " + ", ".join(changes)
        self.details.append(text)


def change(attr: str, before: object, after: object) -> str:
    """How a plain field changed, for `details`."""
    return f"{attr} {_shown(before)} -> {_shown(after)}"


def secret_change(attr: str) -> str:
    """How a secret changed, for `details`: never the value, nor the reference."""
    return f"{attr} {SECRET_NOTE}"


def _shown(value: object) -> str:
    if value is None or value == "":
        return "(none)"
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "..."
