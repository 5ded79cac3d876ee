"""No template shows text outside a translation tag (tests/i18n/untranslated_text.py says what counts)."""

from __future__ import annotations

from pathlib import Path

from django.apps import apps

from tests.i18n.untranslated_text import is_prose, untranslated_text

ROOT = Path(__file__).resolve().parents[2]
# The templates of the i18n infrastructure itself (issue 23): translated from the start.
INFRASTRUCTURE = ("templates/base.html", "templates/includes/language_switch.html")


def project_templates() -> list[Path]:
    """Every template of the project: templates/ and the templates/ folder of each local app."""
    folders = [ROOT / "templates"] + [
        Path(config.path) / "templates"
        for config in apps.get_app_configs()
        if Path(config.path).is_relative_to(ROOT)
        # the virtualenv lives in the checkout too (make install): Django's and the libraries' apps are not ours
        and "site-packages" not in Path(config.path).parts
        and (Path(config.path) / "templates").is_dir()
    ]
    return sorted(p for folder in folders for p in folder.rglob("*") if p.suffix in (".html", ".txt"))


def report(paths: list[Path]) -> str:
    found = [str(item) for path in paths for item in untranslated_text(path, ROOT)]
    return "\n".join(found[:200]) + (f"\n... and {len(found) - 200} more" if len(found) > 200 else "")


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def found(tmp_path: Path, text: str, name: str = "page.html") -> list[str]:
    path = write(tmp_path, name, text)
    return [f"{item.line}:{item.text}" for item in untranslated_text(path, tmp_path)]


def test_the_infrastructure_templates_translate_every_text() -> None:
    assert report([ROOT / name for name in INFRASTRUCTURE]) == ""


def test_every_template_translates_every_text() -> None:
    paths = project_templates()
    assert len(paths) > 40
    assert report(paths) == ""


def test_it_reports_bare_text_with_its_file_and_line(tmp_path: Path) -> None:
    text = '{% load i18n %}\n<h1>{% translate "Tunnels" %}</h1>\n<p>\n  Last poll {{ when }}\n</p>\n'
    path = write(tmp_path, "x.html", text)
    assert [str(item) for item in untranslated_text(path, tmp_path)] == ["x.html:4: 'Last poll …'"]


def test_it_passes_translated_text_and_blocks_with_markup_inside(tmp_path: Path) -> None:
    text = (
        "{% load i18n %}{# a note #}{% comment %}Old wording{% endcomment %}\n"
        '<p title="{% translate "Open" %}">{% blocktranslate trimmed count n=n %}\n'
        "  <strong>{{ n }}</strong> tunnel{% plural %}<strong>{{ n }}</strong> tunnels\n"
        "{% endblocktranslate %}</p>\n<!-- a comment for developers -->\n"
    )
    assert found(tmp_path, text) == []


def test_it_reports_the_attributes_a_reader_sees_and_not_the_others(tmp_path: Path) -> None:
    text = (
        '<input placeholder="Search" name="q" class="wide">\n<img alt="Topology" src="x.png">\n'
        '<a title="Open {{ name }}" href="#" data-range="week">x</a>\n'
        '<input type="submit" value="Save"><input type="hidden" name="next" value="next page">\n'
        '<button name="language" value="ja" aria-label="Switch language">{{ name }}</button>\n'
    )
    assert found(tmp_path, text) == [
        "1:placeholder=Search",
        "2:alt=Topology",
        "3:title=Open …",
        "3:x",
        "4:value=Save",
        "5:aria-label=Switch language",
    ]


def test_command_lines_scripts_and_allowed_names_are_not_prose(tmp_path: Path) -> None:
    text = (
        "<p><code>show crypto isakmp sa</code> <pre>crypto ca enroll vpn</pre> <kbd>make demo</kbd></p>\n"
        '<script type="application/json">{"label": "packets"}</script><style>.a { color: red }</style>\n'
        "<td>IPsec · IKE · SA · SPI</td><td>vpnportal</td><td>— / 3 % ·</td><td>ALERT_EMAIL_TO</td>\n"
        '<a href="/readyz">/readyz</a>\n'
    )
    assert found(tmp_path, text) == []
    assert is_prose("IPsec tunnel") and not is_prose("IPsec SA, 42 SPI")


def test_it_reports_literals_that_filters_show_unless_marked(tmp_path: Path) -> None:
    text = (
        '<td>{{ when|default:"never" }}</td><td>{{ x|yesno:_("yes,no") }}</td>\n'
        '<td>{{ x|default:"—" }}</td><td data-active="{{ a|yesno:\'1,0\' }}">{% firstof a "none" %}</td>\n'
    )
    assert found(tmp_path, text) == ["1:… never …", "2:… none …"]


def test_plain_text_templates_count_every_line(tmp_path: Path) -> None:
    text = '{% load i18n %}{% translate "Alerts" %}\n[vpnportal] {{ n }}\nTimes in {{ tz }}.\n'
    assert found(tmp_path, text, name="digest.txt") == ["3:Times in …."]


def test_hard_coded_japanese_is_reported_too(tmp_path: Path) -> None:
    assert found(tmp_path, "<p>トンネル</p>") == ["1:トンネル"]
