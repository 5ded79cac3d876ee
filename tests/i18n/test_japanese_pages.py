"""The overview, a tunnel, a certificate and the enrollment page in Chromium with Accept-Language: ja
(a ja-JP browser): <html lang="ja">, no horizontal overflow at 1,280 px (Japanese text is wider), the top
bar on one line, and no English UI string left. The same pages in English keep their English."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.db import models

from tests.browser.test_dashboard import log_in
from tests.browser.test_every_page_fits import _overflow
from tests.i18n.catalogue import ROOT, read_po
from tests.pages.seed import Seed, make_seed

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WIDTH = 1280
# Words that stay English on a Japanese page (docs/translating.md, "What stays English").
STAYS_ENGLISH = frozenset(
    [
        "vpnportal",
        "ipsec",
        "ike",
        "isakmp",
        "sa",
        "sas",
        "spi",
        "spis",
        "crl",
        "crls",
        "pki",
        "scep",
        "rsa",
        "dh",
        "sha",
        "aes",
        "ssh",
        "syslog",
        "api",
        "csv",
        "json",
        "utc",
        "cisco",
        "ios",
        "pix",
        "asa",
        "openapi",
        # CLI keywords and the counter names the devices print (show crypto ipsec sa: #pkts encaps,
        # decaps, digest, verify, send errors, recv errors; crypto map; NextUpdate of show crypto ca crls).
        "nextupdate",
        "crypto",
        "map",
        "encaps",
        "decaps",
        "encrypt",
        "decrypt",
        "digest",
        "verify",
        "send",
        "recv",
        "err",
    ]
)
# Text that is not UI: command lines, device output, scripts, and what is marked as another language
# (the language switch names each language in itself).
NOT_UI = "code, pre, kbd, samp, script, style, noscript, textarea, .output, [lang]:not(html)"
VISIBLE_TEXT = """(notUi) => {
  const out = [document.title];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, el = node.parentElement;
    const text = node.textContent.replace(/\\s+/g, ' ').trim();
    if (text && el && !el.closest(notUi)) out.push(text);
  }
  for (const el of document.querySelectorAll('[title], [placeholder], [aria-label], [alt], input[type=submit], input[type=button]')) {
    if (el.closest(notUi)) continue;
    for (const name of ['title', 'placeholder', 'aria-label', 'alt']) if (el.getAttribute(name)) out.push(el.getAttribute(name));
    if (el.matches('input[type=submit], input[type=button]')) out.push(el.value);
  }
  return out;
}"""
WORD = re.compile(r"[A-Za-z][A-Za-z'\u2019-]{2,}")


def _pages(seed: Seed) -> dict[str, str]:
    return {
        "overview": "/",
        "tunnel": f"/tunnels/{seed.tunnel.pk}/",
        "certificate": f"/certificates/{seed.router_cert.pk}/",
        "enrollment": f"/enroll/?device={seed.router.pk}",
    }


@pytest.fixture
def seed(transactional_db: None) -> Seed:
    return make_seed()


@pytest.fixture
def browser_in(chromium: Any, live_server: Any) -> Iterator[Any]:
    """A new page of a browser whose locale (and so Accept-Language) is `locale`, at 1,280 px."""
    contexts: list[Any] = []

    def open_page(locale: str) -> Any:
        context = chromium.new_context(
            locale=locale, viewport={"width": WIDTH, "height": 1000}, base_url=live_server.url
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15000)
        return page

    yield open_page
    for context in contexts:
        context.close()


def english_catalogue() -> tuple[set[str], set[str]]:
    """The English msgids that Japanese translates to something else (placeholders aside), and their words."""
    phrases: set[str] = set()
    translations: set[str] = set()
    for po in sorted((ROOT / "locale/ja/LC_MESSAGES").glob("*.po")):
        for entry in read_po(po):
            if entry.obsolete or not entry.translated or entry.strings[0] == entry.msgid:
                continue
            translations.update(_bare(s) for s in entry.strings)
            for msgid in filter(None, (entry.msgid, entry.plural)):
                phrases.add(_bare(msgid))
    words = {w.lower() for phrase in phrases for w in WORD.findall(phrase)} - STAYS_ENGLISH
    # A text that is itself a translation ("CRL" for "CRLs") is Japanese, whatever another msgid says.
    return {p for p in phrases if WORD.search(p)} - translations, words


def _bare(text: str) -> str:
    """A catalogue string with its placeholders taken out and its spaces collapsed."""
    return " ".join(re.sub(r"%\(\w+\)[sdif]|%[sd]|\{\w*\}", " ", text).split())


def data_words() -> set[str]:
    """Words of the stored values the pages show as data (names, hosts, subjects, transcripts...); choice
    fields left out, since their labels are UI and are translated."""
    found: set[str] = set()
    for model in apps.get_models():
        if model._meta.app_label not in ("devices", "pki", "events", "vpnportal", "auth"):
            continue
        fields = [
            f.name
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.JSONField) and not f.choices
        ]
        for row in model._default_manager.values_list(*fields) if fields else []:
            found.update(w.lower() for value in row for w in WORD.findall(str(value)))
    return found


def english_left(texts: list[str], phrases: set[str], words: set[str], data: set[str]) -> list[str]:
    """The texts that hold an English UI phrase of the catalogue, or a word of it that is not data."""
    left = []
    for text in texts:
        if text in phrases or {w.lower() for w in WORD.findall(text)} & (words - data):
            left.append(text)
    return sorted(set(left))


def visible_texts(page: Any) -> list[str]:
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    return list(page.evaluate(VISIBLE_TEXT, NOT_UI))


def need_a_japanese_font() -> None:
    """Without one, Chromium draws boxes: the widths measured would not be Japanese text's."""
    listed = (
        subprocess.run(["fc-list", ":lang=ja"], capture_output=True, text=True).stdout
        if shutil.which("fc-list")
        else ""
    )
    if not listed.strip():
        message = "no Japanese font: `make test-deps` installs Debian's fonts-ipafont-gothic"
        pytest.fail(message) if os.environ.get("CI") else pytest.skip(message)


def open_in(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_load_state("networkidle")


def test_the_japanese_pages_say_so_and_fit_the_window(browser_in: Any, seed: Seed, admin_user: User) -> None:
    need_a_japanese_font()
    page = browser_in("ja-JP")
    log_in(page, admin_user)  # the widest top bar: the admin's menu has one more entry
    for name, url in _pages(seed).items():
        open_in(page, url)
        assert page.evaluate("document.documentElement.lang") == "ja", name
        assert page.locator(".topbar .mainnav a").first.inner_text() == "概要"
        closed = _overflow(page)
        assert closed["scroll"] <= closed["inner"], (name, "collapsed", closed)
        page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
        opened = _overflow(page)
        assert opened["scroll"] <= opened["inner"], (name, "every details opened", opened)
        page.screenshot(path=str(Path("/tmp") / f"ja-{name}.png"), full_page=True)
        # The top bar keeps one line: brand, menu, language switch and user on the same row.
        rows = page.evaluate(
            "[...document.querySelectorAll('.topbar > *, .topbar .mainnav > a')].map(e => {"
            " const r = e.getBoundingClientRect(); return [e.className || e.tagName, r.top, r.bottom]; })"
        )
        assert max(top for _, top, _ in rows) < min(bottom for _, _, bottom in rows), (name, rows)


def test_no_english_ui_string_is_left_on_the_japanese_pages(
    browser_in: Any, seed: Seed, operator: User
) -> None:
    phrases, words = english_catalogue()
    data = data_words()
    page = browser_in("ja-JP")
    log_in(page, operator)
    left = {}
    for name, url in _pages(seed).items():
        open_in(page, url)
        found = english_left(visible_texts(page), phrases, words, data)
        if found:
            left[name] = found
    assert not left, "English left on the Japanese pages:\n" + "\n".join(
        f"{name}: {text!r}" for name, texts in left.items() for text in texts
    )


def test_the_english_pages_are_unchanged(browser_in: Any, seed: Seed, operator: User) -> None:
    page = browser_in("en-US")
    log_in(page, operator)
    for name, url in _pages(seed).items():
        open_in(page, url)
        assert page.evaluate("document.documentElement.lang") == "en", name
        nav = page.locator(".topbar .mainnav").inner_text()
        assert nav.split()[:3] == ["Overview", "Devices", "Tunnels"], (name, nav)
        assert "Log out" in page.locator(".topbar").inner_text()
        assert "概要" not in page.content()


def test_the_switch_turns_the_page_japanese_without_javascript(
    browser_in: Any, seed: Seed, operator: User
) -> None:
    page = browser_in("en-US")
    log_in(page, operator)
    open_in(page, f"/tunnels/{seed.tunnel.pk}/")
    page.click(".topbar .language-switch button[value=ja]")
    page.wait_for_url(f"**/tunnels/{seed.tunnel.pk}/")
    assert page.evaluate("document.documentElement.lang") == "ja"
    assert page.locator(".language-switch button[aria-pressed=true]").inner_text() == "日本語"
    # Off JavaScript, the form still posts (plain HTML buttons).
    nojs = browser_in("en-US")
    nojs.context.route("**/*.js", lambda route: route.abort())
    log_in(nojs, operator)  # the saved language follows the account into this fresh browser
    assert nojs.evaluate("document.documentElement.lang") == "ja"
    nojs.click(".topbar .language-switch button[value=en]")
    nojs.wait_for_load_state()
    assert nojs.evaluate("document.documentElement.lang") == "en"
