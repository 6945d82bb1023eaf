"""`/api/v1/jobs`: work longer than a request, its state and progress."""

from __future__ import annotations

from aiohttp import web

from arrhub.errors import NotFound
from arrhub.http.routes import Route, json_reply, path_of, query_of
from arrhub.keys import JOBS
from arrhub.models.library_api import Job, JobPath, JobsPage, JobsQuery


async def list_jobs(request: web.Request) -> web.StreamResponse:
    return json_reply(await request.app[JOBS].page(query_of(request, JobsQuery)))


async def get_job(request: web.Request) -> web.StreamResponse:
    return json_reply(await request.app[JOBS].get(path_of(request, JobPath).job_id))


async def cancel_job(request: web.Request) -> web.StreamResponse:
    return json_reply(await request.app[JOBS].cancel(path_of(request, JobPath).job_id))


ROUTES = (
    Route(method="GET", path="/api/v1/jobs", handler=list_jobs, access="admin", tag="jobs",
          query=JobsQuery, response=JobsPage, summary="Jobs, newest first"),
    Route(method="GET", path="/api/v1/jobs/{job_id}", handler=get_job, access="admin",
          tag="jobs", path_params=JobPath, response=Job, errors=(NotFound,),
          summary="One job: state, progress, result"),
    Route(method="POST", path="/api/v1/jobs/{job_id}/cancel", handler=cancel_job,
          access="admin", tag="jobs", path_params=JobPath, response=Job, errors=(NotFound,),
          summary="Ask a job to stop at its next safe point (cooperative)"),
)  # fmt: skip
