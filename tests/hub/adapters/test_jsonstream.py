"""The incremental JSON array reader: whatever the chunk boundaries, the same elements;
malformed text refused, text that stops early reported as cut off (not as a short list)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from arrhub.adapters.jsonstream import JsonArrayReader, JsonStreamError

DOCUMENTS: list[list[Any]] = [
    [],
    [1],
    [1.5e10, -0.25, 12345678901234567890, True, False, None, 'a\\u00e9"b', "Amélie 🎬"],
    [{"x": [1, {"y": "ሴ"}], "e": 1e-5}, [], {}, ""],
    [{"id": i, "title": f"M*A*S*H {i}: Spider-Man, No Way Home", "n": None} for i in range(12)],
]


def read(data: bytes, step: int, first: int = 0) -> list[Any]:
    reader = JsonArrayReader()
    out: list[Any] = []
    parts = [data[:first]] + [data[i : i + step] for i in range(first, len(data), step)]
    for part in parts:
        out += reader.feed(part)
    return out + reader.close()


@pytest.mark.parametrize("document", DOCUMENTS, ids=range(len(DOCUMENTS)))
def test_every_split_gives_the_same_elements(document: list[Any]) -> None:
    texts = (
        json.dumps(document),
        json.dumps(document, ensure_ascii=False, indent=2),
        "\ufeff \n" + json.dumps(document, separators=(",", ":")) + "\n",
    )
    for text in texts:
        data = text.encode()
        for first in range(len(data) + 1):
            for step in (1, 3, 64):
                assert read(data, step, first) == document, (text, first, step)


def test_elements_come_out_as_they_complete() -> None:
    reader = JsonArrayReader()
    assert reader.feed(b'[{"a": 1}, {"b"') == [{"a": 1}]
    assert reader.feed(b": 2}, 3") == [{"b": 2}]  # 3 may go on ("34"): wait
    assert reader.feed(b"4]") == [34]
    assert reader.close() == []
    assert reader.count == 3 and reader.done


@pytest.mark.parametrize(
    "text",
    ["[1 2]", "[1,]", '{"a": 1}', "[1]x", '[{"a": 1,}]', "<html>", "[1, tru]", '["a\x01"]',
     "[1e+]", "[,1]"],
)  # fmt: skip
def test_malformed_text_is_refused(text: str) -> None:
    for step in (1, 2, 100):
        with pytest.raises(JsonStreamError) as caught:
            read(text.encode(), step)
        assert not caught.value.incomplete, (text, step)


@pytest.mark.parametrize("text", ["", "[", "[1,2", '[{"a": "b', '[{"a": 1}, {"b": tr', "[1,"])
def test_text_that_stops_early_is_cut_off(text: str) -> None:
    reader = JsonArrayReader()
    reader.feed(text.encode())
    with pytest.raises(JsonStreamError) as caught:
        reader.close()
    assert caught.value.incomplete


def test_invalid_utf8_is_refused() -> None:
    with pytest.raises(JsonStreamError, match="UTF-8"):
        JsonArrayReader().feed(b'["\xff"]')


def test_an_endless_element_is_refused() -> None:
    reader = JsonArrayReader(max_element=1000)
    reader.feed(b'[{"a": "')
    with pytest.raises(JsonStreamError, match="larger than"):
        reader.feed(b"x" * 10_000)
