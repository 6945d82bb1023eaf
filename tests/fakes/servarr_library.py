"""The fake Servarr's library endpoints (see `servarr.py` for the shared behaviour).

Shaped after the specs (`../shared/upstream/{sonarr-v3,radarr-v3,lidarr-v1}`):
- Radarr `GET movie` (`?tmdbId=`), `GET movie/{id}`: MovieResource with `movieFile`,
  `ratings` per source (`{imdb: {votes, value, type}, tmdb: ...}`), `images`, `statistics`.
- Sonarr `GET series` (`?tvdbId=`), `GET series/{id}`: SeriesResource with `statistics` and
  per-season statistics; `GET episode?seriesId=` (`includeEpisodeFile=true` embeds the
  EpisodeFileResource of episodes that have one).
- Lidarr `GET artist` (`?mbId=`), `GET artist/{id}`, `GET album` (`?artistId=`; each
  album embeds its artist, as Lidarr does).
- `GET wanted/cutoff?page&pageSize`: the paged `{page, pageSize, sortKey, sortDirection,
  totalRecords, records}` of monitored episodes / movies / albums below their cutoff.
- Unknown ids answer 404 `{message, description}`; null fields are left out.

Data lives in `state.library`: `movies`, `series`, `artists`, `albums` (lists of spec-shaped
dicts), `episodes` (`{series_id: [episode, ...]}`, explicit ones) and `episode_plan`
(`{series_id: (first_id, count)}`: episodes generated on request, so 500k of them cost no
memory), `cutoff_albums` (album ids below cutoff). `fill_library()` makes a realistic
library (100k movies or 10k series x 50 episodes in a few seconds).

The full lists are serialized once and kept as chunks of bytes until the state changes;
replies larger than `STREAM_ABOVE` are streamed chunk by chunk (the fake holds one copy).
A change is noticed when a list is replaced or changes length (an add or a delete, also
by the catalog fake); after changing a record in place call `touch(state)`, or use
`set_title()`, `delete_item()`, `add_item()`. The fault switches apply (the middleware's,
and `truncate` for streamed replies here).
"""

from __future__ import annotations

import functools
import json
import random
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from tests.fakes.servarr import FakeArrState

#: Replies above this many bytes are streamed; below, one `web.Response` (which the
#: middleware's fault switches and the contract test's reply capture see).
STREAM_ABOVE = 1024 * 1024
#: Records per serialized chunk of a cached list.
RECORDS_PER_CHUNK = 500
WRITE_SIZE = 256 * 1024

LIST_KEYS = {"movie": "movies", "series": "series", "artist": "artists", "album": "albums"}

SPECIAL_TITLES = (
    "Amélie",
    "Spider-Man: No Way Home",
    "M*A*S*H",
    "Léon: The Professional",
    "Crouching Tiger, Hidden Dragon",
    "WALL·E",
    "Se7en",
    "Schindler's List",
    "The Good, the Bad and the Ugly",
    "千と千尋の神隠し",
    "Ça",
    "Æon Flux",
    "Star Wars: Episode IV – A New Hope",  # noqa: RUF001
    "Don't Look Up",
    "100% Wolf",
    "Zoë & the Bear",
    'The "Quoted" Film',
    "Back\\Slash",
    "Mr. & Mrs. Smith",
    "Ölümlü Dünya",
)
ADJECTIVES = (
    "Silent",
    "Crimson",
    "Last",
    "Hidden",
    "Broken",
    "Golden",
    "Frozen",
    "Lost",
    "Electric",
    "Quiet",
    "Burning",
    "Distant",
    "Wild",
    "Secret",
    "Iron",
    "Northern",
)
NOUNS = (
    "River",
    "Empire",
    "Garden",
    "Signal",
    "Harbor",
    "Machine",
    "Kingdom",
    "Winter",
    "Orchard",
    "Voyage",
    "Mirror",
    "Frontier",
    "Circus",
    "Lantern",
    "Station",
    "Tide",
)
GENRES = (
    "Action",
    "Adventure",
    "Animation",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Family",
    "Fantasy",
    "Horror",
    "Mystery",
    "Romance",
    "Science Fiction",
    "Thriller",
)
MUSIC_GENRES = ("Rock", "Jazz", "Electronic", "Folk", "Hip Hop", "Classical", "Metal", "Pop")
TAGS = (
    {"id": 1, "label": "alice"},
    {"id": 2, "label": "bob"},
    {"id": 3, "label": "4k"},
    {"id": 4, "label": "kids"},
)
LANG_EN = {"id": 1, "name": "English"}
_REVISION = {"version": 1, "real": 0, "isRepack": False}
RADARR_QUALITIES = tuple(
    {
        "quality": {
            "id": qid,
            "name": name,
            "source": source,
            "resolution": res,
            "modifier": "none",
        },
        "revision": _REVISION,
    }
    for qid, name, source, res in (
        (3, "WEBDL-1080p", "webdl", 1080),
        (7, "Bluray-1080p", "bluray", 1080),
        (19, "Bluray-2160p", "bluray", 2160),
        (14, "WEBRip-720p", "webrip", 720),
        (9, "HDTV-1080p", "tv", 1080),
    )
)
SONARR_QUALITIES = tuple(
    {
        "quality": {"id": qid, "name": name, "source": source, "resolution": res},
        "revision": _REVISION,
    }
    for qid, name, source, res in (
        (3, "WEBDL-1080p", "web", 1080),
        (9, "HDTV-1080p", "television", 1080),
        (4, "HDTV-720p", "television", 720),
        (7, "Bluray-1080p", "bluray", 1080),
    )
)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


_NOT_SLUG = re.compile(r"\W+")


@functools.lru_cache(maxsize=4096)
def _slug(title: str) -> str:
    return _NOT_SLUG.sub("-", title.lower()).strip("-_")


@functools.lru_cache(maxsize=65536)
def _day(year: int, month: int, day: int, plus: int = 0) -> str:
    return iso(datetime(year, month, day, tzinfo=UTC) + timedelta(days=plus))


@functools.lru_cache(maxsize=65536)
def _ago(now: datetime, hours: int) -> str:
    return iso(now - timedelta(hours=hours))


def _title(index: int) -> str:
    if index < len(SPECIAL_TITLES):
        return SPECIAL_TITLES[index]
    n = index - len(SPECIAL_TITLES)
    adjective, noun = ADJECTIVES[n % len(ADJECTIVES)], NOUNS[n // len(ADJECTIVES) % len(NOUNS)]
    round_ = n // (len(ADJECTIVES) * len(NOUNS))
    return f"The {adjective} {noun}" + (f" {round_ + 1}" if round_ else "")


def _ratings_pool(rng: random.Random) -> list[dict[str, Any]]:
    pool: list[dict[str, Any]] = [{"votes": 0, "value": 0.0}]  # not rated
    pool += [
        {"votes": rng.randrange(10, 90000), "value": round(rng.uniform(3, 9.6), 1)}
        for _ in range(40)
    ]
    return pool


# ---- generators ---------------------------------------------------------------------------


def movie_resource(
    movie_id: int, title: str, *, now: datetime, rng: random.Random, ratings: list[dict[str, Any]]
) -> dict[str, Any]:
    """A MovieResource; every 7th has no file, every 13th is below cutoff, every 11th is
    unmonitored, every 17th is announced (in the future, not available)."""
    announced = movie_id % 17 == 0
    has_file = not announced and movie_id % 7 != 0
    year = now.year + 1 if announced else 1950 + movie_id % 75
    released = (year, 1 + movie_id % 12, 1 + movie_id % 28)
    tmdb = 10_000 + movie_id
    size = 700_000_000 + (movie_id * 7_919_993) % 60_000_000_000 if has_file else 0
    folder = f"{title} ({year})"
    added = _ago(now, movie_id % 20_000)
    digital = _day(*released, 90)
    record: dict[str, Any] = {
        "id": movie_id,
        "title": title,
        "originalTitle": title,
        "originalLanguage": LANG_EN,
        "alternateTitles": [],
        "secondaryYearSourceId": 0,
        "sortTitle": title.lower(),
        "sizeOnDisk": size,
        "status": "announced" if announced else "released",
        "overview": f"{title}: a story told in {1 + movie_id % 3} acts.",
        "inCinemas": _day(*released),
        "physicalRelease": _day(*released, 120),
        "digitalRelease": digital,
        "releaseDate": digital,
        "images": [
            {
                "coverType": "poster",
                "url": f"/MediaCover/{movie_id}/poster.jpg",
                "remoteUrl": f"https://image.tmdb.org/t/p/original/p{tmdb}.jpg",
            }
        ],
        "website": "",
        "year": year,
        "youTubeTrailerId": "",
        "studio": "Studio Nine",
        "path": f"/movies/{folder}",
        "qualityProfileId": 1 + movie_id % 2,
        "hasFile": has_file,
        "movieFileId": movie_id if has_file else 0,
        "monitored": movie_id % 11 != 0,
        "minimumAvailability": "released",
        "isAvailable": not announced,
        "folderName": folder,
        "runtime": 85 + movie_id % 60,
        "cleanTitle": _slug(title).replace("-", ""),
        "imdbId": f"tt{1_000_000 + movie_id:07d}",
        "tmdbId": tmdb,
        "titleSlug": f"{_slug(title)}-{tmdb}",
        "rootFolderPath": "/movies/",
        "certification": "PG-13",
        "genres": [GENRES[movie_id % 14], GENRES[(movie_id * 3) % 14]],
        "keywords": [],
        "tags": [t["id"] for t in TAGS if movie_id % (t["id"] + 2) == 0],
        "added": added,
        "ratings": ratings[0 if movie_id % 10 == 0 else movie_id % len(ratings)],  # 0: unrated
        "popularity": round(rng.uniform(0, 100), 3),
        "statistics": {
            "movieFileCount": 1 if has_file else 0,
            "sizeOnDisk": size,
            "releaseGroups": ["GRP"] if has_file else [],
        },
    }
    if has_file:
        record["movieFile"] = {
            "id": movie_id,
            "movieId": movie_id,
            "relativePath": f"{folder}.mkv",
            "path": f"/movies/{folder}/{folder}.mkv",
            "size": size,
            "dateAdded": added,
            "releaseGroup": "GRP",
            "languages": [LANG_EN],
            "quality": RADARR_QUALITIES[movie_id % len(RADARR_QUALITIES)],
            "customFormats": [],
            "customFormatScore": 0,
            "indexerFlags": 0,
            "qualityCutoffNotMet": movie_id % 13 == 0,
        }
    return record


def episode_flags(
    series_id: int, index: int, count: int, ended: bool
) -> tuple[bool, bool, bool, bool]:
    """(aired, monitored, has_file, cutoff_unmet) of a generated episode: cheap, so the
    series statistics can be counted without building episodes."""
    aired = ended or index < count - 3  # a continuing series has 3 episodes to come
    spread = (series_id * 31 + index * 17) % 20
    monitored = spread != 0
    has_file = aired and spread < 15
    return aired, monitored, has_file, has_file and spread % 6 == 1


def _episode(
    series_id: int,
    first_id: int,
    index: int,
    count: int,
    *,
    ended: bool,
    now: datetime,
    with_file: bool,
) -> dict[str, Any]:
    aired, monitored, has_file, cutoff = episode_flags(series_id, index, count, ended)
    season, number = 1 + index // 10, 1 + index % 10
    when = (
        now + timedelta(days=7 * (index - count + 3) + 1)
        if not aired
        else (now - timedelta(days=7 * (count - index) + series_id % 30))
    )
    episode_id = first_id + index
    record: dict[str, Any] = {
        "id": episode_id,
        "seriesId": series_id,
        "tvdbId": 5_000_000 + episode_id,
        "episodeFileId": episode_id if has_file else 0,
        "seasonNumber": season,
        "episodeNumber": number,
        "title": f"Chapter {number}: {NOUNS[index % len(NOUNS)]}",
        "airDate": when.date().isoformat(),
        "airDateUtc": iso(when),
        "runtime": 45,
        "overview": "Things happen.",
        "hasFile": has_file,
        "monitored": monitored,
        "absoluteEpisodeNumber": index + 1,
        "unverifiedSceneNumbering": False,
    }
    if has_file and with_file:
        name = f"S{season:02d}E{number:02d}.mkv"
        record["episodeFile"] = {
            "id": episode_id,
            "seriesId": series_id,
            "seasonNumber": season,
            "relativePath": f"Season {season:02d}/{name}",
            "path": f"/tv/{series_id}/Season {season:02d}/{name}",
            "size": 300_000_000 + episode_id % 1_000_000_000,
            "dateAdded": iso(when),
            "releaseGroup": "GRP",
            "languages": [LANG_EN],
            "quality": SONARR_QUALITIES[episode_id % len(SONARR_QUALITIES)],
            "customFormats": [],
            "customFormatScore": 0,
            "indexerFlags": 0,
            "releaseType": "singleEpisode",
            "qualityCutoffNotMet": cutoff,
        }
    return record


def _series_stats(
    series_id: int, count: int, ended: bool
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """`statistics` of a generated series and of its seasons, from `episode_flags`."""
    seasons: dict[int, list[int]] = {}
    for index in range(count):
        aired, monitored, has_file, _ = episode_flags(series_id, index, count, ended)
        counts = seasons.setdefault(1 + index // 10, [0, 0, 0, 0])
        counts[0] += 1
        counts[1] += has_file
        counts[2] += (monitored and aired) or has_file
        counts[3] += (300_000_000 + index) if has_file else 0
    total = [sum(c[i] for c in seasons.values()) for i in range(4)]

    def block(c: list[int]) -> dict[str, Any]:
        return {
            "episodeFileCount": c[1],
            "episodeCount": c[2],
            "totalEpisodeCount": c[0],
            "sizeOnDisk": c[3],
            "releaseGroups": ["GRP"] if c[1] else [],
            "percentOfEpisodes": round(100.0 * c[1] / c[2], 1) if c[2] else 0.0,
        }

    per_season = [
        {"seasonNumber": n, "monitored": True, "statistics": block(c)}
        for n, c in sorted(seasons.items())
    ]
    return {"seasonCount": len(seasons), **block(total)}, per_season


def series_resource(
    series_id: int, title: str, count: int, *, now: datetime, ratings: list[dict[str, Any]]
) -> dict[str, Any]:
    ended = series_id % 3 == 0
    year = 1990 + series_id % 35
    tvdb = 70_000 + series_id
    stats, seasons = _series_stats(series_id, count, ended)
    return {
        "id": series_id,
        "title": title,
        "alternateTitles": [],
        "sortTitle": title.lower(),
        "status": "ended" if ended else "continuing",
        "ended": ended,
        "overview": f"{title}, a series.",
        "network": "HBO",
        "airTime": "21:00",
        "images": [
            {
                "coverType": "poster",
                "url": f"/MediaCover/{series_id}/poster.jpg",
                "remoteUrl": f"https://artworks.thetvdb.com/banners/posters/{tvdb}-1.jpg",
            }
        ],
        "originalLanguage": LANG_EN,
        "seasons": seasons,
        "year": year,
        "path": f"/tv/{title}",
        "qualityProfileId": 1,
        "seasonFolder": True,
        "monitored": series_id % 9 != 0,
        "monitorNewItems": "all",
        "useSceneNumbering": False,
        "runtime": 45,
        "tvdbId": tvdb,
        "tvRageId": 0,
        "tvMazeId": 0,
        "tmdbId": 90_000 + series_id,
        "firstAired": iso(datetime(year, 1, 10, tzinfo=UTC)),
        "seriesType": "standard",
        "cleanTitle": _slug(title).replace("-", ""),
        "imdbId": f"tt{2_000_000 + series_id:07d}",
        "titleSlug": _slug(title),
        "rootFolderPath": "/tv/",
        "certification": "TV-14",
        "genres": [GENRES[series_id % 14]],
        "tags": [t["id"] for t in TAGS if series_id % (t["id"] + 1) == 0],
        "added": iso(now - timedelta(days=series_id % 900)),
        "ratings": ratings[series_id % len(ratings)],
        "statistics": stats,
        "languageProfileId": 1,
    }


def artist_resource(
    artist_id: int, name: str, album_ids: list[int], *, now: datetime, ratings: list[dict[str, Any]]
) -> dict[str, Any]:
    tracks = 10 * len(album_ids)
    files = sum(10 for a in album_ids if a % 4 != 0)
    return {
        "id": artist_id,
        "status": "ended" if artist_id % 5 == 0 else "continuing",
        "ended": artist_id % 5 == 0,
        "artistName": name,
        "foreignArtistId": f"a{artist_id:07d}-0000-4000-8000-000000000000",
        "tadbId": 0,
        "discogsId": 0,
        "overview": f"{name} play loud.",
        "artistType": "Group",
        "disambiguation": "",
        "links": [],
        "images": [
            {
                "url": f"/MediaCover/Artist/{artist_id}/poster.jpg",
                "coverType": "poster",
                "extension": ".jpg",
                "remoteUrl": f"https://assets.fanart.tv/fanart/music/{artist_id}.jpg",
            }
        ],
        "path": f"/music/{name}",
        "qualityProfileId": 1,
        "metadataProfileId": 1,
        "monitored": artist_id % 6 != 0,
        "monitorNewItems": "all",
        "rootFolderPath": "/music/",
        "genres": [MUSIC_GENRES[artist_id % len(MUSIC_GENRES)]],
        "cleanName": _slug(name).replace("-", ""),
        "sortName": name.lower(),
        "tags": [t["id"] for t in TAGS if artist_id % (t["id"] + 1) == 0],
        "added": iso(now - timedelta(days=artist_id % 400)),
        "ratings": ratings[artist_id % len(ratings)],
        "statistics": {
            "albumCount": len(album_ids),
            "trackFileCount": files,
            "trackCount": tracks,
            "totalTrackCount": tracks,
            "sizeOnDisk": files * 30_000_000,
            "percentOfTracks": round(100.0 * files / tracks, 1) if tracks else 0.0,
        },
    }


def album_resource(
    album_id: int, artist: dict[str, Any], index: int, *, now: datetime
) -> dict[str, Any]:
    """Every 4th album has no files (missing when monitored), every 5th is below cutoff."""
    has_files = album_id % 4 != 0
    title = f"{ADJECTIVES[album_id % 16]} {NOUNS[index % 16]}"
    return {
        "id": album_id,
        "title": title,
        "disambiguation": "",
        "overview": f"{title}.",
        "artistId": artist["id"],
        "foreignAlbumId": f"b{album_id:07d}-0000-4000-8000-000000000000",
        "monitored": album_id % 7 != 0,
        "anyReleaseOk": True,
        "profileId": 1,
        "duration": 2_400_000,
        "albumType": "Album",
        "secondaryTypes": [],
        "mediumCount": 1,
        "ratings": {"votes": 0, "value": 0.0},
        "releaseDate": iso(now - timedelta(days=365 * (index + 1) + album_id % 200)),
        "releases": [],
        "genres": artist["genres"],
        "media": [],
        "artist": artist,
        "images": [
            {
                "url": f"/MediaCover/Albums/{album_id}/cover.jpg",
                "coverType": "cover",
                "extension": ".jpg",
                "remoteUrl": f"https://coverartarchive.org/release/{album_id}/front.jpg",
            }
        ],
        "links": [],
        "statistics": {
            "trackFileCount": 10 if has_files else 0,
            "trackCount": 10,
            "totalTrackCount": 10,
            "sizeOnDisk": 300_000_000 if has_files else 0,
            "percentOfTracks": 100.0 if has_files else 0.0,
        },
    }


def fill_library(
    state: FakeArrState,
    *,
    movies: int = 0,
    series: int = 0,
    episodes_per_series: int = 0,
    artists: int = 0,
    albums_per_artist: int = 0,
    seed: int = 7,
) -> dict[str, Any]:
    """Fill `state.library` (and `state.tags` when empty) with generated titles.

    Ids start at 1 in each list. Titles begin with `SPECIAL_TITLES` (non-ASCII, quotes,
    punctuation), then "The <Adjective> <Noun> [n]".
    """
    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    ratings = _ratings_pool(rng)
    library = state.library
    library["now"] = now
    if not state.tags:
        state.tags = [dict(t) for t in TAGS]
    if movies:
        per_source = [
            {"imdb": {**a, "type": "user"}, "tmdb": {**b, "type": "user"}}
            for a, b in zip(ratings, ratings[7:] + ratings[:7], strict=True)
        ]
        per_source[0] = {
            "imdb": {**ratings[0], "type": "user"},
            "tmdb": {**ratings[0], "type": "user"},
        }
        library["movies"] = [
            movie_resource(i, _title(i - 1), now=now, rng=rng, ratings=per_source)
            for i in range(1, movies + 1)
        ]
    if series:
        library["series"] = [
            series_resource(i, _title(i - 1), episodes_per_series, now=now, ratings=ratings)
            for i in range(1, series + 1)
        ]
        library["episode_plan"] = {
            i: (1 + (i - 1) * episodes_per_series, episodes_per_series)
            for i in range(1, series + 1)
        }
        library.setdefault("episodes", {})
    if artists:
        album_ids = iter(range(1, artists * albums_per_artist + 1))
        library["artists"], library["albums"] = [], []
        for i in range(1, artists + 1):
            mine = [next(album_ids) for _ in range(albums_per_artist)]
            artist = artist_resource(i, _title(i - 1), mine, now=now, ratings=ratings)
            library["artists"].append(artist)
            library["albums"] += [album_resource(a, artist, n, now=now) for n, a in enumerate(mine)]
        library["cutoff_albums"] = {
            a["id"]
            for a in library["albums"]
            if a["id"] % 5 == 0 and a["statistics"]["trackFileCount"]
        }
    touch(state)
    return library


# ---- mutations ---------------------------------------------------------------------------


def touch(state: FakeArrState) -> None:
    """Say the library changed (after editing a record in place): cached replies go."""
    state.library["version"] = state.library.get("version", 0) + 1
    state.library.pop("_cache", None)


def set_title(state: FakeArrState, key: str, item_id: int, title: str) -> dict[str, Any]:
    """Rename one title (`key`: movies, series, artists, albums)."""
    item = _by_id(state, key)[item_id]
    item["artistName" if key == "artists" else "title"] = title
    touch(state)
    return item


def delete_item(state: FakeArrState, key: str, item_id: int) -> None:
    state.library[key] = [i for i in state.library.get(key, []) if i.get("id") != item_id]
    touch(state)


def add_item(state: FakeArrState, key: str, item: dict[str, Any]) -> dict[str, Any]:
    state.library.setdefault(key, []).append(item)
    touch(state)
    return item


def episodes_of(
    state: FakeArrState, series_id: int, *, with_file: bool = True
) -> list[dict[str, Any]]:
    """One series' episodes (explicit ones, or generated from the plan)."""
    explicit = state.library.get("episodes", {}).get(series_id)
    if explicit is not None:
        return [
            e if with_file else {k: v for k, v in e.items() if k != "episodeFile"} for e in explicit
        ]
    plan = state.library.get("episode_plan", {}).get(series_id)
    if plan is None:
        return []
    first, count = plan
    series = _by_id(state, "series").get(series_id, {})
    now = state.library.get("now") or datetime.now(UTC)
    ended = bool(series.get("ended"))
    return [
        _episode(series_id, first, i, count, ended=ended, now=now, with_file=with_file)
        for i in range(count)
    ]


# ---- serving ---------------------------------------------------------------------------


def _fingerprint(state: FakeArrState, key: str) -> tuple[Any, ...]:
    held = state.library.get(key)
    return (state.library.get("version", 0), id(held), len(held) if held is not None else -1)


def _items(state: FakeArrState, key: str) -> list[dict[str, Any]]:
    held = state.library.get(key)
    if isinstance(held, dict):  # the catalog fake accepts an id-keyed dict too
        return list(held.values())
    return list(held) if isinstance(held, list) else []


def _by_id(state: FakeArrState, key: str) -> dict[int, dict[str, Any]]:
    cache = state.library.setdefault("_cache", {})
    mark = _fingerprint(state, key)
    hit = cache.get(("index", key))
    if hit is None or hit[0] != mark:
        hit = (mark, {i["id"]: i for i in _items(state, key) if isinstance(i.get("id"), int)})
        cache[("index", key)] = hit
    index: dict[int, dict[str, Any]] = hit[1]
    return index


def _shown(record: dict[str, Any]) -> dict[str, Any]:
    """Null fields left out, as Servarr's serializer does."""
    return {k: v for k, v in record.items() if v is not None}


def serialize(records: list[dict[str, Any]]) -> list[bytes]:
    """A JSON array as chunks of bytes, `RECORDS_PER_CHUNK` records each."""
    if not records:
        return [b"[]"]
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    chunks = []
    for start in range(0, len(records), RECORDS_PER_CHUNK):
        part = ",".join(encode(_shown(r)) for r in records[start : start + RECORDS_PER_CHUNK])
        lead = "[" if start == 0 else ","
        chunks.append((lead + part).encode())
    chunks[-1] += b"]"
    return chunks


def cached_list(state: FakeArrState, key: str) -> list[bytes]:
    """The serialized full list under `key`, built once per state of the library."""
    cache = state.library.setdefault("_cache", {})
    mark = _fingerprint(state, key)
    hit = cache.get(("list", key))
    if hit is None or hit[0] != mark:
        hit = (mark, serialize(_items(state, key)))
        cache[("list", key)] = hit
    chunks: list[bytes] = hit[1]
    return chunks


async def _send(request: web.Request, chunks: list[bytes]) -> web.StreamResponse:
    """Small: one Response. Large: streamed (cut in half when `truncate` is on)."""
    from tests.fakes.servarr import STATE

    size = sum(len(c) for c in chunks)
    if size <= STREAM_ABOVE:
        return web.Response(body=b"".join(chunks), content_type="application/json")
    state = request.app[STATE]
    resp = web.StreamResponse(status=200)
    resp.content_type = "application/json"
    resp.charset = "utf-8"
    resp.content_length = size
    await resp.prepare(request)
    limit = size // 2 if state.truncate else size
    sent = 0
    for whole in _pieces(chunks):
        piece = whole[: max(0, limit - sent)]
        if not piece:
            break
        await resp.write(piece)
        sent += len(piece)
    if sent < size:
        if request.transport is not None:
            request.transport.close()
        return resp
    await resp.write_eof()
    return resp


def _pieces(chunks: list[bytes]) -> Iterator[memoryview]:
    for chunk in chunks:
        view = memoryview(chunk)
        for start in range(0, len(view), WRITE_SIZE):
            yield view[start : start + WRITE_SIZE]


def _json(data: Any) -> web.Response:
    return web.Response(
        text=json.dumps(data, ensure_ascii=False, separators=(",", ":")),
        content_type="application/json",
    )


def _not_found() -> web.HTTPNotFound:
    return web.HTTPNotFound(
        text=json.dumps({"message": "NotFound", "description": "NotFound"}),
        content_type="application/json",
    )


def _int(request: web.Request, name: str) -> int | None:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise web.HTTPBadRequest(
            text=json.dumps({"message": f"'{name}' must be an integer"}),
            content_type="application/json",
        ) from None


def _state(request: web.Request) -> FakeArrState:
    from tests.fakes.servarr import STATE

    return request.app[STATE]


def _list_handler(resource: str, filter_param: str | None, filter_field: str | None) -> Any:
    key = LIST_KEYS[resource]

    async def handler(request: web.Request) -> web.StreamResponse:
        state = _state(request)
        wanted = request.query.get(filter_param) if filter_param else None
        if wanted is not None and filter_field is not None:
            found = [_shown(i) for i in _items(state, key) if str(i.get(filter_field)) == wanted]
            return _json(found)
        return await _send(request, cached_list(state, key))

    return handler


def _one_handler(resource: str) -> Any:
    key = LIST_KEYS[resource]

    async def handler(request: web.Request) -> web.Response:
        item = _by_id(_state(request), key).get(int(request.match_info["id"]))
        if item is None:
            raise _not_found()
        return _json(_shown(item))

    return handler


async def _episodes(request: web.Request) -> web.Response:
    state = _state(request)
    series_id = _int(request, "seriesId")
    if series_id is None:
        raise web.HTTPBadRequest(
            text=json.dumps({"message": "seriesId or episodeIds must be provided"}),
            content_type="application/json",
        )
    if series_id not in _by_id(state, "series"):
        raise _not_found()
    with_file = request.query.get("includeEpisodeFile", "false").lower() in ("true", "1")
    if series_id in state.library.get("episodes", {}):  # explicit ones: tests edit them
        return _json([_shown(e) for e in episodes_of(state, series_id, with_file=with_file)])
    return web.Response(
        body=episode_reply(state, series_id, with_file=with_file), content_type="application/json"
    )


def episode_reply(state: FakeArrState, series_id: int, *, with_file: bool) -> bytes:
    """A generated series' episodes as JSON, built once per state of the library."""
    cache = state.library.setdefault("_cache", {})
    key = ("episodes", series_id, with_file)
    hit = cache.get(key)
    if hit is None:
        records = [_shown(e) for e in episodes_of(state, series_id, with_file=with_file)]
        hit = cache[key] = json.dumps(records, ensure_ascii=False, separators=(",", ":")).encode()
    body: bytes = hit
    return body


def prebuild_episodes(state: FakeArrState, *, with_file: bool = True) -> None:
    """Serialize every generated series' episodes now, so that serving them costs the
    benchmark's CPUs nothing while it measures the hub (a real Sonarr answers from its
    own machine)."""
    for series_id in _by_id(state, "series"):
        if series_id not in state.library.get("episodes", {}):
            episode_reply(state, series_id, with_file=with_file)


async def _albums(request: web.Request) -> web.StreamResponse:
    state = _state(request)
    artist_id = _int(request, "artistId")
    if artist_id is None:
        return await _send(request, cached_list(state, "albums"))
    mine = [_shown(a) for a in _items(state, "albums") if a.get("artistId") == artist_id]
    return _json(mine)


def _cutoff_refs(state: FakeArrState) -> list[Any]:
    """Monitored items below their cutoff, in id order: records, or `(series_id, index)`
    of generated episodes (built only for the page asked)."""
    if state.product == "Radarr":
        return [
            m
            for m in _items(state, "movies")
            if m.get("monitored") and (m.get("movieFile") or {}).get("qualityCutoffNotMet")
        ]
    if state.product == "Lidarr":
        below = state.library.get("cutoff_albums", set())
        return [a for a in _items(state, "albums") if a.get("monitored") and a["id"] in below]
    found: list[Any] = []
    explicit = state.library.get("episodes", {})
    plans = state.library.get("episode_plan", {})
    series = _by_id(state, "series")
    for series_id in sorted(series):
        if series_id in explicit or series_id not in plans:
            found += [
                e
                for e in explicit.get(series_id, [])
                if e.get("monitored") and (e.get("episodeFile") or {}).get("qualityCutoffNotMet")
            ]
            continue
        _, count = plans[series_id]
        ended = bool(series[series_id].get("ended"))
        for index in range(count):
            _, monitored, _, cutoff = episode_flags(series_id, index, count, ended)
            if monitored and cutoff:
                found.append((series_id, index))
    return found


def _cutoff_records(state: FakeArrState, start: int, size: int) -> tuple[int, list[dict[str, Any]]]:
    cache = state.library.setdefault("_cache", {})
    mark = (
        _fingerprint(state, "series"),
        _fingerprint(state, "movies"),
        _fingerprint(state, "albums"),
    )
    hit = cache.get("cutoff")
    if hit is None or hit[0] != mark:
        hit = (mark, _cutoff_refs(state))
        cache["cutoff"] = hit
    refs: list[Any] = hit[1]
    page: list[dict[str, Any]] = []
    for ref in refs[start : start + size]:
        if isinstance(ref, dict):
            page.append(ref)
            continue
        series_id, index = ref
        first, count = state.library["episode_plan"][series_id]
        ended = bool(_by_id(state, "series")[series_id].get("ended"))
        now = state.library.get("now") or datetime.now(UTC)
        page.append(_episode(series_id, first, index, count, ended=ended, now=now, with_file=False))
    return len(refs), page


async def _wanted_cutoff(request: web.Request) -> web.Response:
    state = _state(request)
    page = max(1, _int(request, "page") or 1)
    size = max(1, _int(request, "pageSize") or 10)
    total, shown = _cutoff_records(state, (page - 1) * size, size)
    if state.product == "Sonarr":
        shown = [{k: v for k, v in e.items() if k != "episodeFile"} for e in shown]
    return _json(
        {
            "page": page,
            "pageSize": size,
            "sortKey": request.query.get("sortKey", "id"),
            "sortDirection": request.query.get("sortDirection", "default"),
            "totalRecords": total,
            "records": [_shown(r) for r in shown],
        }
    )


def add_library_routes(app: web.Application, state: FakeArrState) -> None:
    """Add the library routes for `state.product` under its API root."""
    root = state.api_root
    route = app.router.add_get
    if state.product == "Radarr":
        route(f"{root}/movie", _list_handler("movie", "tmdbId", "tmdbId"), allow_head=False)
        route(f"{root}/movie/{{id:\\d+}}", _one_handler("movie"), allow_head=False)
    elif state.product == "Sonarr":
        route(f"{root}/series", _list_handler("series", "tvdbId", "tvdbId"), allow_head=False)
        route(f"{root}/series/{{id:\\d+}}", _one_handler("series"), allow_head=False)
        route(f"{root}/episode", _episodes, allow_head=False)
    elif state.product == "Lidarr":
        route(
            f"{root}/artist", _list_handler("artist", "mbId", "foreignArtistId"), allow_head=False
        )
        route(f"{root}/artist/{{id:\\d+}}", _one_handler("artist"), allow_head=False)
        route(f"{root}/album", _albums, allow_head=False)
    else:
        return
    route(f"{root}/wanted/cutoff", _wanted_cutoff, allow_head=False)


__all__ = [
    "add_item",
    "add_library_routes",
    "cached_list",
    "delete_item",
    "episodes_of",
    "fill_library",
    "serialize",
    "set_title",
    "touch",
]
