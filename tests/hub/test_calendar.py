"""Calendar (LIB-8): merged over two Sonarrs, a Radarr and a Lidarr (fakes on real ports),
and the iCalendar feed, parsed back with a real parser (icalendar)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from arrhub.keys import AUTH, CATALOG
from tests.fakes.servarr import DEFAULT_KEY, FakeArrState, make_arr_app, sample_state
from tests.fakes.servarr_catalog import catalog_state
from tests.fakes.server import RECORDER, serve
from tests.hub.conftest import USER, assert_problem, bearer

icalendar = pytest.importorskip("icalendar", reason="pip install icalendar (a test dependency)")

TODAY = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
LONG = "Ünïcödé and a long overview; with commas, semicolons and a backslash \\ " * 4


@dataclass
class Stack:
    client: TestClient
    app: web.Application
    key: str
    user: str  # the viewer's token (tag "alice")
    ids: dict[str, str]  # sonarr, sonarr2, radarr, lidarr -> instance id
    fakes: dict[str, FakeArrState]
    apps: dict[str, web.Application]

    @property
    def admin(self) -> dict[str, str]:
        return {"X-Api-Key": self.key}

    async def get(self, path: str, headers: dict[str, str] | None = None, **params: Any) -> Any:
        resp = await self.client.get(path, params=params, headers=headers or self.admin)
        assert resp.status == 200, await resp.text()
        return await resp.json()


def fake(product: str) -> FakeArrState:
    state = sample_state(product, queue=0)  # type: ignore[arg-type]
    state.tags = [{"id": 1, "label": "alice"}]
    state.catalog.update(catalog_state(product, TODAY))
    return state


@pytest.fixture
async def stack(client: TestClient, admin_key: str, user_token: str) -> AsyncIterator[Stack]:
    app: web.Application = client.server.app  # type: ignore[assignment]
    fakes = {"sonarr": fake("Sonarr"), "sonarr2": fake("Sonarr"), "radarr": fake("Radarr"),
             "lidarr": fake("Lidarr")}  # fmt: skip
    # The second Sonarr has one episode of its own, with a long text to fold.
    fakes["sonarr2"].catalog["episodes"] = [
        {**fakes["sonarr2"].catalog["episodes"][0], "id": 901, "overview": LONG}
    ]
    apps = {name: make_arr_app(state) for name, state in fakes.items()}
    async with AsyncExitStack() as exits:
        ids: dict[str, str] = {}
        for name, fake_app in apps.items():
            url = await exits.enter_async_context(serve(fake_app))
            kind = name.rstrip("2")
            resp = await client.post(
                "/api/v1/instances",
                json={"type": kind, "name": name, "url": url, "api_key": DEFAULT_KEY},
                headers={"X-Api-Key": admin_key},
            )
            assert resp.status == 201, await resp.text()
            ids[name] = (await resp.json())["id"]
        yield Stack(client, app, admin_key, user_token, ids, fakes, apps)


def calendar_requests(stack: Stack, name: str) -> int:
    return sum(1 for r in stack.apps[name][RECORDER] if r.path.endswith("/calendar"))


async def test_merged_over_every_instance_sorted_by_start(stack: Stack) -> None:
    reply = await stack.get("/api/v1/calendar")
    assert reply["stale_instances"] == []
    assert reply["start"] == TODAY.isoformat().replace("+00:00", "Z")
    items = reply["items"]
    assert [i["start"] for i in items] == sorted(i["start"] for i in items)
    ids = {i["id"] for i in items}
    s1, s2, r, lid = (stack.ids[n] for n in ("sonarr", "sonarr2", "radarr", "lidarr"))
    assert ids == {
        f"{s1}:episode:101:air", f"{s1}:episode:201:air", f"{s2}:episode:901:air",
        f"{r}:movie:1:cinema", f"{r}:movie:1:physical", f"{r}:movie:2:digital",
        f"{lid}:album:11:release",
    }  # fmt: skip
    episode = next(i for i in items if i["id"] == f"{s1}:episode:101:air")
    assert episode["item_id"] == f"{s1}:series:1"
    assert (episode["title"], episode["subtitle"]) == ("Broken Bad", "S01E01 · Episode 1")
    assert (episode["season_number"], episode["episode_number"], episode["all_day"]) == (
        1,
        1,
        False,
    )
    assert episode["end"] is not None and episode["end"] > episode["start"]
    movie = next(i for i in items if i["id"] == f"{r}:movie:1:cinema")
    assert movie["all_day"] is True and movie["start"].endswith("T00:00:00Z")
    assert (movie["item_id"], movie["subtitle"], movie["end"]) == (f"{r}:movie:1", None, None)
    album = next(i for i in items if i["type"] == "album")
    assert (album["title"], album["subtitle"]) == ("The Loud Ones", "Louder")
    # Filters: type and instance.
    only = await stack.get("/api/v1/calendar", type="movie")
    assert {i["type"] for i in only["items"]} == {"movie"} and len(only["items"]) == 3
    one = await stack.get("/api/v1/calendar", instance_id=s2)
    assert [i["id"] for i in one["items"]] == [f"{s2}:episode:901:air"]


async def test_dates_and_datetimes_and_range_limits(stack: Stack) -> None:
    day = (TODAY + timedelta(days=1)).date().isoformat()
    reply = await stack.get("/api/v1/calendar", start=day, end=day)  # one whole day
    assert reply["end"] == (TODAY + timedelta(days=2)).isoformat().replace("+00:00", "Z")
    assert {i["id"].split(":", 1)[1] for i in reply["items"]} == {
        "episode:101:air",
        "episode:901:air",
    }
    later = (TODAY + timedelta(days=30)).isoformat()
    reply = await stack.get("/api/v1/calendar", start=TODAY.isoformat(), end=later)
    assert any(i["release_kind"] == "digital" and i["title"].startswith("Semicolon")
               for i in reply["items"])  # fmt: skip
    for params in ({"start": day, "end": TODAY.date().isoformat()},  # end before start
                   {"start": day, "end": (TODAY + timedelta(days=92)).date().isoformat()},
                   {"start": "yesterday"}):  # fmt: skip
        resp = await stack.client.get("/api/v1/calendar", params=params, headers=stack.admin)
        await assert_problem(resp, 422, "VALIDATION_ERROR")


async def test_a_failing_instance_is_stale_and_the_rest_answer(stack: Stack) -> None:
    stack.fakes["radarr"].fail_with = 500
    reply = await stack.get("/api/v1/calendar")
    assert reply["stale_instances"] == [stack.ids["radarr"]]
    assert {i["type"] for i in reply["items"]} == {"episode", "album"}


async def test_users_see_entries_of_their_tags(stack: Stack) -> None:
    reply = await stack.get("/api/v1/calendar", headers=bearer(stack.user))
    s1, s2, r, lid = (stack.ids[n] for n in ("sonarr", "sonarr2", "radarr", "lidarr"))
    # Series 1, movie 1 and artist 1 carry the tag "alice"; series 2 and movie 2 none.
    assert {i["id"] for i in reply["items"]} == {
        f"{s1}:episode:101:air", f"{s2}:episode:901:air", f"{r}:movie:1:cinema",
        f"{r}:movie:1:physical", f"{lid}:album:11:release",
    }  # fmt: skip


# ---- the iCalendar feed -----------------------------------------------------------------------


async def user_key(stack: Stack) -> str:
    auth = stack.app[AUTH]
    record = await auth.users.by_username(USER)
    assert record is not None
    return (await auth.create_key("calendar", role="user", user_id=record.id)).key


async def fetch_ics(stack: Stack, **params: Any) -> bytes:
    resp = await stack.client.get("/api/v1/calendar.ics", params=params)
    assert resp.status == 200, await resp.text()
    assert resp.content_type == "text/calendar"
    assert resp.charset == "utf-8"
    return await resp.read()


async def test_ics_is_valid_rfc5545_and_round_trips(stack: Stack) -> None:
    raw = await fetch_ics(stack, api_key=stack.key)
    assert raw.endswith(b"END:VCALENDAR\r\n")
    physical = raw.split(b"\r\n")[:-1]
    assert all(len(line) <= 75 for line in physical)
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert any(line.startswith(b" ") for line in physical)  # the long overview was folded
    calendar = icalendar.Calendar.from_ical(raw)
    assert str(calendar["X-WR-CALNAME"]) == "arrhub"
    events = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    json_items = (await stack.get(
        "/api/v1/calendar", start=(TODAY - timedelta(days=7)).isoformat(),
        end=(TODAY + timedelta(days=30)).isoformat(),
    ))["items"]  # fmt: skip
    assert set(events) == {f"{i['id']}@arrhub" for i in json_items}
    r, s2 = stack.ids["radarr"], stack.ids["sonarr2"]
    cinema = events[f"{r}:movie:1:cinema@arrhub"]
    start = cinema.decoded("DTSTART")
    assert type(start) is date and cinema.decoded("DTEND") == start + timedelta(days=1)
    digital = events[f"{r}:movie:2:digital@arrhub"]
    assert str(digital["SUMMARY"]) == "Semicolon; The Movie, Part \\ II (digital release)"
    folded = events[f"{s2}:episode:901:air@arrhub"]
    assert str(folded["DESCRIPTION"]) == LONG.strip() or str(folded["DESCRIPTION"]) == LONG
    aired = folded.decoded("DTSTART")
    assert isinstance(aired, datetime) and aired.utcoffset() == timedelta(0)
    assert folded.decoded("DTEND") - aired == timedelta(minutes=45)
    assert all("DTSTAMP" in e for e in events.values())
    # Stable UIDs: a second fetch names the same events.
    again = icalendar.Calendar.from_ical(await fetch_ics(stack, api_key=stack.key))
    assert {str(e["UID"]) for e in again.walk("VEVENT")} == set(events)


async def test_ics_filters_and_user_scope(stack: Stack) -> None:
    key = await user_key(stack)
    calendar = icalendar.Calendar.from_ical(await fetch_ics(stack, api_key=key, type="movie"))
    uids = {str(e["UID"]) for e in calendar.walk("VEVENT")}
    r = stack.ids["radarr"]
    assert uids == {f"{r}:movie:1:cinema@arrhub", f"{r}:movie:1:physical@arrhub"}


async def test_ics_credentials(stack: Stack) -> None:
    resp = await stack.client.get("/api/v1/calendar.ics")
    await assert_problem(resp, 401, "AUTH_REQUIRED")
    resp = await stack.client.get("/api/v1/calendar.ics", params={"api_key": "sk_not_a_key"})
    await assert_problem(resp, 403, "INVALID_KEY")
    resp = await stack.client.get("/api/v1/calendar.ics", headers=stack.admin)  # headers too
    assert resp.status == 200
    # The query key is honoured only where clients cannot send headers.
    resp = await stack.client.get("/api/v1/calendar", params={"api_key": stack.key})
    await assert_problem(resp, 401, "AUTH_REQUIRED")


# ---- what other services call ---------------------------------------------------------------


async def test_upcoming_counts_are_cached(stack: Stack) -> None:
    service = stack.app[CATALOG]
    tomorrow = (TODAY + timedelta(days=1)).date()
    before = calendar_requests(stack, "sonarr")
    counts = await service.upcoming_counts(tomorrow)
    # Episodes count on their day in the hub's local time zone, whatever it is here.
    aired = [datetime.fromisoformat(e["airDateUtc"].replace("Z", "+00:00"))
             for e in stack.fakes["sonarr"].catalog["episodes"]]  # fmt: skip
    assert counts[stack.ids["sonarr"]] == sum(1 for a in aired if a.astimezone().date() == tomorrow)
    assert counts[stack.ids["lidarr"]] == 0 and counts[stack.ids["radarr"]] == 0
    assert calendar_requests(stack, "sonarr") == before + 1
    assert await service.upcoming_counts(tomorrow) == counts
    assert calendar_requests(stack, "sonarr") == before + 1  # served from the cache
