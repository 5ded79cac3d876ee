"""The API's filter backend: django-filter FilterSets, and a 400 naming any query parameter they do not know."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext, gettext_lazy
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

# Query parameters of every list that are not filters: pagination and DRF's format switch.
NOT_FILTERS = frozenset({"limit", "offset", "format"})
# A search box is for a few words; more only cost joins.
MAX_SEARCH_WORDS = 8


class StrictFilterBackend(DjangoFilterBackend):
    """DjangoFilterBackend that refuses, on lists, parameters no filter of the FilterSet declares.

    A misspelt filter (`?stauts=down`) used to answer the whole list as if it had matched; a client
    then acts on wrong data. Unknown values (`?status=bogus`) and ordering fields are refused by the
    filters themselves (choice fields), also with a 400 naming the parameter.
    """

    def filter_queryset(self, request: Request, queryset: QuerySet[Any], view: Any) -> QuerySet[Any]:
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None and getattr(view, "action", None) == "list":
            known = set(filterset_class.base_filters) | NOT_FILTERS
            unknown = sorted(set(request.query_params) - known)
            if unknown:
                raise ValidationError(
                    {
                        name: [
                            gettext("unknown filter; known: %(known)s") % {"known": ", ".join(sorted(known))}
                        ]
                        for name in unknown
                    }
                )
        result: QuerySet[Any] = super().filter_queryset(request, queryset, view)
        return result


class IntegerFilter(django_filters.NumberFilter):
    """A whole number (NumberFilter alone takes decimals)."""

    field_class = forms.IntegerField


def choices(values: Sequence[str]) -> list[tuple[str, str]]:
    """Choice pairs from values, each once, in order."""
    return [(v, v) for v in dict.fromkeys(values)]


class SearchFilterSet(django_filters.FilterSet):
    """`?q=`: every word of the text must appear (case-insensitive) in one of `search_fields`.

    Shared by the API lists and the pages (vpnportal/lists.py), so a page's search box and its CSV
    link answer the same rows. Search fields follow forward relations only (no duplicate rows).
    """

    search_fields: tuple[str, ...] = ()
    q = django_filters.CharFilter(
        method="search",
        label=gettext_lazy("Search"),
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "words to find"}),
    )

    def search(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        """Rows matching every word of `value` in any of the search fields."""
        for word in value.split()[:MAX_SEARCH_WORDS]:
            match = Q()
            for field in self.search_fields:
                match |= Q(**{f"{field}__icontains": word})
            queryset = queryset.filter(match)
        return queryset
