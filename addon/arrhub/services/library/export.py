"""Export of the current filter as CSV (header row) or a JSON array, produced in chunks.

Rows are read `CHUNK` at a time and encoded as they come, so a 100k-title export never
sits in memory; the handler writes each chunk to a `web.StreamResponse`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from arrhub.models.library_api import LibraryItem

CHUNK = 1000
#: CSV columns, in order; lists are joined with "; ".
CSV_FIELDS = (
    "id", "instance_id", "type", "upstream_id", "title", "sort_title", "year", "status",
    "monitored", "quality_profile_id", "quality", "genres", "tags", "rating", "size_on_disk",
    "added", "has_file", "child_count", "file_count", "missing_count", "cutoff_unmet",
    "tmdb_id", "tvdb_id", "imdb_id", "musicbrainz_id", "poster_url", "path", "updated_at",
)  # fmt: skip

Fetch = Callable[[int, int], Awaitable[list[LibraryItem]]]


def _cell(value: Any) -> Any:
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    text = str(value)
    # A cell starting with = + - @ is a formula to spreadsheet programs: neutralize it.
    if isinstance(value, str) and text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


async def export_chunks(fetch: Fetch, fmt: str, *, with_path: bool) -> AsyncIterator[bytes]:
    """Encoded chunks of the whole export; `fetch(limit, offset)` reads one page."""
    fields = [f for f in CSV_FIELDS if with_path or f != "path"]
    exclude = None if with_path else {"path"}
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(fields)
    else:
        yield b"["
    offset = 0
    first = True
    while True:
        items = await fetch(CHUNK, offset)
        if fmt == "csv":
            for item in items:
                data = item.model_dump(mode="json")
                writer.writerow([_cell(data.get(f)) for f in fields])
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
        else:
            parts = [item.model_dump_json(exclude=exclude) for item in items]
            if parts:
                yield ((",\n" if not first else "\n") + ",\n".join(parts)).encode()
                first = False
        if len(items) < CHUNK:
            break
        offset += CHUNK
    if fmt == "json":
        yield b"\n]\n"
