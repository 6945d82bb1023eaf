"""The request-manager adapters' issue-7 half: every request with titles, create, decide.

Overseerr/Jellyseerr and Ombi against their fakes: paging (<= 100 per call, bounded),
the title cache, finding the upstream user a hub user is, the create bodies, duplicates,
and approving/declining (Ombi: a show through its open child requests).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from aiohttp import web

from arrhub.adapters.errors import NotFoundUpstream, ServerError
from arrhub.adapters.ombi import OmbiAdapter
from arrhub.adapters.resilience import RetryPolicy
from arrhub.adapters.seerr import SeerrAdapter
from arrhub.errors import Conflict
from arrhub.models.upstream import RequestStatus, RequestUser
from tests.adapters_helpers import open_adapter
from tests.fakes.media_common import Payload
from tests.fakes.ombi import FakeOmbiState, make_ombi_app
from tests.fakes.seerr import PENDING, FakeSeerrState, make_seerr_app, seerr_user
from tests.fakes.server import RECORDER, serve

pytestmark = pytest.mark.usefixtures("socket_enabled")


@asynccontextmanager
async def seerr(state: FakeSeerrState) -> AsyncIterator[tuple[SeerrAdapter, web.Application]]:
    app = make_seerr_app(state)
    # Many title lookups: a loose rate limit, so the tests do not wait on the throttle.
    fast = {"rate_per_second": 1000.0}
    async with (
        serve(app) as url,
        open_adapter(state.flavour, url, api_key=state.api_key, options=fast) as a,
    ):
        assert isinstance(a, SeerrAdapter)
        a.retry_policy = RetryPolicy(attempts=1)
        yield a, app


@asynccontextmanager
async def ombi(state: FakeOmbiState) -> AsyncIterator[tuple[OmbiAdapter, web.Application]]:
    app = make_ombi_app(state)
    async with serve(app) as url, open_adapter("ombi", url, api_key=state.api_key) as a:
        assert isinstance(a, OmbiAdapter)
        a.retry_policy = RetryPolicy(attempts=1)
        yield a, app


def paths(app: web.Application, part: str) -> list[str]:
    return [r.path for r in app[RECORDER] if part in r.path]


# ---- Overseerr / Jellyseerr -----------------------------------------------------------------


async def test_all_requests_pages_by_100_and_is_bounded() -> None:
    state = FakeSeerrState()
    for n in range(250):
        state.add_request(tmdb_id=5000 + n)
    async with seerr(state) as (adapter, app):
        every = await adapter.all_requests()
        skips = [r.query["skip"][0] for r in app[RECORDER] if r.path == "/api/v1/request"]
        takes = {r.query["take"][0] for r in app[RECORDER] if r.path == "/api/v1/request"}
        bounded = await adapter.all_requests(limit=120)
    assert len(every) == 250
    assert len({r.id for r in every}) == 250
    assert (skips, takes) == (["0", "100", "200"], {"100"})
    assert len(bounded) == 120


async def test_new_title_lookups_per_read_are_bounded() -> None:
    state = FakeSeerrState()
    for n in range(150):
        state.add_title("movie", 5000 + n, f"Movie {n}")
        state.add_request(tmdb_id=5000 + n)
    async with seerr(state) as (adapter, app):
        first = await adapter.all_requests()
        after_first = len(paths(app, "/movie/"))
        second = await adapter.all_requests()
        after_second = len(paths(app, "/movie/"))
    # The newest 100 first; the next read looks up the other 50 and asks nothing twice.
    assert (after_first, after_second) == (100, 150)
    assert [r.title for r in first[:100]] == [f"Movie {n}" for n in range(149, 49, -1)]
    assert all(r.title is None for r in first[100:])
    assert all(r.title is not None for r in second)


async def test_titles_are_looked_up_once_and_misses_remembered() -> None:
    state = FakeSeerrState(flavour="jellyseerr")
    state.add_title("movie", 603, "The Matrix", date="1999-03-31", poster="/m.jpg")
    state.add_title("tv", 1399, "Game of Thrones", date="2011-04-17")
    state.add_request(tmdb_id=603)
    state.add_request(tmdb_id=603, is4k=True)
    state.add_request(media_type="tv", tmdb_id=1399, tvdb_id=121361, seasons=[1])
    state.add_request(tmdb_id=999)  # unknown to TMDB
    async with seerr(state) as (adapter, app):
        first = {r.id: r for r in await adapter.all_requests()}
        await adapter.all_requests()
        looked_up = sorted(paths(app, "/movie/") + paths(app, "/tv/"))
    assert (first[1].title, first[1].year, first[1].poster_url) == (
        "The Matrix", 1999, "https://image.tmdb.org/t/p/w300/m.jpg",
    )  # fmt: skip
    assert first[3].title == "Game of Thrones"
    assert first[4].title is None
    assert looked_up == ["/api/v1/movie/603", "/api/v1/movie/999", "/api/v1/tv/1399"]


async def test_a_failed_title_lookup_is_tried_again() -> None:
    state = FakeSeerrState()
    state.add_title("movie", 603, "The Matrix")
    state.add_request(tmdb_id=603)
    state.overrides["/api/v1/movie/603"] = Payload.json({"message": "boom"}, status=500)
    async with seerr(state) as (adapter, app):
        assert (await adapter.all_requests())[0].title is None  # the list still answers
        del state.overrides["/api/v1/movie/603"]
        assert (await adapter.all_requests())[0].title == "The Matrix"
        assert len(paths(app, "/movie/603")) == 2


async def test_requesters_are_known_by_login_names_and_email_not_display_name() -> None:
    state = FakeSeerrState(flavour="jellyseerr")
    user = seerr_user(
        5, "x", username=None, plexUsername=None, jellyfinUsername="Anna",
        email="Anna@Example.test", displayName="The Boss",
    )  # fmt: skip
    state.users.append(user)
    state.add_request(requested_by=user)
    async with seerr(state) as (adapter, _):
        (record,) = await adapter.all_requests()
        assert record.requester_names == ["anna", "anna@example.test"]
        assert record.requester_id == "5"
        assert record.requested_by == "The Boss"
        found = await adapter.find_user("ANNA@example.test")
        assert found is not None and found.id == "5"
        assert await adapter.find_user("the boss") is None


async def test_find_user_pages_through_users() -> None:
    state = FakeSeerrState()
    for n in range(2, 160):
        state.add_user(n, f"user{n}")
    async with seerr(state) as (adapter, app):
        found = await adapter.find_user("user150")
        skips = [r.query["skip"][0] for r in app[RECORDER] if r.path == "/api/v1/user"]
    assert found is not None and found.id == "150"
    assert skips == ["0", "100"]


async def test_create_bodies_and_duplicates() -> None:
    state = FakeSeerrState()
    viewer = state.add_user(7, "viewer")
    state.add_title("tv", 1399, "Game of Thrones", seasons=3)
    async with seerr(state) as (adapter, _):
        as_viewer = RequestUser(id=str(viewer["id"]), names=["viewer"])
        show = await adapter.create_request("tv", 1399, [2], user=as_viewer)
        whole = await adapter.create_request("tv", 1400, None)
        with pytest.raises(Conflict, match="already exists"):
            await adapter.create_request("tv", 1399, [2, 3])
        movie = await adapter.create_request("movie", 603, None)
    assert state.created == [
        {"mediaType": "tv", "mediaId": 1399, "seasons": [2], "userId": 7},
        {"mediaType": "tv", "mediaId": 1400, "seasons": "all"},
        {"mediaType": "tv", "mediaId": 1399, "seasons": [2, 3]},
        {"mediaType": "movie", "mediaId": 603},
    ]
    assert (show.status, show.seasons, show.title) == (
        RequestStatus.PENDING, [2], "Game of Thrones",
    )  # fmt: skip
    assert whole.status is RequestStatus.APPROVED  # the key's owner is an admin
    assert movie.requester_names == ["admin", "admin@example.test"]


async def test_a_500_without_the_duplicate_message_stays_an_upstream_error() -> None:
    state = FakeSeerrState()
    state.overrides["/api/v1/request"] = Payload.json({"message": "database locked"}, 500)
    async with seerr(state) as (adapter, _):
        with pytest.raises(ServerError):
            await adapter.create_request("movie", 603, None)


async def test_set_status_and_unknown_requests() -> None:
    state = FakeSeerrState()
    state.add_request(tmdb_id=603, status=PENDING)
    async with seerr(state) as (adapter, _):
        approved = await adapter.set_status("1", approve=True)
        assert approved.status is RequestStatus.PROCESSING
        declined = await adapter.set_status("1", approve=False)
        assert declined.status is RequestStatus.DECLINED
        for missing in ("2", "tv-1"):
            with pytest.raises(NotFoundUpstream):
                await adapter.set_status(missing, approve=True)
    assert state.status_changes == [(1, "approve"), (1, "decline")]


# ---- Ombi --------------------------------------------------------------------------------------


def ombi_state() -> FakeOmbiState:
    state = FakeOmbiState()
    state.add_user("viewer")
    state.shows[1396] = {"title": "Breaking Bad", "seasons": {1: 7, 2: 13}}
    state.add_movie("Dune", tmdb_id=438631, user="viewer")
    state.add_tv(
        "Breaking Bad", tmdb_id=1396,
        children=[{"seasons": (1,), "user": "viewer"},
                  {"seasons": (2,), "user": "admin", "available": True}],
    )  # fmt: skip
    return state


async def test_ombi_pages_both_lists_and_keys_say_which() -> None:
    state = FakeOmbiState()
    for n in range(130):
        state.add_movie(f"Movie {n}", tmdb_id=n + 1)
    state.add_tv("Show")
    async with ombi(state) as (adapter, app):
        every = await adapter.all_requests()
        sent = sorted(paths(app, "/Request/"))
    assert len(every) == 131
    assert {adapter.request_key(r) for r in every} >= {"movie-1", "tv-131"}
    assert sent == [
        "/api/v1/Request/movie/100/0/2/0/0",
        "/api/v1/Request/movie/100/100/2/0/0",
        "/api/v1/Request/tv/100/0/2/0/0",
    ]


async def test_ombi_requesters_of_a_show_are_every_childs() -> None:
    async with ombi(ombi_state()) as (adapter, _):
        records = {adapter.request_key(r): r for r in await adapter.all_requests()}
    assert records["movie-1"].requester_names == ["viewer", "viewer@example.test"]
    assert records["tv-2"].requester_names == [
        "viewer", "viewer@example.test", "admin", "admin@example.test",
    ]  # fmt: skip
    assert records["tv-2"].poster_url == "https://image.tmdb.org/t/p/w300/poster.jpg"


async def test_ombi_create_on_behalf_and_duplicates() -> None:
    state = ombi_state()
    state.titles[603] = "The Matrix"
    async with ombi(state) as (adapter, _):
        viewer = await adapter.find_user("VIEWER")
        assert viewer is not None and viewer.id == "user-viewer"
        movie = await adapter.create_request("movie", 603, None, user=viewer)
        whole = await adapter.create_request("tv", 1668, None)
        with pytest.raises(Conflict):
            await adapter.create_request("movie", 603, None)
        with pytest.raises(Conflict):
            await adapter.create_request("tv", 1396, [2])
    assert (movie.title, movie.status, movie.requester_names[0]) == (
        "The Matrix", RequestStatus.PENDING, "viewer",
    )  # fmt: skip
    assert whole.status is RequestStatus.PROCESSING  # the key is Ombi's admin: approved
    kinds = [(k, body.get("requestOnBehalf"), body.get("requestAll")) for k, body in state.created]
    assert kinds == [
        ("movie", "user-viewer", None), ("tv", None, True), ("movie", None, None),
        ("tv", None, False),
    ]  # fmt: skip


async def test_ombi_decides_a_show_through_its_open_children() -> None:
    state = ombi_state()
    async with ombi(state) as (adapter, _):
        declined = await adapter.set_status("tv-2", approve=False)
        approved = await adapter.set_status("movie-1", approve=True)
        for missing in ("tv-99", "movie-99", "99", "show-2"):
            with pytest.raises(NotFoundUpstream):
                await adapter.set_status(missing, approve=True)
    # The available child is left alone; the open one is denied, with a reason.
    assert state.actions == [("tv", 3, "deny"), ("movie", 1, "approve")]
    assert state.tv[0]["childRequests"][0]["deniedReason"] == "declined through arrhub"
    assert declined.status is RequestStatus.PARTIALLY_AVAILABLE
    assert approved.status is RequestStatus.PROCESSING


async def test_ombi_refusals_are_errors_not_successes() -> None:
    state = ombi_state()
    async with ombi(state) as (adapter, _):
        state.overrides["/api/v1/Request/movie"] = Payload.json(
            {"result": False, "isError": True, "errorMessage": "You have exceeded your quota",
             "errorCode": "MovieRequestQuotaExceeded"}
        )  # fmt: skip
        with pytest.raises(Exception, match="quota") as caught:
            await adapter.create_request("movie", 1, None)
    assert not isinstance(caught.value, Conflict)
