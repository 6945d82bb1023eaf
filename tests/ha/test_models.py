"""Replies of the wrong shape are refused at the client boundary (ValueError, which the
client turns into ArrhubError); long overviews are cut for responses."""

from __future__ import annotations

from typing import Any

import pytest

from custom_components.arrhub.api import ArrhubError, _items, _parsed
from custom_components.arrhub.models import (
    OVERVIEW_CHARS,
    CalendarEntry,
    MediaRequest,
    TitleResult,
)

ENTRY = {
    "id": "000000000001:episode:1:air", "instance_id": "000000000001", "type": "episode",
    "release_kind": "air", "title": "Show", "start": "2025-05-01T20:00:00Z", "all_day": False,
}  # fmt: skip
REQUEST = {"id": "000000000005:1", "instance_id": "000000000005", "type": "movie",
           "status": "pending", "seasons": []}  # fmt: skip
LOOKUP = {"type": "movie", "title": "A Film", "in_library": False, "library_item_ids": []}


@pytest.mark.parametrize(
    ("parse", "raw", "message"),
    [
        (CalendarEntry.from_dict, {**ENTRY, "start": 1746129600}, "start is not a string"),
        (MediaRequest.from_dict, {**REQUEST, "seasons": ["one"]}, "seasons are not integers"),
        (_items, {"items": None}, "items is not a list"),
        (_items, [], "items is not a list"),
    ],
)
def test_wrong_shapes(parse: Any, raw: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse(raw)
    with pytest.raises(ArrhubError, match=message):
        _parsed(parse, raw)


def test_long_overview_is_cut() -> None:
    long = TitleResult.from_lookup({**LOOKUP, "overview": "word " * 200})
    assert long.overview is not None
    assert len(long.overview) <= OVERVIEW_CHARS
    assert long.overview.endswith("…")
    short = TitleResult.from_lookup({**LOOKUP, "overview": "Short."})
    assert short.overview == "Short."
