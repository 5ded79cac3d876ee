"""Read a gettext catalogue (.po) and regenerate the project's on a copy of the tree.

polib is not a dependency: the .po format that makemessages writes is small enough to read here
(msgctxt, msgid, msgid_plural, msgstr, msgstr[n], `#,` flags, `#:` references, `#~` obsolete entries).
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# What a copy needs for makemessages: the product's sources, templates, scripts and the catalogues.
COPIED = ("manage.py", "vpnportal/", "devices/", "pki/", "events/", "templates/", "static/", "locale/")
LEFT_OUT = ("static/vendor/",)


@dataclass
class Entry:
    """One message of a catalogue."""

    msgid: str
    context: str = ""
    plural: str = ""
    strings: list[str] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)
    references: list[str] = field(default_factory=list)
    obsolete: bool = False

    @property
    def translated(self) -> bool:
        return bool(self.strings) and all(self.strings)

    @property
    def fuzzy(self) -> bool:
        return "fuzzy" in self.flags

    def __str__(self) -> str:
        where = " ".join(self.references[:3])
        context = f"[{self.context}] " if self.context else ""
        return f"{context}{self.msgid!r} ({where})"


def _unquote(text: str) -> str:
    return str(ast.literal_eval(text.strip())) if text.strip() else ""


def read_po(path: Path) -> list[Entry]:
    """The entries of a .po file, its header (the empty msgid) left out."""
    entries: list[Entry] = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        entry = Entry(msgid="")
        current: tuple[str, int] | None = None
        parts: dict[tuple[str, int], str] = {}
        for line in block.splitlines():
            if line.startswith("#~"):
                entry.obsolete = True
                line = line[2:].strip()
            if line.startswith("#,"):
                entry.flags.update(flag.strip() for flag in line[2:].split(","))
            elif line.startswith("#:"):
                entry.references.extend(line[2:].split())
            elif line.startswith("#") or not line.strip():
                continue
            elif line.startswith('"'):
                if current is not None:
                    parts[current] += _unquote(line)
            else:
                keyword, _, rest = line.partition(" ")
                index = 0
                if keyword.startswith("msgstr["):
                    keyword, index = "msgstr", int(keyword[7:-1])
                current = (keyword, index)
                parts[current] = _unquote(rest)
        if ("msgid", 0) not in parts or not parts[("msgid", 0)]:
            continue
        entry.msgid = parts[("msgid", 0)]
        entry.context = parts.get(("msgctxt", 0), "")
        entry.plural = parts.get(("msgid_plural", 0), "")
        entry.strings = [parts[key] for key in sorted(k for k in parts if k[0] == "msgstr")]
        entries.append(entry)
    return entries


def copy_tree(target: Path) -> Path:
    """The product's files (as git sees them, committed or not) copied under `target`."""
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    for name in listed:
        source = ROOT / name
        if not name.startswith(COPIED) or name.startswith(LEFT_OUT) or not source.is_file():
            continue
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target / name)
    return target


def make_messages(tree: Path, domain: str, language: str = "ja") -> Path:
    """Run the project's makemessages in `tree` (never in the checkout); the .po it leaves."""
    result = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", language, "-d", domain, "--no-obsolete"],
        cwd=tree,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "DJANGO_SETTINGS_MODULE": "vpnportal.settings"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return tree / "locale" / language / "LC_MESSAGES" / f"{domain}.po"
