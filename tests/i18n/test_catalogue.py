"""makemessages, run on a copy of the tree, leaves no untranslated and no fuzzy Japanese entry, and the
catalogues compile with their placeholders consistent (msgfmt --check)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.i18n.catalogue import ROOT, copy_tree, make_messages, read_po

# The sources of the i18n infrastructure (issue 23): their entries are translated from the start.
INFRASTRUCTURE = (
    "templates/base.html",
    "templates/includes/language_switch.html",
    "vpnportal/language.py",
    "vpnportal/language_views.py",
)


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The django and djangojs catalogues as makemessages leaves them, on a copy of the tree."""
    if not shutil.which("msgfmt"):
        pytest.skip("gettext is not installed (make install installs it)")
    before = checkout_catalogues()
    tree = copy_tree(tmp_path_factory.mktemp("tree"))
    made = {domain: make_messages(tree, domain) for domain in ("django", "djangojs")}
    assert checkout_catalogues() == before, "makemessages touched the checkout's catalogues"
    return made


def checkout_catalogues() -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in sorted((ROOT / "locale").rglob("*.po"))}


def listed_by_msgattrib(po: Path, option: str) -> list[str]:
    """The msgids gettext's msgattrib selects with `option` (--untranslated, --only-fuzzy), header aside."""
    out = subprocess.run(
        ["msgattrib", option, "--no-obsolete", str(po)], capture_output=True, text=True, check=True
    ).stdout
    return [line for line in out.splitlines() if line.startswith("msgid ") and line != 'msgid ""']


def msgfmt_check(po: Path) -> str:
    result = subprocess.run(
        ["msgfmt", "--check", "--output-file=/dev/null", str(po)], capture_output=True, text=True
    )
    return result.stderr if result.returncode else ""


def test_the_catalogue_compiles_with_consistent_placeholders(regenerated: dict[str, Path]) -> None:
    for domain in ("django", "djangojs"):
        assert not regenerated[domain].exists() or msgfmt_check(regenerated[domain]) == ""
    assert msgfmt_check(ROOT / "locale/ja/LC_MESSAGES/django.po") == ""


def test_the_infrastructure_strings_are_translated(regenerated: dict[str, Path]) -> None:
    ours = [
        entry
        for entry in read_po(regenerated["django"])
        if any(reference.startswith(INFRASTRUCTURE) for reference in entry.references)
    ]
    assert len(ours) >= 15
    assert [str(e) for e in ours if not e.translated or e.fuzzy] == []
    untranslated = listed_by_msgattrib(regenerated["django"], "--untranslated")
    assert not [line for line in untranslated if line[7:-1] in {e.msgid for e in ours}]


@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_makemessages_leaves_no_untranslated_or_fuzzy_entry(
    regenerated: dict[str, Path], domain: str
) -> None:
    po = regenerated[domain]
    assert po.exists(), f"no {domain} catalogue: nothing marked for translation"
    entries = [e for e in read_po(po) if not e.obsolete]
    assert entries
    untranslated = [str(e) for e in entries if not e.translated]
    fuzzy = [str(e) for e in entries if e.fuzzy]
    assert (untranslated[:100], fuzzy[:100]) == ([], []), (len(untranslated), len(fuzzy))
    # gettext's own reading agrees.
    assert listed_by_msgattrib(po, "--untranslated") == []
    assert listed_by_msgattrib(po, "--only-fuzzy") == []


def test_the_reader_sees_contexts_plurals_fuzzy_and_obsolete_entries(tmp_path: Path) -> None:
    po = tmp_path / "x.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Plural-Forms: nplurals=1; plural=0;\\n"\n\n'
        '#: templates/base.html:3\nmsgctxt "role"\nmsgid "admin"\nmsgstr "管理者"\n\n'
        '#: a.py:1 b.py:2\n#, fuzzy, python-format\nmsgid "%(n)s tunnel"\nmsgid_plural "%(n)s tunnels"\n'
        'msgstr[0] "%(n)s "\n"トンネル"\n\n'
        'msgid ""\n"Long "\n"text"\nmsgstr ""\n\n#~ msgid "Gone"\n#~ msgstr "消えた"\n',
        encoding="utf-8",
    )
    role, plural, long_text, gone = read_po(po)
    assert (role.context, role.msgid, role.strings, role.translated) == ("role", "admin", ["管理者"], True)
    assert plural.plural == "%(n)s tunnels" and plural.strings == ["%(n)s トンネル"]
    assert plural.fuzzy and plural.references == ["a.py:1", "b.py:2"]
    assert long_text.msgid == "Long text" and not long_text.translated
    assert gone.obsolete and gone.msgid == "Gone"
