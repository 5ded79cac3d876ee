"""List pages: search (`?q=`), filters, sorting across pages and the CSV link, all from the API's FilterSets.

A page opts in with one call (docs/lists.md):

    listing = filtered_list(request, DeviceFilter, queryset, api_list="api:device-list",
                            fields=("q", "platform"), page_size=PAGE_SIZE)
    return render(request, "devices/device_list.html", {**listing.context(), ...})

and its template includes `includes/list_filters.html` (the form and the CSV link), uses
`{% sort_header "name" "Device" %}` (vpnportal/templatetags/lists.py) for sortable columns and
`includes/pager.html` with `query=listing.query`. The page's parameters are the API list's parameters:
the CSV link is the API list's URL with the page's filters and `format=csv`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import django_filters
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, QueryDict
from django.urls import reverse

# Parameters of a page that are not filters (the API takes `limit`/`offset` instead of `page`).
PAGE_PARAMS = ("page",)
ORDERING = "ordering"


@dataclass
class FilteredList:
    """One page of a filtered, sorted list, with what its template needs to link to the others."""

    filterset: django_filters.FilterSet
    page: Page[Any]
    fields: tuple[str, ...]
    params: QueryDict  # the filters as given (without `page`)
    api_url: str
    api_params: QueryDict  # the same filters as the API list takes them
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def query(self) -> str:
        """The filters as a query string ending in `&` (or empty), for pager links."""
        encoded = self.params.urlencode()
        return f"{encoded}&" if encoded else ""

    @property
    def ordering(self) -> str:
        """The `?ordering=` value in force ("" for the list's own order)."""
        return self.params.get(ORDERING, "")

    @property
    def csv_url(self) -> str:
        """The API list with the same filters, as CSV."""
        params = self.api_params.copy()
        params["format"] = "csv"
        return f"{self.api_url}?{params.urlencode()}"

    @property
    def form_fields(self) -> list[Any]:
        """The bound fields of the filter form this page shows, in the order it names them."""
        form = self.filterset.form
        return [form[name] for name in self.fields if name in form.fields]

    @property
    def hidden_params(self) -> list[tuple[str, str]]:
        """Parameters the form does not show but must keep (ordering, a tab) when it is submitted."""
        return [(k, v) for k, values in self.params.lists() if k not in self.fields for v in values]

    @property
    def clear_query(self) -> str:
        """The query string without the shown filters (the list's tab and order kept)."""
        params = QueryDict(mutable=True)
        for name, value in self.hidden_params:
            params.appendlist(name, value)
        return params.urlencode()

    @property
    def filtered(self) -> bool:
        """Whether any shown filter narrows the list (the page then offers to clear them)."""
        return any(self.params.get(name) for name in self.fields)

    def context(self) -> dict[str, Any]:
        """Template variables: `listing`, plus `page` and `query` for includes/pager.html."""
        return {"listing": self, "page": self.page, "query": self.query}


def filtered_list(
    request: HttpRequest,
    filterset_class: type[django_filters.FilterSet],
    queryset: QuerySet[Any],
    *,
    api_list: str,
    fields: tuple[str, ...],
    page_size: int,
    fixed: dict[str, str] | None = None,
    drop: tuple[str, ...] = (),
    api_extra: dict[str, str] | None = None,
) -> FilteredList:
    """Filter and sort `queryset` with the API's FilterSet from the page's query string, one page of it.

    `fields` are the filters the page's form shows (`q` is the search box). `fixed` adds parameters the
    page sets itself, `drop` removes page parameters the FilterSet must not see (a tab's own name), and
    `api_extra` tells the API list (the CSV link) what the page applied to `queryset` itself. Invalid values (a bogus choice, a non-number) leave the list unfiltered by that field and
    are reported in `errors`, the way a form shows them, instead of a 400 page.
    """
    params = request.GET.copy()
    for name in PAGE_PARAMS:
        params.pop(name, None)
    data = params.copy()
    for name in drop:
        data.pop(name, None)
    for name, value in (fixed or {}).items():
        data[name] = value
    filterset = filterset_class(data=data, queryset=queryset, request=request)
    errors: dict[str, list[str]] = {}
    if not filterset.is_valid():
        errors = {name: [str(e) for e in errs] for name, errs in filterset.errors.items()}
        for name in errors:
            data.pop(name, None)
            params.pop(name, None)
        filterset = filterset_class(data=data, queryset=queryset, request=request)
    rows = filterset.qs
    page = Paginator(rows, page_size).get_page(request.GET.get("page"))
    # The API refuses parameters its FilterSet does not know (400): the CSV link carries only the known.
    api_params = QueryDict(mutable=True)
    for name, values in params.lists():
        if name in filterset_class.base_filters and name not in drop:
            api_params.setlist(name, values)
    for name, value in {**(fixed or {}), **(api_extra or {})}.items():
        api_params[name] = value
    return FilteredList(
        filterset=filterset,
        page=page,
        fields=fields,
        params=params,
        api_url=reverse(api_list),
        api_params=api_params,
        errors=errors,
    )
