"""The fake Servarr's catalog endpoints (see `servarr.py` for the shared behaviour).

Shaped after the specs (`../shared/upstream/{sonarr-v3,radarr-v3,lidarr-v1}`):
- `GET calendar?start&end&unmonitored` (+ `includeSeries` / `includeArtist`): Sonarr's
  episodes by `airDateUtc`, Radarr's movies with any of `inCinemas`, `digitalRelease`,
  `physicalRelease` in range, Lidarr's albums by `releaseDate`; both ends inclusive.
- `GET {series,movie,artist}/lookup?term=`: a name, or `tvdb:`/`tmdb:`/`imdb:`/`lidarr:`
  ids; a title already in the library comes back with its `id`.
- `POST {series,movie,artist}` adds (201, the resource with its new `id`); a duplicate or
  an unknown quality profile answers 400 with FluentValidation's list of
  `{propertyName, errorMessage, attemptedValue, severity, errorCode, ...}`.
- `DELETE {series,movie,artist}/{id}?deleteFiles&addImportListExclusion` (Radarr:
  `addImportExclusion`); exclusions at `importlistexclusion` (Radarr: `exclusions`).
- `GET qualityprofile`, `GET metadataprofile` (Lidarr), `POST tag`.
- `PUT {series,movie,artist}/editor {seriesIds|movieIds|artistIds, monitored, ...}`: the
  bulk editor changes the given fields of those titles in place and answers 202 with the
  updated resources, skipping unknown ids (as `*EditorController.SaveAll` does; the specs
  say 200 without a body). Bodies are kept in `state.catalog["edited"]`.

Data lives in `state.catalog` (see `catalog_state`): `titles` (the library by id),
`corpus` (what the metadata source knows), `episodes` (Sonarr) / `albums` (Lidarr),
`quality_profiles`, `metadata_profiles`, `exclusions`; what was asked is kept in
`added` (bodies posted) and `deleted` (`{"id", **query}`). Titles the library fake keeps
in `state.library` (a list or id-keyed dict under `series`/`movies`/`artists`) are read
too, and adds land there as well, so its `GET` sees them.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from aiohttp import web

from tests.fakes.servarr_library import touch

if TYPE_CHECKING:
    from tests.fakes.servarr import FakeArrState

RESOURCE = {"Sonarr": "series", "Radarr": "movie", "Lidarr": "artist"}
LIBRARY_KEY = {"Sonarr": "series", "Radarr": "movies", "Lidarr": "artists"}
EXCLUSIONS = {"Sonarr": "importlistexclusion", "Radarr": "exclusions",
              "Lidarr": "importlistexclusion"}  # fmt: skip
EXCLUSION_FLAG = {"Sonarr": "addImportListExclusion", "Radarr": "addImportExclusion",
                  "Lidarr": "addImportListExclusion"}  # fmt: skip
#: The bulk editor's id list, and the plain fields it sets when given (not null).
EDITOR_IDS = {"Sonarr": "seriesIds", "Radarr": "movieIds", "Lidarr": "artistIds"}
EDITOR_FIELDS = {
    "Sonarr": ("monitored", "monitorNewItems", "qualityProfileId", "seriesType", "seasonFolder"),
    "Radarr": ("monitored", "qualityProfileId", "minimumAvailability"),
    "Lidarr": ("monitored", "monitorNewItems", "qualityProfileId", "metadataProfileId"),
}
#: The external id each product keys a title by, and how a lookup term names it.
EXTERNAL = {"Sonarr": ("tvdbId", "tvdb"), "Radarr": ("tmdbId", "tmdb"),
            "Lidarr": ("foreignArtistId", "lidarr")}  # fmt: skip
EXISTS = {
    "Sonarr": ("TvdbId", "Tvdb Id", "This series has already been added", "SeriesExistsValidator"),
    "Radarr": ("TmdbId", "Tmdb Id", "This movie has already been added", "MovieExistsValidator"),
    "Lidarr": ("ForeignArtistId", "Foreign Artist Id", "This artist has already been added",
               "ArtistExistsValidator"),
}  # fmt: skip


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _flag(request: web.Request, name: str, default: bool = False) -> bool:
    return request.query.get(name, str(default)).lower() in ("true", "1")


def _validation(failures: list[dict[str, Any]]) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(text=json.dumps(failures), content_type="application/json")


def _failure(prop: str, label: str, message: str, value: Any, code: str) -> dict[str, Any]:
    """One FluentValidation failure as Servarr serializes it."""
    return {
        "propertyName": prop,
        "errorMessage": message,
        "attemptedValue": value,
        "severity": "error",
        "errorCode": code,
        "formattedMessageArguments": [],
        "formattedMessagePlaceholderValues": {"propertyName": label, "propertyValue": value},
    }


def _not_found() -> web.HTTPNotFound:
    return web.HTTPNotFound(
        text=json.dumps({"message": "NotFound", "description": "NotFound"}),
        content_type="application/json",
    )


# ---- sample data ----------------------------------------------------------------------------


def _images(seed: str) -> list[dict[str, Any]]:
    return [{"coverType": "poster", "url": f"/MediaCover/{seed}/poster.jpg",
             "remoteUrl": f"https://images.example/{seed}/poster.jpg"}]  # fmt: skip


def series_resource(
    series_id: int | None, tvdb_id: int, title: str, **extra: Any
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "title": title, "sortTitle": title.lower(), "status": "continuing", "ended": False,
        "overview": f"About {title}.", "images": _images(f"tvdb-{tvdb_id}"),
        "seasons": [{"seasonNumber": 1, "monitored": True}], "year": 2020, "qualityProfileId": 1,
        "seasonFolder": True, "monitored": True, "useSceneNumbering": False, "runtime": 45,
        "tvdbId": tvdb_id, "tvRageId": 0, "tvMazeId": 0, "tmdbId": 0, "seriesType": "standard",
        "cleanTitle": title.lower().replace(" ", ""), "imdbId": f"tt{9000000 + tvdb_id}",
        "titleSlug": title.lower().replace(" ", "-"), "genres": ["Drama"], "tags": [],
        "added": "0001-01-01T00:00:00Z", "ratings": {"votes": 100, "value": 8.1},
    }  # fmt: skip
    if series_id is not None:
        resource.update({"id": series_id, "path": f"/tv/{title}",
                         "added": _iso(datetime(2025, 1, 1, tzinfo=UTC))})  # fmt: skip
    resource.update(extra)
    return resource


def movie_resource(movie_id: int | None, tmdb_id: int, title: str, **extra: Any) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "title": title, "originalTitle": title, "sortTitle": title.lower(), "sizeOnDisk": 0,
        "status": "announced", "overview": f"About {title}.", "images": _images(f"tmdb-{tmdb_id}"),
        "year": 2025, "qualityProfileId": 1, "hasFile": False, "movieFileId": 0,
        "monitored": True, "minimumAvailability": "announced", "isAvailable": False,
        "runtime": 120, "cleanTitle": title.lower().replace(" ", ""), "imdbId": f"tt{tmdb_id}",
        "tmdbId": tmdb_id, "titleSlug": str(tmdb_id), "genres": ["Action"], "tags": [],
        "added": "0001-01-01T00:00:00Z",
        "ratings": {"tmdb": {"votes": 50, "value": 7.2, "type": "user"}},
    }  # fmt: skip
    if movie_id is not None:
        resource.update({"id": movie_id, "path": f"/movies/{title}",
                         "added": _iso(datetime(2025, 1, 1, tzinfo=UTC))})  # fmt: skip
    resource.update(extra)
    return resource


def artist_resource(artist_id: int | None, mbid: str, name: str, **extra: Any) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "status": "continuing", "ended": False, "artistName": name, "foreignArtistId": mbid,
        "tadbId": 0, "discogsId": 0, "overview": f"About {name}.", "artistType": "Group",
        "disambiguation": "", "links": [], "images": _images(f"mb-{mbid}"),
        "qualityProfileId": 1, "metadataProfileId": 1, "monitored": True,
        "monitorNewItems": "all", "genres": ["Rock"], "cleanName": name.lower(),
        "sortName": name.lower(), "tags": [], "added": "0001-01-01T00:00:00Z",
        "ratings": {"votes": 10, "value": 9.0},
    }  # fmt: skip
    if artist_id is not None:
        resource.update({"id": artist_id, "path": f"/music/{name}",
                         "added": _iso(datetime(2025, 1, 1, tzinfo=UTC))})  # fmt: skip
    resource.update(extra)
    return resource


def episode_resource(episode_id: int, series_id: int, season: int, number: int,
                     aired: datetime, **extra: Any) -> dict[str, Any]:  # fmt: skip
    return {
        "id": episode_id, "seriesId": series_id, "tvdbId": 0, "episodeFileId": 0,
        "seasonNumber": season, "episodeNumber": number, "title": f"Episode {number}",
        "airDate": aired.date().isoformat(), "airDateUtc": _iso(aired), "runtime": 0,
        "overview": f"Episode {number}, where things happen; a lot.", "hasFile": False,
        "monitored": True, "unverifiedSceneNumbering": False, **extra,
    }  # fmt: skip


def album_resource(album_id: int, artist_id: int, title: str, released: datetime,
                   **extra: Any) -> dict[str, Any]:  # fmt: skip
    return {
        "id": album_id, "title": title, "disambiguation": "", "overview": f"{title}.",
        "artistId": artist_id, "foreignAlbumId": f"mb-album-{album_id}", "monitored": True,
        "anyReleaseOk": True, "profileId": 1, "duration": 0, "albumType": "Album",
        "secondaryTypes": [], "mediumCount": 1, "ratings": {"votes": 0, "value": 0.0},
        "releaseDate": _iso(released), "releases": [], "genres": [], "media": [],
        "images": [], "links": [],
        "statistics": {"trackFileCount": 0, "trackCount": 10, "totalTrackCount": 10,
                       "sizeOnDisk": 0, "percentOfTracks": 0.0},
        **extra,
    }  # fmt: skip


def catalog_state(product: str, today: datetime) -> dict[str, Any]:
    """A small catalog around `today` (midnight UTC): two titles in the library, one on
    the exclusion list, a lookup corpus, releases in the coming days."""
    day = today.replace(hour=0, minute=0, second=0, microsecond=0)
    profiles = [{"id": 1, "name": "HD-1080p", "upgradeAllowed": True, "cutoff": 7, "items": [],
                 "minFormatScore": 0, "cutoffFormatScore": 0, "formatItems": []},
                {"id": 4, "name": "Ultra-HD", "upgradeAllowed": False, "cutoff": 19, "items": [],
                 "minFormatScore": 0, "cutoffFormatScore": 0, "formatItems": []}]  # fmt: skip
    data: dict[str, Any] = {"quality_profiles": profiles, "added": [], "deleted": []}
    if product == "Sonarr":
        data["titles"] = {
            1: series_resource(1, 81189, "Broken Bad", tags=[1]),
            2: series_resource(2, 81190, "Better Call Paul", runtime=50),
        }
        data["corpus"] = [series_resource(None, 81189, "Broken Bad"),
                          series_resource(None, 90001, "The Newcomers"),
                          series_resource(None, 90002, "Newcomers, Again")]  # fmt: skip
        data["episodes"] = [
            episode_resource(101, 1, 1, 1, day + timedelta(days=1, hours=2)),
            episode_resource(102, 1, 1, 2, day + timedelta(days=8, hours=2), hasFile=True),
            episode_resource(201, 2, 3, 4, day + timedelta(hours=20), monitored=False),
            episode_resource(202, 2, 3, 5, day - timedelta(days=3)),
        ]
        data["exclusions"] = [{"id": 1, "tvdbId": 90002, "title": "Newcomers, Again"}]
    elif product == "Radarr":
        data["titles"] = {
            1: movie_resource(1, 603, "The Matrix Resumed", tags=[1],
                              inCinemas=_iso(day + timedelta(days=2)),
                              digitalRelease=_iso(day + timedelta(days=40)),
                              physicalRelease=_iso(day + timedelta(days=5))),
            2: movie_resource(2, 604, "Semicolon; The Movie, Part \\ II",
                              digitalRelease=_iso(day + timedelta(days=3)), hasFile=True),
        }  # fmt: skip
        data["corpus"] = [movie_resource(None, 603, "The Matrix Resumed"),
                          movie_resource(None, 700, "A New Film"),
                          movie_resource(None, 701, "Excluded Film")]  # fmt: skip
        data["exclusions"] = [{"id": 3, "tmdbId": 701, "movieTitle": "Excluded Film",
                               "movieYear": 2024}]  # fmt: skip
    else:
        data["titles"] = {1: artist_resource(1, "mb-artist-1", "The Loud Ones", tags=[1]),
                          2: artist_resource(2, "mb-artist-2", "Quiet Folk")}  # fmt: skip
        data["corpus"] = [artist_resource(None, "mb-artist-1", "The Loud Ones"),
                          artist_resource(None, "mb-new-artist", "New Sound"),
                          artist_resource(None, "mb-excluded", "Excluded Band")]  # fmt: skip
        data["albums"] = [album_resource(11, 1, "Louder", day + timedelta(days=4)),
                          album_resource(21, 2, "Hush", day + timedelta(days=60))]  # fmt: skip
        data["metadata_profiles"] = [{"id": 1, "name": "Standard", "primaryAlbumTypes": [],
                                      "secondaryAlbumTypes": [], "releaseStatuses": []},
                                     {"id": 2, "name": "None"}]  # fmt: skip
        data["exclusions"] = [{"id": 5, "foreignId": "mb-excluded",
                               "artistName": "Excluded Band"}]  # fmt: skip
    return data


# ---- routes ---------------------------------------------------------------------------------


def _library_titles(state: FakeArrState) -> dict[int, dict[str, Any]]:
    """The library: the catalog's titles plus what the library fake keeps."""
    titles: dict[int, dict[str, Any]] = dict(state.catalog.setdefault("titles", {}))
    held = state.library.get(LIBRARY_KEY[state.product])
    values = held.values() if isinstance(held, dict) else held if isinstance(held, list) else ()
    for item in values:
        if isinstance(item, dict) and isinstance(item.get("id"), int):
            titles.setdefault(item["id"], item)
    return titles


def _matches_term(state: FakeArrState, item: dict[str, Any], term: str) -> bool:
    key, prefix = EXTERNAL[state.product]
    scheme, sep, value = term.partition(":")
    if sep and scheme.lower() in (prefix, "imdb", "tmdb", "tvdb", "lidarr"):
        field = {"tvdb": "tvdbId", "tmdb": "tmdbId", "imdb": "imdbId", "lidarr": "foreignArtistId"}
        return str(item.get(field[scheme.lower()], "")) == value.strip()
    name = str(item.get("title") or item.get("artistName") or "")
    return term.strip().lower() in name.lower()


async def _lookup(request: web.Request) -> web.Response:
    from tests.fakes.servarr import STATE

    state = request.app[STATE]
    term = request.query.get("term", "")
    key, _ = EXTERNAL[state.product]
    library = _library_titles(state)
    by_external = {item.get(key): item for item in library.values()}
    results: list[dict[str, Any]] = []
    seen: set[Any] = set()
    for item in [*library.values(), *state.catalog.get("corpus", [])]:
        external = item.get(key)
        if external in seen or not _matches_term(state, item, term):
            continue
        seen.add(external)
        results.append(by_external.get(external, item))
    return web.json_response(results)


async def _add(request: web.Request) -> web.Response:
    from tests.fakes.servarr import STATE

    state = request.app[STATE]
    body = await request.json()
    state.catalog.setdefault("added", []).append(body)
    key, _ = EXTERNAL[state.product]
    prop, label, message, code = EXISTS[state.product]
    library = _library_titles(state)
    if any(item.get(key) == body.get(key) for item in library.values()):
        raise _validation([_failure(prop, label, message, body.get(key), code)])
    profiles = {p["id"] for p in state.catalog.get("quality_profiles", [])}
    if body.get("qualityProfileId") not in profiles:
        value = body.get("qualityProfileId")
        raise _validation([_failure("QualityProfileId", "Quality Profile Id",
                                    "Quality Profile does not exist", value,
                                    "QualityProfileExistsValidator")])  # fmt: skip
    if not body.get("rootFolderPath"):
        raise _validation([_failure("RootFolderPath", "Root Folder Path",
                                    "'Root Folder Path' must not be empty.", "",
                                    "NotEmptyValidator")])  # fmt: skip
    new_id = max([0, *library]) + 1
    name = body.get("title") or body.get("artistName") or str(new_id)
    resource = {k: v for k, v in body.items() if k not in ("addOptions", "rootFolderPath")}
    resource.update({"id": new_id, "path": f"{body['rootFolderPath'].rstrip('/')}/{name}",
                     "added": _iso(datetime.now(UTC))})  # fmt: skip
    state.catalog["titles"][new_id] = resource
    held = state.library.get(LIBRARY_KEY[state.product])
    if isinstance(held, dict):
        held[new_id] = resource
    elif isinstance(held, list):
        held.append(resource)
    return web.json_response(resource, status=201)


async def _delete(request: web.Request) -> web.Response:
    from tests.fakes.servarr import STATE

    state = request.app[STATE]
    title_id = int(request.match_info["id"])
    library = _library_titles(state)
    item = library.get(title_id)
    if item is None:
        raise _not_found()
    state.catalog.setdefault("deleted", []).append({"id": title_id, **dict(request.query)})
    state.catalog["titles"].pop(title_id, None)
    held = state.library.get(LIBRARY_KEY[state.product])
    if isinstance(held, dict):
        held.pop(title_id, None)
    elif isinstance(held, list):
        held[:] = [t for t in held if t.get("id") != title_id]
    if _flag(request, EXCLUSION_FLAG[state.product]):
        exclusions = state.catalog.setdefault("exclusions", [])
        new_id = max([0, *(e["id"] for e in exclusions)]) + 1
        if state.product == "Sonarr":
            exclusions.append({"id": new_id, "tvdbId": item.get("tvdbId"), "title": item["title"]})
        elif state.product == "Radarr":
            exclusions.append(
                {
                    "id": new_id,
                    "tmdbId": item.get("tmdbId"),
                    "movieTitle": item["title"],
                    "movieYear": item.get("year", 0),
                }
            )
        else:
            exclusions.append({"id": new_id, "foreignId": item.get("foreignArtistId"),
                               "artistName": item.get("artistName")})  # fmt: skip
    return web.Response(status=200)


def _range(request: web.Request) -> tuple[datetime, datetime]:
    now = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    start = _when(request.query.get("start")) or now
    end = _when(request.query.get("end")) or start + timedelta(days=2)
    return start, end


async def _calendar(request: web.Request) -> web.Response:  # noqa: PLR0912
    from tests.fakes.servarr import STATE

    state = request.app[STATE]
    start, end = _range(request)
    unmonitored = _flag(request, "unmonitored")
    library = _library_titles(state)
    out: list[dict[str, Any]] = []
    if state.product == "Sonarr":
        for ep in state.catalog.get("episodes", []):
            aired = _when(ep.get("airDateUtc"))
            if aired is None or not start <= aired <= end or ep["seriesId"] not in library:
                continue
            if not unmonitored and not ep.get("monitored"):
                continue
            shown = dict(ep)
            if _flag(request, "includeSeries"):
                shown["series"] = library[ep["seriesId"]]
            out.append(shown)
    elif state.product == "Radarr":
        for movie in library.values():
            dates = [_when(movie.get(k)) for k in ("inCinemas", "digitalRelease",
                                                  "physicalRelease")]  # fmt: skip
            if not any(d is not None and start <= d <= end for d in dates):
                continue
            if unmonitored or movie.get("monitored"):
                out.append(movie)
    else:
        for album in state.catalog.get("albums", []):
            released = _when(album.get("releaseDate"))
            if released is None or not start <= released <= end:
                continue
            if album["artistId"] not in library or not (unmonitored or album.get("monitored")):
                continue
            shown = dict(album)
            if _flag(request, "includeArtist"):
                shown["artist"] = library[album["artistId"]]
            out.append(shown)
    return web.json_response(out)


async def _quality_profiles(request: web.Request) -> web.Response:
    from tests.fakes.servarr import STATE

    return web.json_response(request.app[STATE].catalog.get("quality_profiles", []))


async def _metadata_profiles(request: web.Request) -> web.Response:
    from tests.fakes.servarr import STATE

    return web.json_response(request.app[STATE].catalog.get("metadata_profiles", []))


async def _exclusions(request: web.Request) -> web.Response:
    from tests.fakes.servarr import STATE

    return web.json_response(request.app[STATE].catalog.get("exclusions", []))


async def _exclusion_delete(request: web.Request) -> web.Response:
    from tests.fakes.servarr import STATE

    state = request.app[STATE]
    exclusion_id = int(request.match_info["id"])
    exclusions = state.catalog.get("exclusions", [])
    if not any(e["id"] == exclusion_id for e in exclusions):
        raise _not_found()
    state.catalog["exclusions"] = [e for e in exclusions if e["id"] != exclusion_id]
    return web.Response(status=200)


def _stored(state: FakeArrState, title_id: int) -> list[dict[str, Any]]:
    """Every stored copy of a title: the catalog's and the library fake's."""
    found = [t for t in (state.catalog.get("titles", {}).get(title_id),) if t is not None]
    held = state.library.get(LIBRARY_KEY[state.product])
    values = held.values() if isinstance(held, dict) else held if isinstance(held, list) else ()
    found += [t for t in values if isinstance(t, dict) and t.get("id") == title_id]
    return found


async def _editor(request: web.Request) -> web.Response:
    from tests.fakes.servarr import STATE

    state = request.app[STATE]
    try:
        body = await request.json()
    except ValueError:
        raise web.HTTPBadRequest(text=json.dumps({"message": "not JSON"}),
                                 content_type="application/json") from None  # fmt: skip
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text=json.dumps({"message": "expected an object"}),
                                 content_type="application/json")  # fmt: skip
    state.catalog.setdefault("edited", []).append(body)
    changes = {k: body[k] for k in EDITOR_FIELDS[state.product] if body.get(k) is not None}
    updated: list[dict[str, Any]] = []
    for title_id in body.get(EDITOR_IDS[state.product]) or []:
        copies = _stored(state, title_id) if isinstance(title_id, int) else []
        for copy in copies:
            copy.update(changes)
        if copies:
            updated.append(copies[-1])
    touch(state)
    shown = [{k: v for k, v in t.items() if v is not None} for t in updated]
    return web.json_response(shown, status=202)


async def _tag_create(request: web.Request) -> web.Response:
    from tests.fakes.servarr import STATE

    state = request.app[STATE]
    body = await request.json()
    label = str(body.get("label") or "").strip().lower()
    for tag in state.tags:
        if tag["label"].lower() == label:
            return web.json_response(tag, status=201)
    tag = {"id": max([0, *(t["id"] for t in state.tags)]) + 1, "label": label}
    state.tags.append(tag)
    return web.json_response(tag, status=201)


def add_catalog_routes(app: web.Application, state: FakeArrState) -> None:
    """Add the catalog routes for `state.product` under its API root."""
    root = state.api_root
    resource = RESOURCE[state.product]
    exclusions = EXCLUSIONS[state.product]
    if not state.catalog:  # a sample catalog around today unless the test brought its own
        state.catalog.update(catalog_state(state.product, datetime.now(UTC)))
    state.catalog.setdefault("titles", {})
    app.router.add_get(f"{root}/calendar", _calendar, allow_head=False)
    app.router.add_get(f"{root}/{resource}/lookup", _lookup, allow_head=False)
    app.router.add_post(f"{root}/{resource}", _add)
    app.router.add_delete(f"{root}/{resource}/{{id:\\d+}}", _delete)
    app.router.add_get(f"{root}/qualityprofile", _quality_profiles, allow_head=False)
    app.router.add_get(f"{root}/{exclusions}", _exclusions, allow_head=False)
    app.router.add_delete(f"{root}/{exclusions}/{{id:\\d+}}", _exclusion_delete)
    app.router.add_post(f"{root}/tag", _tag_create)
    app.router.add_put(f"{root}/{resource}/editor", _editor)
    if state.product == "Lidarr":
        app.router.add_get(f"{root}/metadataprofile", _metadata_profiles, allow_head=False)
