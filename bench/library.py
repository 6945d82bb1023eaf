"""Library cache: full refresh time and peak memory, a no-change refresh, search p99.

A fake Radarr (`--movies`, default 100k) and a fake Sonarr (`--series` series with
`--episodes` episodes in all, default 10k / 500k), from tests/fakes, run in this process
on free ports of 127.0.0.1; their replies are serialized before the clock starts (the
episodes too), so the fakes take little of the machine's CPU while the hub is measured,
as a real Sonarr on its own machine would. The hub runs as a subprocess (`python -m arrhub serve`, a
fresh data dir in a temporary folder), so its peak RSS is its own: `VmHWM` from
/proc/<pid>/status after each refresh. Everything goes through the hub's HTTP API:

1. full refresh: `POST /api/v1/library/refresh`, then `GET /api/v1/jobs/{id}` every 0.2 s
   until it ends (time = job `finished_at - started_at`, and the wall clock);
2. the same again with nothing changed (only hashes compared, nothing written);
3. search: `--queries` searches over HTTP (`GET /api/v1/library/items?q=...&limit=20`,
   one at a time; latency as the client sees it, so HTTP and JSON are included), a mix of
   whole words, prefixes of 3+ letters, typos, quoted phrases, years and text matching
   nothing, printed overall and per kind; beside them the same terms as a plain
   `title LIKE '%term%'` scan (`count(*)` + first 20 rows) on the hub's database file,
   opened read-only from this process, in the same run.

The instances keep their default limits (10 requests/s, 4 in flight) unless `--rate` /
`--concurrency` are given: the library's bulk reads are paced by the concurrency limit.

    .venv-test/bin/python bench/library.py [--movies 100000] [--series 10000]
                                          [--episodes 500000] [--queries 500]

Goals: refresh <= 30 s, peak RSS <= 300 MB, search p99 <= 20 ms. The exit status is
non-zero only when the measurement failed (a job that failed, a reply other than 200),
never because of the figures. See bench/README.md.
"""

# ruff: noqa: E402  (sys.path must be fixed before the imports below)
from __future__ import annotations

import os
import sys

# bench/http.py would shadow the standard library's `http` package: drop this folder.
_BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _BENCH_DIR]

import argparse
import asyncio
import contextlib
import random
import socket
import sqlite3
import statistics
import subprocess
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import yaml

ROOT = Path(__file__).resolve().parent.parent
for extra in (ROOT, ROOT / "addon"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from tests.fakes.servarr import DEFAULT_KEY, FakeArrState, make_arr_app
from tests.fakes.servarr_library import fill_library, prebuild_episodes
from tests.fakes.server import serve

GOAL_REFRESH_S = 30.0
GOAL_RSS_MB = 300.0
GOAL_P99_MS = 20.0
ADMIN, ADMIN_PASSWORD = "bench", "Bench-Passw0rd!"
LIMITS = dict.fromkeys(("read", "search", "write", "auth", "polling", "webhooks"), 1_000_000_000)


class BenchError(Exception):
    """The measurement itself failed; the figures would be meaningless."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


class Hub:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        data_dir.mkdir(parents=True)
        (data_dir / "arrhub.yaml").write_text(yaml.safe_dump({"rate_limits": LIMITS}))
        env = {k: v for k, v in os.environ.items() if not k.startswith("ARRHUB_")}
        env["PYTHONPATH"] = str(ROOT / "addon")
        self.log = (data_dir.parent / "hub.log").open("wb")
        self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [sys.executable, "-m", "arrhub", "serve", "--host", "127.0.0.1", "--port",
             str(self.port), "--data-dir", str(data_dir)],
            stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
        )  # fmt: skip
        self.headers: dict[str, str] = {}

    async def ready(self, session: aiohttp.ClientSession) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(f"the hub exited with {self.proc.returncode}")
            with contextlib.suppress(aiohttp.ClientError):
                async with session.get(f"{self.url}/health") as resp:
                    if resp.status == 200:
                        break
            await asyncio.sleep(0.1)
        else:
            raise BenchError("the hub did not start")
        await self.call(session, "POST", "/api/v1/auth/setup",
                        {"username": ADMIN, "password": ADMIN_PASSWORD}, ok=201)  # fmt: skip
        login = await self.call(session, "POST", "/api/v1/auth/login",
                                {"username": ADMIN, "password": ADMIN_PASSWORD})  # fmt: skip
        self.headers = {"Authorization": f"Bearer {login['token']}"}
        key = await self.call(session, "POST", "/api/v1/auth/keys", {"label": "bench"}, ok=201)
        self.headers = {"X-Api-Key": key["key"]}

    async def call(
        self,
        session: aiohttp.ClientSession,
        method: str,
        path: str,
        body: Any = None,
        ok: int = 200,
        params: dict[str, Any] | None = None,
    ) -> Any:
        async with session.request(
            method, self.url + path, json=body, params=params, headers=self.headers
        ) as resp:
            if resp.status != ok:
                raise BenchError(f"{method} {path}: {resp.status} {await resp.text()}")
            return await resp.json()

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


async def refresh(hub: Hub, session: aiohttp.ClientSession, label: str) -> dict[str, Any]:
    started = time.monotonic()
    reply = await hub.call(session, "POST", "/api/v1/library/refresh", {}, ok=202)
    while True:
        job = await hub.call(session, "GET", f"/api/v1/jobs/{reply['job_id']}")
        if job["state"] not in ("queued", "running"):
            break
        await asyncio.sleep(0.2)
    wall = time.monotonic() - started
    if job["state"] != "succeeded" or job["result"]["failed"]:
        raise BenchError(f"{label} refresh: {job}")
    took = (
        datetime.fromisoformat(job["finished_at"]) - datetime.fromisoformat(job["started_at"])
    ).total_seconds()
    rss = peak_rss_mb(hub.proc.pid)
    print(f"{label:<22} {wall:7.1f} s wall ({took:.0f} s by the job)   peak RSS {rss:6.0f} MB")
    for part in job["result"]["instances"]:
        print(f"    {part['instance_id']}: items {part['items']}  children {part['children']}")
    return {"wall": wall, "rss": rss}


def queries_from(titles: list[str], count: int, rng: random.Random) -> list[tuple[str, str]]:
    """(kind, text) pairs, the kinds in turn, as people type into a search box: whole
    words, word prefixes of 3+ letters, a typo (one letter dropped), a quoted phrase, a
    year, and text that matches nothing."""
    kinds = ("words", "prefix", "typo", "phrase", "year", "none")
    out = []
    for i in range(count):
        kind = kinds[i % len(kinds)]
        words = [w for w in rng.choice(titles).split() if any(c.isalnum() for c in w)] or ["x"]
        if kind == "words":
            text = " ".join(rng.sample(words, min(len(words), 2)))
        elif kind == "prefix":
            word = rng.choice(words)
            text = word[: max(3, len(word) // 2)]
        elif kind == "typo":
            word = max(words, key=len)
            cut = rng.randrange(1, len(word)) if len(word) > 3 else len(word)
            text = word[:cut] + word[cut + 1 :]
        elif kind == "phrase":
            text = '"' + " ".join(words[:2]) + '"'
        elif kind == "year":
            text = str(rng.randrange(1950, 2026))
        else:
            text = rng.choice(("zqxj", "xylophonist quartz", "wvutsr"))
        out.append((kind, text))
    return out


async def search(
    hub: Hub, session: aiohttp.ClientSession, queries: list[tuple[str, str]]
) -> list[float]:
    times = []
    for _, q in queries:
        started = time.perf_counter()
        await hub.call(session, "GET", "/api/v1/library/items", params={"q": q, "limit": 20})
        times.append((time.perf_counter() - started) * 1000)
    return times


def like_scan(database: Path, queries: list[tuple[str, str]]) -> list[float]:
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    times = []
    try:
        for _, q in queries:
            started = time.perf_counter()
            pattern = f"%{q.strip(chr(34))}%"
            conn.execute("SELECT count(*) FROM library_items WHERE title LIKE ?", (pattern,))
            conn.execute(
                "SELECT * FROM library_items WHERE title LIKE ? ORDER BY sort_key LIMIT 20",
                (pattern,),
            ).fetchall()
            times.append((time.perf_counter() - started) * 1000)
    finally:
        conn.close()
    return times


async def run(args: argparse.Namespace) -> int:
    rng = random.Random(7)  # noqa: S311 - reproducible queries, not secrets
    radarr = FakeArrState(product="Radarr")
    sonarr = FakeArrState(product="Sonarr")
    started = time.monotonic()
    fill_library(radarr, movies=args.movies, seed=1)
    per_series = max(args.episodes // max(args.series, 1), 0)
    fill_library(sonarr, series=args.series, episodes_per_series=per_series, seed=2)
    prebuild_episodes(sonarr)
    print(f"fakes: {args.movies} movies, {args.series} series x {per_series} episodes "
          f"(generated in {time.monotonic() - started:.1f} s)")  # fmt: skip
    titles = [m["title"] for m in radarr.library.get("movies", [])] or ["star wars"]
    with tempfile.TemporaryDirectory(prefix="arrhub-bench-") as tmp:
        hub = Hub(Path(tmp) / "data")
        try:
            async with (
                serve(make_arr_app(radarr)) as radarr_url,
                serve(make_arr_app(sonarr)) as sonarr_url,
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=600)) as session,
            ):
                await hub.ready(session)
                await hub.call(session, "PUT", "/api/v1/library/schedule", {"interval_minutes": 0})
                # The instance defaults (10 requests/s, 4 in flight) apply unless
                # `--rate`/`--concurrency` say otherwise: the library's bulk reads are
                # bounded by the concurrency limit, not by the polling rate.
                options: dict[str, Any] = {}
                if args.rate is not None:
                    options["rate_per_second"] = args.rate
                if args.concurrency is not None:
                    options["max_concurrency"] = args.concurrency
                for kind, url in (("radarr", radarr_url), ("sonarr", sonarr_url)):
                    await hub.call(session, "POST", "/api/v1/instances",
                                   {"type": kind, "name": kind, "url": url, "api_key": DEFAULT_KEY,
                                    "options": options}, ok=201)  # fmt: skip
                first = await refresh(hub, session, "full refresh")
                second = await refresh(hub, session, "refresh, no change")
                queries = queries_from(titles, args.queries, rng)
                await search(hub, session, queries[:20])  # warm-up
                fts = await search(hub, session, queries)
                like = like_scan(hub.data_dir / "arrhub.db", queries)
        finally:
            hub.stop()
    fts_p99, like_p99 = percentile(fts, 0.99), percentile(like, 0.99)
    print(f"search over HTTP      p50 {statistics.median(fts):6.2f} ms  p99 {fts_p99:6.2f} ms")
    print(f"LIKE '%term%' in SQL  p50 {statistics.median(like):6.2f} ms  p99 {like_p99:6.2f} ms")
    for kind in dict.fromkeys(k for k, _ in queries):
        mine = [t for (k, _), t in zip(queries, fts, strict=True) if k == kind]
        theirs = [t for (k, _), t in zip(queries, like, strict=True) if k == kind]
        print(f"    {kind:<8} n={len(mine):<4} search p50 {statistics.median(mine):6.2f} "
              f"p99 {percentile(mine, 0.99):6.2f} ms   LIKE p50 {statistics.median(theirs):6.2f} "
              f"p99 {percentile(theirs, 0.99):6.2f} ms")  # fmt: skip
    print(f"ratio LIKE/search p99: {like_p99 / fts_p99:.1f}x")
    checks = [
        ("full refresh", first["wall"] <= GOAL_REFRESH_S, f"<= {GOAL_REFRESH_S:.0f} s"),
        ("peak RSS", max(first["rss"], second["rss"]) <= GOAL_RSS_MB, f"<= {GOAL_RSS_MB:.0f} MB"),
        ("search p99", fts_p99 <= GOAL_P99_MS, f"<= {GOAL_P99_MS:.0f} ms"),
    ]
    for name, ok, goal in checks:
        print(f"goal {name} {goal}: {'PASS' if ok else 'BELOW GOAL'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--movies", type=int, default=100_000)
    parser.add_argument("--series", type=int, default=10_000)
    parser.add_argument("--episodes", type=int, default=500_000)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument(
        "--rate",
        type=float,
        default=None,
        help="instance requests/s (default: the instance default)",
    )
    parser.add_argument(
        "--concurrency", type=int, default=None,
        help="instance requests in flight (default: the instance default)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    try:
        return asyncio.run(run(args))
    except BenchError as err:
        print(f"measurement failed: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
