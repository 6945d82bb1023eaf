"""How Home Assistant finds the hub without being told its address.

Two independent ways, both optional and best effort:

- **zeroconf** (`mdns.py`): with the `zeroconf` setting on, the hub advertises
  `_arrhub._tcp.local.` on the local network; Home Assistant's zeroconf integration offers
  the arrhub integration for it. Off by default: a standalone hub opts in.
- **add-on discovery** (`supervisor.py`): running as the Home Assistant add-on
  (`SUPERVISOR_TOKEN` in the environment), the hub posts its address and an API key to the
  Supervisor, which hands them to Home Assistant. On by default (`supervisor_discovery`).

The cleanup context is the last one of the app: the hub advertises only once everything
else started, and says goodbye first at shutdown.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiohttp import web

from arrhub.discovery.supervisor import SupervisorAnnouncer
from arrhub.keys import AUTH, DATABASE, HTTP_SESSION, INSTANCE_ID, SETTINGS

if TYPE_CHECKING:
    from arrhub.discovery.mdns import ZeroconfAdvertiser

#: The environment variable the Supervisor sets in every add-on container.
SUPERVISOR_TOKEN_ENV = "SUPERVISOR_TOKEN"  # noqa: S105 - a variable's name, not a secret


@dataclass(frozen=True, slots=True)
class HubDiscovery:
    """The running parts (None when off); tests wait on them."""

    zeroconf: ZeroconfAdvertiser | None
    supervisor: SupervisorAnnouncer | None


DISCOVERY: web.AppKey[HubDiscovery] = web.AppKey("arrhub_discovery")


async def discovery_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    advertiser: ZeroconfAdvertiser | None = None
    if settings.zeroconf:
        # Imported only when on: zeroconf costs ~70 ms of start-up most hubs never use.
        from arrhub.discovery.mdns import ZeroconfAdvertiser

        advertiser = ZeroconfAdvertiser(settings, app[INSTANCE_ID])
        advertiser.start()
    announcer: SupervisorAnnouncer | None = None
    token = os.environ.get(SUPERVISOR_TOKEN_ENV)
    if token and settings.supervisor_discovery:
        announcer = SupervisorAnnouncer(
            app[HTTP_SESSION],
            url=settings.supervisor_url,
            token=token,
            port=settings.port,
            host=settings.advertise_host,
            auth=app[AUTH],
            db=app[DATABASE],
        )
        announcer.start()
    app[DISCOVERY] = HubDiscovery(zeroconf=advertiser, supervisor=announcer)
    yield
    if announcer is not None:
        await announcer.stop()
    if advertiser is not None:
        await advertiser.stop()
