"""Contract: every request the Sonarr, Radarr, Lidarr and Prowlarr adapters send is one
their published OpenAPI spec documents, and the fakes answer in the spec's shapes.

Each public method of each adapter runs against the recording fake; then every recorded
request must match a path of the spec (path parameters filled, of the declared type), an
allowed method, and only query parameters the spec declares for that operation, with
values the declared schemas accept. The method table is checked against the adapter
classes, so a new public method without a contract run fails here.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import web
from aiohttp.typedefs import Handler

from arrhub.adapters.base import Adapter
from arrhub.adapters.registry import adapter_class
from tests.adapters_helpers import open_adapter
from tests.contract.spec import (
    assert_recorded_in_spec,
    assert_reply_in_spec,
    assert_request_in_spec,
    find_operation,
)
from tests.fakes.servarr import API_ROOTS, DEFAULT_KEY, make_arr_app, sample_state
from tests.fakes.server import RECORDER, serve

pytestmark = pytest.mark.usefixtures("socket_enabled")

#: Transport plumbing of the base class, not operations of the upstream's API.
INFRASTRUCTURE = {"call", "request", "ensure_login", "get_json", "login", "close", "api_get"}

Call = Callable[[Any], Awaitable[Any]]


async def _command_status(adapter: Any) -> Any:
    started = await adapter.command("RssSync")
    return await adapter.command_status(started.id)


async def _history(adapter: Any) -> Any:
    await adapter.history(page=2, page_size=5)
    return await adapter.history(since=datetime(2025, 5, 1, 6, tzinfo=UTC))


async def _remove(adapter: Any) -> Any:
    first = (await adapter.queue_page(1, 1)).records[0]
    await adapter.remove_queue_item(
        first.id, remove_from_client=True, blocklist=True, skip_redownload=False
    )


async def _refresh(adapter: Any) -> Any:
    name, ids = REFRESH[adapter.kind]
    return await adapter.command(name, **ids)


REFRESH: dict[str, tuple[str, dict[str, Any]]] = {
    "sonarr": ("RefreshSeries", {"seriesIds": [1]}),
    "radarr": ("RefreshMovie", {"movieIds": [1]}),
    "lidarr": ("RefreshArtist", {"artistIds": [1]}),
}
#: Where the real servers differ from their own specs (see the payloads in ../shared):
#: the `Command` schema lacks the fields each command adds, which the servers echo in
#: `body` (`isNewSeries`, `seriesIds`); Sonarr's and Radarr's specs call `wikiUrl` an
#: `HttpUri` object, which the servers write as a plain string.
SPEC_GAPS: dict[str, tuple[str, ...]] = {"/command": ("body",), "/health": ("*/wikiUrl",)}

COMMON: dict[str, Call] = {
    "probe": lambda a: a.probe(),
    "system_status": lambda a: a.system_status(),
    "health": lambda a: a.health(),
    "health_messages": lambda a: a.health_messages(),
    "logs": lambda a: a.logs(250),  # two pages of the log table
    "collect": lambda a: a.collect(),
}
ARR: dict[str, Call] = {
    **COMMON,
    "root_folders": lambda a: a.root_folders(),
    "queue_page": lambda a: a.queue_page(2, 50),
    "queue": lambda a: a.queue(),
    "history": _history,
    "command": _refresh,
    "command_status": _command_status,
    "run_command": lambda a: a.run_command("RssSync", poll=0.01, wait=5),
    "remove_queue_item": _remove,
    "tag_labels": lambda a: a.tag_labels(),
}
PROWLARR: dict[str, Call] = {
    **COMMON,
    "indexers": lambda a: a.indexers(),
    "indexer_stats": lambda a: a.indexer_stats(),
}

#: `(kind, root) -> {(METHOD, template)}` the methods appended below add (one per part).
EXPECTED_EXTRA: list[Callable[[str, str], set[tuple[str, str]]]] = []

CASES = {
    "sonarr": ("Sonarr", ARR),
    "radarr": ("Radarr", ARR),
    "lidarr": ("Lidarr", ARR),
    "prowlarr": ("Prowlarr", PROWLARR),
}


def public_operations(cls: type[Adapter]) -> set[str]:
    import inspect

    return {
        name
        for name, member in inspect.getmembers(cls)
        if not name.startswith("_")
        and inspect.iscoroutinefunction(member)
        and name not in INFRASTRUCTURE
    }


@dataclass(frozen=True)
class Reply:
    method: str
    path: str
    status: int
    body: Any


def capture_replies(app: web.Application) -> list[Reply]:
    """Keep every JSON reply the fake sends (outermost middleware)."""
    replies: list[Reply] = []

    @web.middleware
    async def capture(request: web.Request, handler: Handler) -> web.StreamResponse:
        resp = await handler(request)
        if isinstance(resp, web.Response) and resp.content_type == "application/json":
            raw = resp.body
            if isinstance(raw, bytes | bytearray) and raw:
                replies.append(Reply(request.method, request.path, resp.status, json.loads(raw)))
        return resp

    app.middlewares.insert(0, capture)
    return replies


@pytest.mark.parametrize("kind", sorted(CASES))
def test_every_public_method_is_driven(kind: str) -> None:
    _, table = CASES[kind]
    assert public_operations(adapter_class(kind)) == set(table)


@pytest.mark.parametrize("kind", sorted(CASES))
async def test_requests_follow_the_spec(kind: str) -> None:
    product, table = CASES[kind]
    state = sample_state(product, queue=260, command_polls=2)  # type: ignore[arg-type]
    app = make_arr_app(state)
    replies = capture_replies(app)
    async with (
        serve(app) as url,
        open_adapter(kind, url, api_key=DEFAULT_KEY, options={"rate_per_second": 1000}) as adapter,
    ):
        for name, call in table.items():
            before = len(app[RECORDER])
            await call(adapter)
            assert len(app[RECORDER]) > before, f"{name} sent no request"
    recorded = app[RECORDER]
    covered = assert_recorded_in_spec(kind, recorded)
    root = API_ROOTS[product]
    expected = {("GET", f"{root}/system/status"), ("GET", f"{root}/health"),
                ("GET", f"{root}/log")}  # fmt: skip
    if kind == "prowlarr":
        expected |= {("GET", f"{root}/indexer"), ("GET", f"{root}/indexerstats")}
    else:
        expected |= {
            ("GET", f"{root}/rootfolder"),
            ("GET", f"{root}/queue"),
            ("DELETE", f"{root}/queue/{{id}}"),
            ("GET", f"{root}/history"),
            ("GET", f"{root}/history/since"),
            ("POST", f"{root}/command"),
            ("GET", f"{root}/command/{{id}}"),
            ("GET", f"{root}/tag"),
        }
    for extra in EXPECTED_EXTRA:  # the routes each later part's methods add (appended below)
        expected |= extra(kind, root)
    assert covered == expected
    # The key travels in the header, never in a URL (URLs end up in logs).
    for request in recorded:
        assert request.headers.get("X-Api-Key") == DEFAULT_KEY
        assert "apikey" not in request.query
    # Queue pages stay at <= 200 (Sonarr fails above that on big installs).
    sizes = [int(r.query["pageSize"][0]) for r in recorded if r.path.endswith("/queue")]
    assert max(sizes, default=0) <= 200
    assert bool(sizes) == (kind != "prowlarr")
    # ... and what the fake answered has the spec's shapes.
    assert replies
    for reply in replies:
        gaps = next((g for part, g in SPEC_GAPS.items() if part in reply.path), ())
        assert_reply_in_spec(kind, reply.method, reply.path, reply.status, reply.body, ignore=gaps)


@pytest.mark.parametrize("kind", sorted(CASES))
async def test_fake_routes_exist_in_the_spec(kind: str) -> None:
    """Every route the fake offers is a path and method of the real API."""
    product, _ = CASES[kind]
    app = make_arr_app(sample_state(product))  # type: ignore[arg-type]
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource is not None else {}
        template = info.get("path") or info.get("formatter")
        assert template, route
        concrete = template.replace("{id}", "7")
        assert_request_in_spec(kind, route.method, concrete, set())


def test_matcher_rejects_what_the_spec_lacks() -> None:
    with pytest.raises(AssertionError, match="no path"):
        assert_request_in_spec("sonarr", "GET", "/api/v3/nonsense", set())
    with pytest.raises(AssertionError, match="allows only"):
        assert_request_in_spec("sonarr", "PATCH", "/api/v3/queue/1", set())
    with pytest.raises(AssertionError, match="not in"):
        assert_request_in_spec("radarr", "GET", "/api/v3/queue", {"includeSeries"})
    with pytest.raises(AssertionError, match="does not fit"):
        assert_request_in_spec("sonarr", "DELETE", "/api/v3/queue/abc", set())
    with pytest.raises(AssertionError, match="does not fit"):
        assert_request_in_spec(
            "sonarr", "GET", "/api/v3/queue", {"sortDirection"},
            query_values={"sortDirection": ["desc"]},
        )  # fmt: skip
    with pytest.raises(AssertionError, match="required"):
        assert_request_in_spec("overseerr", "GET", "/api/v1/search", set())
    with pytest.raises(AssertionError, match="outside the API prefix"):
        assert_request_in_spec("overseerr", "GET", "/search", {"query"})
    assert_request_in_spec("jellyseerr", "GET", "/api/v1/search", {"query", "page"})
    # Literal segments win over templates; apikey is the spec's own query scheme.
    operation, filled = find_operation("sonarr", "DELETE", "/api/v3/queue/bulk")
    assert operation.template == "/api/v3/queue/bulk"
    assert not filled
    assert_request_in_spec("prowlarr", "GET", "/api/v1/indexer", {"apikey"})


# ---- catalog (LIB-7/8/9) --------------------------------------------------------------------

from datetime import timedelta  # noqa: E402

from arrhub.models.catalog import AddOptions  # noqa: E402

#: A title each sample catalog's lookup corpus has and its library lacks (servarr_catalog).
_NEW_TITLE: dict[str, dict[str, Any]] = {
    "sonarr": {"tvdb_id": 90001, "monitor": "first_season"},
    "radarr": {"tmdb_id": 700, "monitor": "movieOnly"},
    "lidarr": {"musicbrainz_id": "mb-new-artist", "metadata_profile_id": 1, "monitor": "all"},
}
_TITLES = {"sonarr": "series", "radarr": "movie", "lidarr": "artist"}
_EXCLUSIONS = {"sonarr": "importlistexclusion", "radarr": "exclusions",
               "lidarr": "importlistexclusion"}  # fmt: skip


async def _calendar(adapter: Any) -> Any:
    start = datetime.now(UTC)
    return await adapter.calendar(start, start + timedelta(days=90))


async def _add_title(adapter: Any) -> Any:
    options = AddOptions(root_folder="/media/", quality_profile_id=1, search_now=True,
                         tags=("alice", "brand-new"), **_NEW_TITLE[adapter.kind])  # fmt: skip
    return await adapter.add_title(options)


async def _delete_exclusion(adapter: Any) -> Any:
    first = (await adapter.exclusions())[0]
    return await adapter.delete_exclusion(first.id)


ARR.update(
    {
        "calendar": _calendar,
        "lookup": lambda a: a.lookup("new"),
        "picker_options": lambda a: a.picker_options(),
        "add_title": _add_title,
        "delete_title": lambda a: a.delete_title(1, delete_files=True, add_exclusion=True),
        "exclusions": lambda a: a.exclusions(),
        "delete_exclusion": _delete_exclusion,
    }
)


def _catalog_routes(kind: str, root: str) -> set[tuple[str, str]]:
    if kind not in _TITLES:
        return set()
    titles, exclusions = _TITLES[kind], _EXCLUSIONS[kind]
    routes = {
        ("GET", f"{root}/calendar"),
        ("GET", f"{root}/{titles}/lookup"),
        ("POST", f"{root}/{titles}"),
        ("DELETE", f"{root}/{titles}/{{id}}"),
        ("GET", f"{root}/qualityprofile"),
        ("POST", f"{root}/tag"),
        ("GET", f"{root}/{exclusions}"),
        ("DELETE", f"{root}/{exclusions}/{{id}}"),
    }
    if kind == "lidarr":
        routes.add(("GET", f"{root}/metadataprofile"))
    return routes


EXPECTED_EXTRA.append(_catalog_routes)


# ---- library actions (LIB-3, LIB-9): search now, rescan, monitor ----

from openapi_schema_validator import OAS30Validator  # noqa: E402

from arrhub.errors import NotFound  # noqa: E402
from tests.contract.spec import load_spec  # noqa: E402
from tests.fakes import servarr as _servarr_fake  # noqa: E402
from tests.fakes import servarr_library as _library_fake  # noqa: E402

_EDITOR_SCHEMA = {"sonarr": "SeriesEditorResource", "radarr": "MovieEditorResource",
                  "lidarr": "ArtistEditorResource"}  # fmt: skip
_CHILDREN_OF = {"sonarr": ("episode", [15, 16]), "lidarr": ("album", [3, 4])}


async def _gone(call: Awaitable[Any]) -> None:
    """The sample library is empty: the action asks, hears 404 and says NotFound."""
    with pytest.raises(NotFound):
        await call


ARR.update(
    {
        "search_item": lambda a: _gone(a.search_item(999)),
        "rescan_item": lambda a: _gone(a.rescan_item(999)),
        "set_monitored": lambda a: _gone(a.set_monitored(999, False)),  # PUT, then []
    }
)


def _action_routes(kind: str, root: str) -> set[tuple[str, str]]:
    return {("PUT", f"{root}/{_TITLES[kind]}/editor")} if kind in _TITLES else set()


EXPECTED_EXTRA.append(_action_routes)


@pytest.mark.parametrize("kind", sorted(_EDITOR_SCHEMA))
async def test_library_actions_follow_the_spec(kind: str) -> None:
    """On a filled library: every variant's requests are in the spec, the editor bodies fit
    the spec's editor resource (which allows no other fields), and the fake's replies fit."""
    product = CASES[kind][0]
    state = _servarr_fake.FakeArrState(product=product)  # type: ignore[arg-type]
    _library_fake.fill_library(state, movies=3, series=3, episodes_per_series=14, artists=3,
                               albums_per_artist=2)  # fmt: skip
    app = make_arr_app(state)
    replies = capture_replies(app)
    async with (
        serve(app) as url,
        open_adapter(kind, url, api_key=DEFAULT_KEY, options={"rate_per_second": 1000}) as adapter,
    ):
        await adapter.search_item(2)  # type: ignore[attr-defined]
        if kind == "sonarr":
            await adapter.search_item(2, season=2)  # type: ignore[attr-defined]
        if kind in _CHILDREN_OF:
            await adapter.search_item(2, child_ids=_CHILDREN_OF[kind][1])  # type: ignore[attr-defined]
        await adapter.rescan_item(2)  # type: ignore[attr-defined]
        assert await adapter.set_monitored(2, False) is False  # type: ignore[attr-defined]
        assert await adapter.set_monitored(2, True) is True  # type: ignore[attr-defined]
    covered = assert_recorded_in_spec(kind, app[RECORDER])
    root, titles = API_ROOTS[product], _TITLES[kind]
    expected = {("GET", f"{root}/{titles}/{{id}}"), ("POST", f"{root}/command"),
                ("PUT", f"{root}/{titles}/editor")}  # fmt: skip
    if kind in _CHILDREN_OF:
        expected.add(("GET", f"{root}/{_CHILDREN_OF[kind][0]}"))
    assert covered == expected
    assert [c["name"] for c in state.commands.values()] == {
        "sonarr": ["SeriesSearch", "SeasonSearch", "EpisodeSearch", "RescanSeries"],
        "radarr": ["MoviesSearch", "RescanMovie"],
        "lidarr": ["ArtistSearch", "AlbumSearch", "RefreshArtist"],
    }[kind]
    spec = load_spec(kind)
    schema = spec.resolve({"$ref": f"#/components/schemas/{_EDITOR_SCHEMA[kind]}"})
    validator = OAS30Validator({**dict(schema), "components": spec.document["components"]})
    edits = [json.loads(r.body) for r in app[RECORDER] if r.method == "PUT"]
    assert len(edits) == 2
    for body in edits:
        assert not list(validator.iter_errors(body)), body
    for reply in replies:
        gaps = next((g for part, g in SPEC_GAPS.items() if part in reply.path), ())
        assert_reply_in_spec(kind, reply.method, reply.path, reply.status, reply.body, ignore=gaps)


# ---- library (LIB-1) ------------------------------------------------------------------------

from tests.fakes.servarr import FakeArrState  # noqa: E402
from tests.fakes.servarr_library import fill_library  # noqa: E402

_LIBRARY_TITLES = {"sonarr": "series", "radarr": "movie", "lidarr": "artist"}
_LIBRARY_CHILDREN = {"sonarr": "episode", "lidarr": "album"}


async def _library_reads(adapter: Any) -> Any:
    """Records, children and one record: the async generators ride along with the one
    coroutine method, since the table lists coroutine methods."""
    records = [record async for record in adapter.library_records()]
    children = [child async for child in adapter.library_children()]
    return records, children, await adapter.library_record(1)


ARR.update(
    {
        "library_record": _library_reads,
        "cutoff_unmet_ids": lambda a: a.cutoff_unmet_ids(),
    }
)


def _library_routes(kind: str, root: str) -> set[tuple[str, str]]:
    """On the empty sample library: no series, so no per-series episode request."""
    if kind not in _LIBRARY_TITLES:
        return set()
    titles = _LIBRARY_TITLES[kind]
    routes = {("GET", f"{root}/{titles}"), ("GET", f"{root}/{titles}/{{id}}"),
              ("GET", f"{root}/wanted/cutoff")}  # fmt: skip
    if kind == "lidarr":
        routes.add(("GET", f"{root}/album"))
    return routes


EXPECTED_EXTRA.append(_library_routes)


@pytest.mark.parametrize("kind", sorted(_LIBRARY_TITLES))
async def test_library_reads_follow_the_spec(kind: str) -> None:
    """A filled library: every read (children per series too) is in the spec, and the
    generated records, episodes, albums and cutoff pages have the spec's shapes."""
    product = CASES[kind][0]
    state = FakeArrState(product=product)  # type: ignore[arg-type]
    fill_library(state, movies=30, series=4, episodes_per_series=14, artists=3,
                 albums_per_artist=3)  # fmt: skip
    app = make_arr_app(state)
    replies = capture_replies(app)
    async with (
        serve(app) as url,
        open_adapter(kind, url, api_key=DEFAULT_KEY, options={"rate_per_second": 1000}) as adapter,
    ):
        assert [r async for r in adapter.library_records()]  # type: ignore[attr-defined]
        [c async for c in adapter.library_children()]  # type: ignore[attr-defined]
        [c async for c in adapter.library_children(2)]  # type: ignore[attr-defined]
        assert await adapter.library_record(2) is not None  # type: ignore[attr-defined]
        assert await adapter.library_record(999) is None  # type: ignore[attr-defined]
        await adapter.cutoff_unmet_ids()  # type: ignore[attr-defined]
    covered = assert_recorded_in_spec(kind, app[RECORDER])
    root, titles = API_ROOTS[product], _LIBRARY_TITLES[kind]
    expected = {("GET", f"{root}/tag"), ("GET", f"{root}/{titles}"),
                ("GET", f"{root}/{titles}/{{id}}"), ("GET", f"{root}/wanted/cutoff")}  # fmt: skip
    if kind in _LIBRARY_CHILDREN:
        expected.add(("GET", f"{root}/{_LIBRARY_CHILDREN[kind]}"))
    assert covered == expected
    assert {r.path for r in replies} >= {f"{root}/{titles}", f"{root}/wanted/cutoff"}
    for reply in replies:
        assert_reply_in_spec(kind, reply.method, reply.path, reply.status, reply.body)
