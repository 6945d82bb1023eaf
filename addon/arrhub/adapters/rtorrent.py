"""rTorrent: XML-RPC over SCGI (`scgi://host:port`, `scgi:///path.sock`) or HTTP (`.../RPC2`).

rTorrent has no HTTP server of its own: people either point clients at its SCGI port, or
put a web server in front (nginx `scgi_pass`, ruTorrent's setups) that exposes XML-RPC
at `/RPC2`, often behind Basic auth. Both go through `Adapter.call()`.

Choices, since rTorrent's model differs from the other clients:
- Pause is `d.pause` (the item stays open and started but inactive, as ruTorrent's
  "pause"); resume is `d.start` then `d.resume`, which resumes a paused item and also
  starts a stopped one (`d.resume` alone on a stopped item leaves it half-started).
  Both a stopped and a paused item read as `paused`.
- There is no global pause: `pause_all` pauses every active item; `resume_all`
  resumes the items that are paused (started but inactive) and leaves stopped ones
  stopped, so what the user stopped on purpose stays stopped.
- rTorrent never deletes data. With `delete_data` the adapter reads the item's file
  list before `d.erase`, then has rTorrent itself (`execute.throw`, no shell) remove
  exactly those files and, deepest first, the folders they leave empty (`rmdir` only
  removes empty folders). Nothing outside the torrent's own files is touched, and it
  works when rTorrent runs on another machine or in a container. If rTorrent refuses
  `execute` the item is gone but the error says its data stayed.
- Priority is `d.priority` (0 off, 1 low, 2 normal, 3 high); there is no "force".
- No queue order, no alternative speed mode, no failed items to retry: `Unsupported`.
- The label is `d.custom1`, as ruTorrent and the *arr apps use it.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import posixpath
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any
from urllib.parse import unquote

from yarl import URL

from arrhub.adapters import scgi
from arrhub.adapters.base import UpstreamModel
from arrhub.adapters.categories import DownloadClientAdapter
from arrhub.adapters.errors import (
    BadResponse,
    NotFoundUpstream,
    NotThatService,
    Unreachable,
    Unsupported,
)
from arrhub.adapters.registry import register
from arrhub.adapters.xmlrpc import (
    XmlRpcFault,
    build_request,
    multicall,
    multicall_results,
    parse_response,
)
from arrhub.models.upstream import (
    DownloadItem,
    DownloadState,
    Priority,
    ProbeResult,
    TransferStats,
)

#: (field, rTorrent command) for `d.multicall2`, in order.
ITEM_FIELDS: tuple[tuple[str, str], ...] = (
    ("hash", "d.hash="),
    ("name", "d.name="),
    ("size_bytes", "d.size_bytes="),
    ("left_bytes", "d.left_bytes="),
    ("down_rate", "d.down.rate="),
    ("up_rate", "d.up.rate="),
    ("state", "d.state="),
    ("is_open", "d.is_open="),
    ("is_active", "d.is_active="),
    ("complete", "d.complete="),
    ("is_hash_checking", "d.is_hash_checking="),
    ("label", "d.custom1="),
    ("ratio", "d.ratio="),
    ("load_date", "d.load_date="),
    ("finished", "d.timestamp.finished="),
    ("directory", "d.directory="),
    ("is_multi_file", "d.is_multi_file="),
    ("message", "d.message="),
    ("priority", "d.priority="),
    ("peers", "d.peers_connected="),
)
STATE_FIELDS: tuple[tuple[str, str], ...] = (
    ("hash", "d.hash="),
    ("state", "d.state="),
    ("is_active", "d.is_active="),
    ("complete", "d.complete="),
    ("is_hash_checking", "d.is_hash_checking="),
)
PRIORITY_TO_RTORRENT = {Priority.LOW: 1, Priority.NORMAL: 2, Priority.HIGH: 3}
RTORRENT_TO_PRIORITY = {0: Priority.LOW, 1: Priority.LOW, 2: Priority.NORMAL, 3: Priority.HIGH}
LIST_MAX_REPLY = 128 * 1024 * 1024
#: Paths per `rm`/`rmdir` call, so a torrent of thousands of files stays in bounds.
PATHS_PER_CALL = 200
#: A torrent rTorrent accepted shows up within moments; one it dropped never does.
LOAD_CHECKS = 10
LOAD_CHECK_PAUSE = 0.2


class RtorrentRow(UpstreamModel):
    hash: str
    name: str = ""
    size_bytes: int = 0
    left_bytes: int = 0
    down_rate: int = 0
    up_rate: int = 0
    state: int = 0
    is_open: int = 0
    is_active: int = 0
    complete: int = 0
    is_hash_checking: int = 0
    label: str = ""
    ratio: int = 0
    load_date: int = 0
    finished: int = 0
    directory: str = ""
    is_multi_file: int = 0
    message: str = ""
    priority: int = 2
    peers: int = 0


class RtorrentState(UpstreamModel):
    hash: str
    state: int = 0
    is_active: int = 0
    complete: int = 0
    is_hash_checking: int = 0


@register
class RtorrentAdapter(DownloadClientAdapter):
    kind = "rtorrent"
    display_name = "rTorrent"
    category = "torrent"
    capabilities = frozenset({"queue", "pause", "remove", "add", "priority", "global_pause"})
    required_fields = ()
    optional_fields = ("username", "password")
    default_port = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._scgi: scgi.ScgiTarget | None = None
        self._url_error: str | None = None
        if self.base_url.startswith("scgi://"):
            try:
                self._scgi = scgi.ScgiTarget.from_url(self.base_url)
            except ValueError as err:
                self._url_error = str(err)

    # ---- transport -----------------------------------------------------------------------

    @property
    def transport(self) -> str:
        return "scgi" if self._scgi is not None else "http"

    def url(self, path: str) -> URL:
        """XML-RPC over HTTP posts to the configured URL itself (default path `/RPC2`)."""
        base = URL(self.base_url)
        if not path:
            return base if base.path not in ("", "/") else base.with_path("/RPC2")
        return super().url(path)

    def auth_headers(self) -> dict[str, str]:
        if self.config.username is None and self.config.password is None:
            return {}
        token = f"{self.config.username or ''}:{self.config.password or ''}".encode()
        return {"Authorization": "Basic " + base64.b64encode(token).decode("ascii")}

    async def rpc(
        self, method: str, *params: Any, idempotent: bool = True, max_bytes: int | None = None
    ) -> Any:
        """One XML-RPC call; faults raise `XmlRpcFault`."""
        if self._url_error is not None:
            raise Unreachable(f"{self.label}: {self._url_error}")
        body = build_request(method, params)
        if self._scgi is not None:
            raw = await self.call(
                partial(
                    scgi.exchange,
                    self._scgi,
                    scgi.frame(body),
                    max_bytes=max_bytes or self.max_reply_bytes,
                    label=self.label,
                ),
                idempotent=idempotent,
            )
        else:
            reply = await self.request(
                "POST",
                "",
                data=body,
                headers={"Content-Type": "text/xml"},
                idempotent=idempotent,
                max_bytes=max_bytes,
            )
            raw = reply.body
        return parse_response(raw, label=self.label)

    async def rpc_many(
        self, calls: Sequence[tuple[str, Sequence[Any]]], *, idempotent: bool
    ) -> list[Any | XmlRpcFault]:
        """Several calls in one `system.multicall` round trip; faults returned, not raised."""
        if not calls:
            return []
        value = await self.rpc("system.multicall", multicall(calls), idempotent=idempotent)
        return multicall_results(value, label=self.label, expected=len(calls))

    def _check_each(self, results: Sequence[Any | XmlRpcFault], ids: Sequence[str]) -> None:
        missing = [i for i, r in zip(ids, results, strict=False) if _is_missing(r)]
        if missing:
            raise NotFoundUpstream(f"{self.label} has no torrent {', '.join(missing)}")
        for result in results:
            if isinstance(result, XmlRpcFault):
                raise result

    # ---- probe ---------------------------------------------------------------------------

    async def probe(self) -> ProbeResult:
        try:
            client, library = await self.rpc_many(
                [("system.client_version", []), ("system.library_version", [])],
                idempotent=True,
            )
        except XmlRpcFault as fault:
            raise NotThatService(
                f"{self.label}: this XML-RPC server is not rTorrent ({fault.fault_string})"
            ) from None
        except BadResponse as err:
            raise NotThatService(f"{self.label}: this is not rTorrent's XML-RPC: {err}") from None
        if isinstance(client, XmlRpcFault) or not isinstance(client, str):
            raise NotThatService(f"{self.label}: no system.client_version, so not rTorrent")
        lib = library if isinstance(library, str) else None
        return ProbeResult(
            version=client,
            product="rTorrent",
            details={"libtorrent": lib, "transport": self.transport},
        )

    # ---- reading -------------------------------------------------------------------------

    async def _rows[M: UpstreamModel](
        self, model: type[M], fields: Sequence[tuple[str, str]]
    ) -> list[M]:
        value = await self.rpc(
            "d.multicall2",
            "",
            "main",
            *(command for _, command in fields),
            idempotent=True,
            max_bytes=LIST_MAX_REPLY,  # thousands of torrents make a big XML document
        )
        if not isinstance(value, list):
            raise BadResponse(f"{self.label} sent a malformed d.multicall2 reply")
        names = [name for name, _ in fields]
        rows: list[M] = []
        for row in value:
            if not isinstance(row, list) or len(row) != len(names):
                raise BadResponse(f"{self.label} sent a d.multicall2 row of the wrong shape")
            rows.append(self.parse(model, dict(zip(names, row, strict=True))))
        return rows

    async def items(self) -> list[DownloadItem]:
        return [_to_item(row) for row in await self._rows(RtorrentRow, ITEM_FIELDS)]

    async def transfer_stats(self) -> TransferStats:
        rates = await self.rpc_many(
            [
                ("throttle.global_down.rate", []),
                ("throttle.global_up.rate", []),
                ("throttle.global_down.max_rate", []),
                ("throttle.global_up.max_rate", []),
            ],
            idempotent=True,
        )
        numbers: list[int] = []
        for value in rates:
            if isinstance(value, XmlRpcFault):
                raise value
            if not isinstance(value, int):
                raise BadResponse(f"{self.label} sent a non-numeric transfer rate")
            numbers.append(value)
        down, up, down_max, up_max = numbers
        states = await self._rows(RtorrentState, STATE_FIELDS)
        item_states = [_state(s.state, s.is_active, s.complete, s.is_hash_checking) for s in states]
        return TransferStats(
            download_speed=down,
            upload_speed=up,
            download_limit=down_max or None,
            upload_limit=up_max or None,
            paused=bool(states) and all(s is DownloadState.PAUSED for s in item_states),
            alt_speed=None,
            free_space=None,
            item_count=len(states),
            active_count=sum(1 for s in states if s.is_active),
        )

    # ---- acting --------------------------------------------------------------------------

    async def _each(self, commands: Sequence[str], ids: Sequence[str]) -> None:
        hashes = [_upstream_hash(i) for i in ids]
        calls = [(command, [h]) for h in hashes for command in commands]
        results = await self.rpc_many(calls, idempotent=False)
        self._check_each(results, [h for h in hashes for _ in commands])

    async def pause(self, ids: Sequence[str]) -> None:
        await self._each(["d.pause"], ids)

    async def resume(self, ids: Sequence[str]) -> None:
        await self._each(["d.start", "d.resume"], ids)

    async def pause_all(self) -> None:
        states = await self._rows(RtorrentState, STATE_FIELDS)
        active = [s.hash for s in states if s.is_active]
        if active:
            await self._each(["d.pause"], active)

    async def resume_all(self) -> None:
        states = await self._rows(RtorrentState, STATE_FIELDS)
        paused = [s.hash for s in states if s.state == 1 and not s.is_active]
        if paused:
            await self._each(["d.resume"], paused)

    async def set_priority(self, ids: Sequence[str], priority: Priority) -> None:
        value = PRIORITY_TO_RTORRENT.get(priority)
        if value is None:
            raise Unsupported(f"{self.display_name} has no '{priority}' priority")
        hashes = [_upstream_hash(i) for i in ids]
        results = await self.rpc_many(
            [("d.priority.set", [h, value]) for h in hashes], idempotent=False
        )
        self._check_each(results, hashes)

    async def remove(self, ids: Sequence[str], *, delete_data: bool) -> None:
        hashes = [_upstream_hash(i) for i in ids]
        doomed: list[_DataPaths] = []
        if delete_data:
            doomed = await self._data_paths(hashes)
        results = await self.rpc_many([("d.erase", [h]) for h in hashes], idempotent=False)
        self._check_each(results, hashes)
        for paths in doomed:
            await self._delete(paths)

    async def _data_paths(self, hashes: Sequence[str]) -> list[_DataPaths]:
        calls: list[tuple[str, Sequence[Any]]] = []
        for h in hashes:
            calls += [
                ("d.directory", [h]),
                ("d.is_multi_file", [h]),
                ("d.name", [h]),
                ("f.multicall", [h, "", "f.path="]),
            ]
        results = await self.rpc_many(calls, idempotent=True)
        self._check_each(results, [h for h in hashes for _ in range(4)])
        found: list[_DataPaths] = []
        for index, h in enumerate(hashes):
            directory, multi, name, files = results[index * 4 : index * 4 + 4]
            found.append(_plan_delete(h, directory, multi, name, files, label=self.label))
        return found

    async def _delete(self, paths: _DataPaths) -> None:
        try:
            for start in range(0, len(paths.files), PATHS_PER_CALL):
                chunk = paths.files[start : start + PATHS_PER_CALL]
                await self.rpc("execute.throw", "", "rm", "-f", "--", *chunk, idempotent=False)
            for start in range(0, len(paths.folders), PATHS_PER_CALL):
                chunk = paths.folders[start : start + PATHS_PER_CALL]
                # rmdir removes empty folders only; nothrow: a folder still holding
                # someone else's files simply stays.
                await self.rpc("execute.nothrow", "", "rmdir", "--", *chunk, idempotent=False)
        except XmlRpcFault as fault:
            raise BadResponse(
                f"{self.label} removed torrent {paths.info_hash.lower()} but could not delete "
                f"its data ({fault.fault_string}); is execute disabled?"
            ) from None

    async def add(
        self, payload: bytes, filename: str, *, category: str | None = None, paused: bool = False
    ) -> str | None:
        info_hash = torrent_info_hash(payload)
        if info_hash is None:
            raise BadResponse(f"{filename} is not a valid .torrent file")
        commands: list[str] = []
        if category:
            commands.append(f"d.custom1.set={_quote(category)}")
        method = "load.raw" if paused else "load.raw_start"
        await self.rpc(method, "", payload, *commands, idempotent=False)
        if not await self._loaded(info_hash):
            raise BadResponse(
                f"{self.label} did not load {filename}: rTorrent drops torrents it finds "
                "invalid (0.9 also drops torrents without a tracker)"
            )
        return info_hash

    async def _loaded(self, info_hash: str) -> bool:
        """Whether rTorrent shows the torrent; a busy rTorrent can take a moment to insert it."""
        for attempt in range(LOAD_CHECKS):
            try:
                await self.rpc("d.hash", info_hash.upper(), idempotent=True)
            except XmlRpcFault as fault:
                if not fault.not_found:
                    raise
                if attempt + 1 < LOAD_CHECKS:
                    await asyncio.sleep(LOAD_CHECK_PAUSE)
            else:
                return True
        return False


class _DataPaths:
    __slots__ = ("files", "folders", "info_hash")

    def __init__(self, info_hash: str, files: list[str], folders: list[str]) -> None:
        self.info_hash = info_hash
        self.files = files
        self.folders = folders


def _plan_delete(
    info_hash: str, directory: Any, multi: Any, name: Any, files: Any, *, label: str
) -> _DataPaths:
    """The absolute files of a torrent and the folders to try removing, deepest first."""
    if not isinstance(directory, str) or not posixpath.isabs(directory) or directory == "/":
        raise BadResponse(f"{label}: unsafe data folder {directory!r} for {info_hash.lower()}")
    if not isinstance(files, list):
        raise BadResponse(f"{label} sent a malformed file list for {info_hash.lower()}")
    root = posixpath.normpath(directory)
    paths: list[str] = []
    folders: set[str] = set()
    for entry in files:
        rel = entry[0] if isinstance(entry, list) and entry else None
        if not isinstance(rel, str) or not rel or posixpath.isabs(rel):
            raise BadResponse(f"{label} sent an unsafe file path {rel!r}")
        full = posixpath.normpath(posixpath.join(root, rel))
        if not full.startswith(root + "/"):
            raise BadResponse(f"{label} sent a file path outside its folder: {rel!r}")
        paths.append(full)
        parent = posixpath.dirname(full)
        while parent != root and parent.startswith(root + "/"):
            folders.add(parent)
            parent = posixpath.dirname(parent)
    # A multi-file torrent's own folder goes too, once empty (not a shared base folder).
    if multi and posixpath.basename(root) == name:
        folders.add(root)
    ordered = sorted(folders, key=lambda f: f.count("/"), reverse=True)
    return _DataPaths(info_hash, paths, ordered)


def _is_missing(result: Any) -> bool:
    return isinstance(result, XmlRpcFault) and result.not_found


def _upstream_hash(item_id: str) -> str:
    value = item_id.strip()
    if len(value) != 40 or any(c not in "0123456789abcdefABCDEF" for c in value):
        raise NotFoundUpstream(f"{item_id!r} is not a torrent info-hash")
    return value.upper()


def _quote(value: str) -> str:
    """A command argument for rTorrent's command syntax (`d.custom1.set="a,b"`)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _state(state: int, active: int, complete: int, hashing: int) -> DownloadState:
    if hashing:
        return DownloadState.CHECKING
    if not state or not active:
        return DownloadState.PAUSED
    return DownloadState.SEEDING if complete else DownloadState.DOWNLOADING


def _to_item(row: RtorrentRow) -> DownloadItem:
    state = _state(row.state, row.is_active, row.complete, row.is_hash_checking)
    if state is DownloadState.DOWNLOADING and row.down_rate == 0 and row.peers == 0:
        state = DownloadState.STALLED
    size = max(0, row.size_bytes)
    left = min(max(0, row.left_bytes), size)
    progress = 1.0 if size == 0 and row.complete else ((size - left) / size if size else 0.0)
    eta = left // row.down_rate if state is DownloadState.DOWNLOADING and row.down_rate else None
    label = unquote(row.label) if "%" in row.label else row.label
    save_path = row.directory or None
    if save_path and row.is_multi_file and posixpath.basename(save_path) == row.name:
        save_path = posixpath.dirname(save_path)  # the folder holding the torrent's folder
    return DownloadItem(
        id=row.hash.lower(),
        name=row.name,
        protocol="torrent",
        state=state,
        progress=min(1.0, max(0.0, progress)),
        size=size,
        remaining=left,
        download_speed=max(0, row.down_rate),
        upload_speed=max(0, row.up_rate),
        eta=eta,
        category=label or None,
        priority=RTORRENT_TO_PRIORITY.get(row.priority),
        added_at=_timestamp(row.load_date),
        completed_at=_timestamp(row.finished) if row.complete else None,
        save_path=save_path,
        ratio=row.ratio / 1000,
        error=row.message or None,
    )


def _timestamp(value: int) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if value > 0 else None


def torrent_info_hash(metainfo: bytes) -> str | None:
    """The v1 info-hash (lower-case hex) of a .torrent, or None if it is not bencoded."""
    try:
        if metainfo[:1] != b"d":
            return None
        at = 1
        while metainfo[at : at + 1] != b"e":
            key_end = _skip(metainfo, at)
            key = metainfo[at:key_end]
            value_end = _skip(metainfo, key_end)
            if key == b"4:info":
                if metainfo[key_end : key_end + 1] != b"d":
                    return None
                digest = hashlib.sha1(metainfo[key_end:value_end], usedforsecurity=False)
                return digest.hexdigest()
            at = value_end
    except (ValueError, IndexError):
        return None
    return None


def _skip(data: bytes, at: int) -> int:
    """The offset just past the bencoded value starting at `at` (iterative, no recursion)."""
    depth = 0
    while True:
        lead = data[at : at + 1]
        if not lead:
            raise ValueError("truncated bencode")
        if lead == b"i":
            at = data.index(b"e", at) + 1
        elif lead.isdigit():
            colon = data.index(b":", at)
            length = int(data[at:colon])
            at = colon + 1 + length
            if at > len(data):
                raise ValueError("truncated string")
        elif lead in (b"l", b"d"):
            depth += 1
            at += 1
            continue
        elif lead == b"e" and depth > 0:
            depth -= 1
            at += 1
        else:
            raise ValueError(f"bad bencode at {at}")
        if depth == 0:
            return at
