"""Find user-visible text that a template leaves outside {% translate %} / {% blocktranslate %}.

Django's own lexer splits a template into text, variables, tags and comments; every tag, variable and
comment is masked (newlines kept, so line numbers stay true) and the rest goes through an HTML parser,
which tells text nodes and attributes apart. Reported, as `file:line: text`:

- a text node with a letter in it, outside <code>, <pre>, <kbd>, <samp>, <script> and <style> (command
  lines, device output and scripts are not prose);
- a user-visible attribute with a letter: title, placeholder, aria-label, aria-description, alt, label,
  and the value of an <input> button;
- a literal shown by `|default:` / `|default_if_none:` / `|yesno:` / `{% firstof %}` unless it is `_("...")`;
- in a plain-text template (an email's .txt) any text with a letter.

Allowed: the brand, protocol and format names that stay English (ALLOWED_WORDS), identifiers with an
underscore (setting names), URL paths (/readyz), and text without letters (punctuation, separators,
numbers).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from django.template.base import DebugLexer, TokenType

# What stays English in every language (docs/translating.md, "What stays English"). Keep it short.
ALLOWED_WORDS = frozenset(
    [
        "vpnportal",
        "IPsec",
        "IKE",
        "ISAKMP",
        "SA",
        "SPI",
        "CRL",
        "PKI",
        "SCEP",
        "RSA",
        "DH",
        "SHA",
        "AES",
        "SSH",
        "syslog",
        "API",
        "CSV",
        "JSON",
        "YAML",
        # HTTP methods on the API's own pages.
        "GET",
        "OPTIONS",
        # What the devices print, kept as they print it: the counter names of `show crypto ipsec sa`
        # (#pkts encaps/encrypt/digest..., send errors, recv errors), `crypto engine`, "src -> dst" and
        # the "IPsec SAs" of the command's own heading.
        "SAs",
        "crypto",
        "engine",
        "src",
        "dst",
        "encaps",
        "encrypt",
        "digest",
        "decaps",
        "decrypt",
        "verify",
        "send",
        "recv",
        "err",
    ]
)
VISIBLE_ATTRIBUTES = frozenset({"title", "placeholder", "aria-label", "aria-description", "alt", "label"})
BUTTON_INPUTS = frozenset({"submit", "button", "reset"})
NOT_PROSE = frozenset({"code", "pre", "kbd", "samp", "script", "style"})
HIDING_TAGS = {
    "blocktranslate": "endblocktranslate",
    "blocktrans": "endblocktrans",
    "comment": "endcomment",
}
SHOWN_LITERAL = re.compile(r"""\|(?:default|default_if_none|yesno):(["'])(.*?)\1""")
STRING = re.compile(r"""(?<!_\()(["'])(.*?)\1""")
MASK = "\ue000"  # a private-use character: no letter, shown as … in reports
WORD = re.compile(r"(?<![\w/])/[\w/.-]*|[^\W\d_][\w'\u2019-]*|[\w.-]*_[\w.-]*")
LETTER = re.compile(r"[^\W\d_]")


@dataclass(frozen=True)
class Untranslated:
    """One piece of text a reader would see untranslated."""

    path: str
    line: int
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.text!r}"


def is_prose(text: str) -> bool:
    """Whether `text` holds a word to translate: letters left once the allowed words are taken out."""
    rest = WORD.sub(lambda m: "" if _allowed(m.group(0)) else m.group(0), text)
    return bool(LETTER.search(rest))


def _allowed(word: str) -> bool:
    """A brand or protocol name, an identifier (a setting's name) or a URL path of the site."""
    return word in ALLOWED_WORDS or "_" in word or word.startswith("/")


def _mask(raw: str) -> str:
    return MASK + "\n" * raw.count("\n")


def _shown(raw: str) -> str:
    """A masked tag or variable, with the literals it would show kept as text (`{{ x|default:"never" }}`)."""
    literals = [m.group(2) for m in SHOWN_LITERAL.finditer(raw)]
    if raw.startswith("{%") and raw[2:].split()[:1] == ["firstof"]:
        literals += [m.group(2) for m in STRING.finditer(raw)]
    return MASK + "".join(f" {text} {MASK}" for text in literals) + "\n" * raw.count("\n")


def skeleton(source: str) -> str:
    """The template with every tag, variable, comment and translated block masked, lines kept."""
    out: list[str] = []
    hiding: str | None = None
    for token in DebugLexer(source).tokenize():
        assert token.position is not None  # DebugLexer records where each token is
        start, end = token.position
        raw = source[start:end]
        name = token.contents.split()[0] if token.token_type == TokenType.BLOCK and token.contents else ""
        if hiding is not None:
            out.append(_mask(raw))
            if name == hiding:
                hiding = None
        elif token.token_type == TokenType.TEXT:
            out.append(raw)
        elif name in HIDING_TAGS:
            hiding = HIDING_TAGS[name]
            out.append(_mask(raw))
        else:
            out.append(_shown(raw))
    return "".join(out)


class _TextFinder(HTMLParser):
    def __init__(self, path: str) -> None:
        super().__init__(convert_charrefs=True)
        self.path = path
        self.found: list[Untranslated] = []
        self.inside: dict[str, int] = dict.fromkeys(NOT_PROSE, 0)

    def _report(self, line: int, text: str) -> None:
        self.found.append(Untranslated(self.path, line, " ".join(text.replace(MASK, "…").split())))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.inside:
            self.inside[tag] += 1
        named = dict(attrs)
        for name, value in attrs:
            visible = name in VISIBLE_ATTRIBUTES or (
                name == "value" and tag == "input" and (named.get("type") or "").lower() in BUTTON_INPUTS
            )
            if visible and value and is_prose(value):
                self._report(self.getpos()[0], f"{name}={value}")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in self.inside:
            self.inside[tag] -= 1

    def handle_endtag(self, tag: str) -> None:
        if self.inside.get(tag, 0) > 0:
            self.inside[tag] -= 1

    def handle_data(self, data: str) -> None:
        if any(self.inside.values()) or not is_prose(data):
            return
        first = LETTER.search(data)
        lead = data[: first.start()] if first else ""
        self._report(self.getpos()[0] + lead.count("\n"), data)


def untranslated_text(path: Path, root: Path) -> list[Untranslated]:
    """Every piece of user-visible text of one template outside a translation tag."""
    name = str(path.relative_to(root))
    masked = skeleton(path.read_text(encoding="utf-8"))
    if path.suffix == ".txt":
        return [
            Untranslated(name, number, " ".join(line.replace(MASK, "…").split()))
            for number, line in enumerate(masked.splitlines(), start=1)
            if is_prose(line)
        ]
    finder = _TextFinder(name)
    finder.feed(masked)
    finder.close()
    return finder.found
