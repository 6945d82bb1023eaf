"""Zeroconf (mDNS/DNS-SD) advertisement of the hub as `_arrhub._tcp.local.`.

Home Assistant's zeroconf integration matches that type (the integration's manifest) and
starts the arrhub config flow, which reads the TXT properties `instance_id` (the unique id
of the config entry) and `path` (where `/api/v1` lives below `http://<address>:<port>`).
The other properties (`version`, `api_version`, `api_path`) are for people and other tools.

Advertising is best effort: it runs in a background task, so zeroconf's probing (about a
second) never delays start-up, and any failure is one warning in the log, never a reason
for the hub to stop. At shutdown the service is unregistered (goodbye packets), so
browsers forget the hub at once instead of after the record's TTL.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import ifaddr
from zeroconf import InterfaceChoice, IPVersion
from zeroconf.asyncio import AsyncServiceInfo, AsyncZeroconf

from arrhub import API_VERSION, __version__
from arrhub.settings import Settings

LOGGER = logging.getLogger(__name__)

SERVICE_TYPE = "_arrhub._tcp.local."
#: The hub serves its API at the root of its port; `/api/v1` lies below this path.
BASE_PATH = "/"

type IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True, slots=True)
class Advertisement:
    """Everything one registration needs, decided before any socket is opened."""

    name: str  # the service instance name, without the type
    server: str  # the host name the address records are published under
    port: int
    addresses: tuple[IPAddress, ...]
    properties: dict[str, str]
    #: Interfaces zeroconf answers on: the one the hub listens on, or all of them.
    interfaces: tuple[str, ...] | None

    @property
    def full_name(self) -> str:
        return f"{self.name}.{SERVICE_TYPE}"

    @property
    def ip_version(self) -> IPVersion:
        if all(address.version == 4 for address in self.addresses):
            return IPVersion.V4Only
        return IPVersion.All


def txt_properties(instance_id: str) -> dict[str, str]:
    """The TXT record; `instance_id` and `path` are what the integration's flow reads."""
    return {
        "instance_id": instance_id,
        "path": BASE_PATH,
        "api_path": f"/api/v{API_VERSION}",
        "api_version": str(API_VERSION),
        "version": __version__,
    }


def interface_addresses() -> list[IPAddress]:
    """Every address of every interface of this host (IPv6 without its scope)."""
    found: list[IPAddress] = []
    for adapter in ifaddr.get_adapters():
        for ip in adapter.ips:
            raw = ip.ip if isinstance(ip.ip, str) else ip.ip[0]
            with contextlib.suppress(ValueError):
                found.append(ipaddress.ip_address(raw.split("%", 1)[0]))
    return found


def usable(addresses: Iterable[IPAddress]) -> list[IPAddress]:
    """Addresses another machine can use; loopback only when there is nothing else.

    Link-local addresses need an interface scope a TXT-less A/AAAA record cannot carry, and
    an unspecified address reaches nobody. Order is kept and duplicates dropped.
    """
    unique = [a for a in dict.fromkeys(addresses) if not (a.is_link_local or a.is_unspecified)]
    outside = [a for a in unique if not a.is_loopback]
    return outside or unique


async def resolve(host: str) -> list[IPAddress]:
    """An IP literal as it is, a host name through the resolver (may raise OSError)."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return [ipaddress.ip_address(info[4][0]) for info in infos]


async def plan_advertisement(
    settings: Settings,
    instance_id: str,
    *,
    local: Sequence[IPAddress] | None = None,
) -> Advertisement:
    """What to announce: the configured advertise host, else where the hub listens.

    A hub listening on one address is announced there and zeroconf answers on that
    interface only; a hub listening everywhere (`0.0.0.0`, `::`) is announced with every
    usable address of the host (IPv4 only for `0.0.0.0`). `local` stands in for the host's
    interface addresses (tests).
    """
    listen: IPAddress | None = None
    with contextlib.suppress(ValueError):
        listen = ipaddress.ip_address(settings.host or "::")
    interfaces: tuple[str, ...] | None = None
    if listen is not None and not listen.is_unspecified and listen.version == 4:
        interfaces = (str(listen),)

    if settings.advertise_host is not None:
        candidates = await resolve(settings.advertise_host)
    elif listen is None:  # a host name such as "localhost"
        candidates = await resolve(settings.host)
    elif not listen.is_unspecified:
        candidates = [listen]
    else:
        every = interface_addresses() if local is None else list(local)
        candidates = [a for a in every if listen.version == 6 or a.version == 4]
    addresses = usable(candidates)
    if not addresses:
        raise OSError(f"no usable address to advertise (from {candidates or 'nothing'})")

    short = instance_id.replace("-", "")[:8]
    return Advertisement(
        name=f"arrhub {short}",
        server=f"arrhub-{short}.local.",
        port=settings.port,
        addresses=tuple(addresses),
        properties=txt_properties(instance_id),
        interfaces=interfaces,
    )


class ZeroconfAdvertiser:
    """Registers the hub's service in the background and unregisters it at shutdown."""

    def __init__(self, settings: Settings, instance_id: str) -> None:
        self._settings = settings
        self._instance_id = instance_id
        self._zeroconf: AsyncZeroconf | None = None
        self._info: AsyncServiceInfo | None = None
        self._task: asyncio.Task[None] | None = None
        #: The advertisement once it is announced (a name conflict may have renamed it).
        self.advertised: Advertisement | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._advertise(), name="arrhub-zeroconf")

    async def wait(self) -> Advertisement | None:
        """The announced advertisement, or None when advertising failed."""
        if self._task is not None:
            await asyncio.shield(self._task)
        return self.advertised

    async def _advertise(self) -> None:
        try:
            plan = await plan_advertisement(self._settings, self._instance_id)
            if any(a.is_loopback for a in plan.addresses):
                LOGGER.warning(
                    "zeroconf: the hub advertises %s, which only this machine can reach; "
                    "set host to 0.0.0.0 (or advertise_host) to be found on the network",
                    ", ".join(map(str, plan.addresses)),
                )
            self._zeroconf = AsyncZeroconf(
                interfaces=list(plan.interfaces) if plan.interfaces else InterfaceChoice.All,
                ip_version=plan.ip_version,
            )
            info = AsyncServiceInfo(
                SERVICE_TYPE,
                plan.full_name,
                port=plan.port,
                properties=plan.properties,
                server=plan.server,
                parsed_addresses=[str(a) for a in plan.addresses],
            )
            announced = await self._zeroconf.async_register_service(info, allow_name_change=True)
            await announced
            self._info = info
            name = info.name.removesuffix(f".{SERVICE_TYPE}")
            self.advertised = Advertisement(
                name=name,
                server=plan.server,
                port=plan.port,
                addresses=plan.addresses,
                properties=plan.properties,
                interfaces=plan.interfaces,
            )
            LOGGER.info(
                "zeroconf: advertised as %r (%s) on %s port %d",
                name,
                SERVICE_TYPE,
                ", ".join(map(str, plan.addresses)),
                plan.port,
            )
        except asyncio.CancelledError:
            raise
        except Exception as err:  # advertising is optional: say so and keep the hub running
            LOGGER.warning("zeroconf: could not advertise the hub: %s", err or type(err).__name__)
            await self._close()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._zeroconf is not None and self._info is not None:
            try:
                await (await self._zeroconf.async_unregister_service(self._info))
            except Exception as err:  # a failed goodbye only means browsers wait for the TTL
                LOGGER.warning("zeroconf: could not unregister the hub: %s", err)
        await self._close()

    async def _close(self) -> None:
        zeroconf, self._zeroconf, self._info = self._zeroconf, None, None
        if zeroconf is not None:
            with contextlib.suppress(Exception):
                await zeroconf.async_close()
