"""`?format=csv` on the API lists: the filtered list (not one page) as text/csv with a header row.

The pages' "CSV" links point here with the page's own filters (vpnportal/lists.py), so a page and its
export always agree: one FilterSet, one serializer, one set of columns.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from rest_framework import serializers
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response

# One export is one request: past this many rows, narrow the filters (the response says so in a header).
MAX_CSV_ROWS = 50_000
# Spreadsheets run a cell that starts with one of these as a formula; device text must stay text.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def value_at(row: Any, path: str) -> Any:
    """The value at a dotted path of a serialised row (`last_poll.status`, `ends.0.device`), or None."""
    value = row
    for part in path.split("."):
        if isinstance(value, Mapping):
            value = value.get(part)
        elif isinstance(value, Sequence) and not isinstance(value, str) and part.isdigit():
            value = value[int(part)] if int(part) < len(value) else None
        else:
            return None
    return value


def cell(value: Any) -> str:
    """One CSV cell: empty for None, JSON for nested values, text guarded against formula injection."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, Mapping | list | tuple):
        value = json.dumps(value, default=str, sort_keys=True)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def serializer_columns(serializer: serializers.BaseSerializer[Any] | None) -> list[str]:
    """The top-level field names of a serializer, nested serializers flattened with dots."""
    if serializer is None or not hasattr(serializer, "fields"):
        return []
    columns: list[str] = []
    for name, field in serializer.fields.items():
        if isinstance(field, serializers.Serializer):
            columns += [f"{name}.{sub}" for sub in serializer_columns(field)]
        else:
            columns.append(name)
    return columns


def write_csv(columns: Sequence[str], rows: Iterable[Any]) -> str:
    """The header row, then one line per row, each column looked up by its dotted path."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([cell(value_at(row, column)) for column in columns])
    return out.getvalue()


class CsvRenderer(BaseRenderer):
    """text/csv for `?format=csv` (or `Accept: text/csv`); an error answers `field,error` rows."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        """The rows of a list (or of one object) as CSV, columns from the view."""
        context = renderer_context or {}
        response = context.get("response")
        if response is not None and response.status_code >= 400:
            errors = data.items() if isinstance(data, Mapping) else [("detail", data)]
            return write_csv(["field", "error"], [{"field": k, "error": v} for k, v in errors]).encode()
        rows = data if isinstance(data, list) else [data]
        view = context.get("view")
        columns = list(getattr(view, "csv_columns", ()) or [])
        if not columns and view is not None:
            columns = serializer_columns(view.get_serializer())
        if not columns and rows and isinstance(rows[0], Mapping):
            columns = list(rows[0])
        return write_csv(columns, rows).encode()


class CsvExportMixin:
    """For a ViewSet: `?format=csv` on the list answers every filtered row (up to MAX_CSV_ROWS) as CSV.

    `csv_columns` (dotted paths into the serialised row) names the columns; without it the serializer's
    fields are used. The JSON list keeps its pagination.
    """

    csv_columns: Sequence[str] = ()
    csv_filename: str = ""

    def get_renderers(self) -> list[BaseRenderer]:
        """The API's renderers plus CSV."""
        return [*super().get_renderers(), CsvRenderer()]  # type: ignore[misc]

    # The paginated list, or every filtered row at once as CSV. No docstring on purpose: the OpenAPI schema
    # describes each list with its ViewSet's docstring, which an action's docstring would replace.
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if getattr(request.accepted_renderer, "format", None) != CsvRenderer.format:
            return super().list(request, *args, **kwargs)  # type: ignore[misc, no-any-return]
        view: Any = self
        queryset = view.filter_queryset(view.get_queryset())
        rows = list(queryset[: MAX_CSV_ROWS + 1])
        data = view.get_serializer(rows[:MAX_CSV_ROWS], many=True).data
        name = self.csv_filename or getattr(view, "basename", "export")
        headers = {"Content-Disposition": f'attachment; filename="{name}.csv"'}
        if len(rows) > MAX_CSV_ROWS:
            headers["X-Truncated-At"] = str(MAX_CSV_ROWS)
        return Response(data, headers=headers)
