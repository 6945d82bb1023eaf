"""Jobs and module schedules in SQLite.

A job's row is its truth: the runner writes every state change, and progress at most
every few tenths of a second, so `GET /api/v1/jobs/{id}` answers after a restart too.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from arrhub.models.library_api import Job, JobState
from arrhub.store.db import Database, Row
from arrhub.timeutil import iso

_COLUMNS = (
    "id, module, state, progress, message, origin, created_at, started_at, finished_at, "
    "result, error"
)


def _job(row: Row) -> Job:
    return Job(
        id=row["id"],
        module=row["module"],
        state=row["state"],
        progress=row["progress"],
        message=row["message"],
        origin=row["origin"],
        created_at=datetime.fromisoformat(row["created_at"]),
        started_at=datetime.fromisoformat(row["started_at"]) if row["started_at"] else None,
        finished_at=datetime.fromisoformat(row["finished_at"]) if row["finished_at"] else None,
        result=json.loads(row["result"]) if row["result"] else None,
        error=row["error"],
    )


def _ts(value: datetime | None) -> str | None:
    return None if value is None else iso(value)


class JobsRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def save(self, job: Job) -> None:
        """Insert or replace the whole row."""
        await self._db.execute(
            f"INSERT OR REPLACE INTO jobs ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?)",  # noqa: S608
            (
                job.id, job.module, job.state, job.progress, job.message, job.origin,
                iso(job.created_at), _ts(job.started_at), _ts(job.finished_at),
                None if job.result is None else json.dumps(job.result), job.error,
            ),
        )  # fmt: skip

    async def get(self, job_id: str) -> Job | None:
        row = await self._db.fetch_one(f"SELECT {_COLUMNS} FROM jobs WHERE id = ?", (job_id,))  # noqa: S608
        return None if row is None else _job(row)

    async def page(
        self, *, module: str | None, state: JobState | None, limit: int, offset: int
    ) -> tuple[list[Job], int]:
        where, params = [], []
        if module is not None:
            where.append("module = ?")
            params.append(module)
        if state is not None:
            where.append("state = ?")
            params.append(state)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        total = await self._db.fetch_value(f"SELECT count(*) FROM jobs {clause}", params)  # noqa: S608
        rows = await self._db.fetch_all(
            f"SELECT {_COLUMNS} FROM jobs {clause} "  # noqa: S608
            "ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
        return [_job(r) for r in rows], int(total)

    async def mark_interrupted(self, now: datetime) -> int:
        """Jobs a dead process left queued or running: failed, "interrupted"."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE jobs SET state = 'failed', error = 'interrupted', finished_at = ? "
                "WHERE state IN ('queued', 'running')",
                (iso(now),),
            )
            return cursor.rowcount

    async def prune(self, keep: int) -> None:
        """Keep the newest `keep` finished jobs."""
        await self._db.execute(
            "DELETE FROM jobs WHERE state IN ('succeeded', 'failed', 'cancelled') AND id NOT IN "
            "(SELECT id FROM jobs ORDER BY created_at DESC, rowid DESC LIMIT ?)",
            (keep,),
        )

    # ---- schedules ------------------------------------------------------------------------

    async def schedule(self, module: str) -> dict[str, Any] | None:
        row = await self._db.fetch_one(
            "SELECT interval_minutes, last_run_at, next_run_at FROM schedules WHERE module = ?",
            (module,),
        )
        if row is None:
            return None
        return {
            "interval_minutes": int(row["interval_minutes"]),
            "last_run_at": datetime.fromisoformat(row["last_run_at"])
            if row["last_run_at"]
            else None,
            "next_run_at": datetime.fromisoformat(row["next_run_at"])
            if row["next_run_at"]
            else None,
        }

    async def save_schedule(
        self,
        module: str,
        interval_minutes: int,
        last_run_at: datetime | None,
        next_run_at: datetime | None,
    ) -> None:
        await self._db.execute(
            "INSERT INTO schedules (module, interval_minutes, last_run_at, next_run_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (module) DO UPDATE SET "
            "interval_minutes = excluded.interval_minutes, last_run_at = excluded.last_run_at, "
            "next_run_at = excluded.next_run_at",
            (module, interval_minutes, _ts(last_run_at), _ts(next_run_at)),
        )
