"""`{% page_fragment "name" part ... using=data %}...{% endpage_fragment %}`: a part of a page rendered once
and reused from the page cache (vpnportal/page_cache.py) by every web process, until a part of its key
changes or PAGE_CACHE_SECONDS pass.

The key is the name, the parts given (versions of what the fragment shows, the query string...), the
active language and the user's permission set: viewers and operators, English and Japanese readers each
get their own copy. A part that is None (the cache did not answer) renders the fragment afresh, uncached.

`shared` (before `using=`): the fragment shows nothing a permission decides (no button, no form), so
every permission set reads one copy; the language still keys it.

`using=` names a callable (a view's closure) that returns the fragment's data, called only on a miss and
pushed on the context: a warm request runs none of the queries behind the fragment.

CSRF tokens: the fragment is rendered with a placeholder token and each response gets its own in its
place, so a cached form posts with the reader's token, never the one of the user who filled the cache.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable
from typing import Any

from django import template
from django.middleware.csrf import get_token
from django.template.base import FilterExpression, Node, NodeList, Parser, Token
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe

from vpnportal import page_cache

register = template.Library()
CSRF_PLACEHOLDER = "PAGE-FRAGMENT-CSRF-TOKEN-7f1d2c9e"
FRAGMENT_KEY = "fragment:{}:{}"


def permission_key(user: Any) -> str:
    """The user's permission set, short: who sees which buttons (an anonymous user has none)."""
    if user is None or not user.is_authenticated:
        return "anonymous"
    if user.is_superuser:
        return "superuser"
    cached = getattr(user, "_page_permission_key", None)
    if cached is None:
        perms = ",".join(sorted(user.get_all_permissions()))
        cached = hashlib.sha256(perms.encode()).hexdigest()[:16]
        user._page_permission_key = cached
    return str(cached)


def fragment_key(name: str, parts: list[Any], user: Any) -> str:
    """The cache key of one fragment for this language and permission set."""
    digest = hashlib.sha256(repr([translation.get_language(), permission_key(user), *parts]).encode())
    return FRAGMENT_KEY.format(name, digest.hexdigest()[:32])


def with_token(html: str, request: Any) -> SafeString:
    """The fragment with the reader's CSRF token in place of the placeholder."""
    if CSRF_PLACEHOLDER in html and request is not None:
        html = html.replace(CSRF_PLACEHOLDER, get_token(request))
    return mark_safe(html)  # noqa: S308 - our own templates' output


def cached_each(
    name: str,
    parts: dict[Hashable, Any],
    render: Callable[[list[Any]], dict[Any, str]],
    request: Any,
    *,
    shared: bool = False,
) -> list[SafeString]:
    """Fragments of one kind (a table's rows) in the order of `parts` ({id: what that one shows}), read in
    one round trip; `render(ids)` renders the missing ones ({id: html}), which are stored for next time.
    A part that is None (the cache did not answer): every one rendered afresh, nothing stored. An id
    `render` leaves out (its row is gone) is left out. `shared`: the fragments show no button, form or
    anything else a permission decides, so every permission set reads one copy (per language)."""
    if any(p is None for p in parts.values()):
        rendered = render(list(parts))
        return [with_token(rendered[i], request) for i in parts if i in rendered]
    user = None if shared else getattr(request, "user", None)
    keys = {i: fragment_key(name, [i, p], user) for i, p in parts.items()}
    found = page_cache.fetch(list(keys.values()))
    missing = [i for i, key in keys.items() if key not in found]
    if missing:
        rendered = render(missing)
        fresh = {keys[i]: html for i, html in rendered.items() if i in keys}
        page_cache.store(fresh)
        found.update(fresh)
    return [with_token(found[key], request) for key in keys.values() if key in found]


class PageFragmentNode(Node):
    def __init__(
        self,
        nodelist: NodeList,
        name: FilterExpression,
        parts: list[FilterExpression],
        using: Any,
        shared: bool = False,
    ) -> None:
        self.nodelist, self.name, self.parts, self.using = nodelist, name, parts, using
        self.shared = shared

    def _render(self, context: template.Context) -> str:
        data = self.using.resolve(context) if self.using is not None else None
        with context.push(csrf_token=CSRF_PLACEHOLDER, **(data or {})):
            return str(self.nodelist.render(context))

    def render(self, context: template.Context) -> str:
        request = context.get("request")
        parts = [p.resolve(context) for p in self.parts]
        if any(p is None for p in parts):
            return with_token(self._render(context), request)
        user = None if self.shared else getattr(request, "user", None)
        key = fragment_key(str(self.name.resolve(context)), parts, user)
        return with_token(page_cache.cached(key, lambda: self._render(context)), request)


@register.tag("page_fragment")
def page_fragment(parser: Parser, token: Token) -> PageFragmentNode:
    bits = token.split_contents()[1:]
    if not bits:
        raise template.TemplateSyntaxError("page_fragment needs a name")
    using = None
    if bits[-1].startswith("using="):
        using = parser.compile_filter(bits.pop()[len("using=") :])
    shared = len(bits) > 1 and bits[-1] == "shared"
    if shared:
        bits.pop()
    nodelist = parser.parse(("endpage_fragment",))
    parser.delete_first_token()
    return PageFragmentNode(
        nodelist, parser.compile_filter(bits[0]), [parser.compile_filter(b) for b in bits[1:]], using, shared
    )
