"""Typed settings of the hub process.

Sources, lowest to highest precedence: the defaults below, `arrhub.yaml` in the data dir,
`ARRHUB_*` environment variables, the add-on's `options.json` in the data dir. Flags given
to `arrhub serve` win over all of them. Only server settings live here; everything a user
edits in the UI lives in the database (DESIGN.md, Data).
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

YAML_NAME = "arrhub.yaml"
OPTIONS_NAME = "options.json"
ENV_PREFIX = "ARRHUB_"
ENV_NESTING = "__"

Role = Literal["admin", "user"]
#: A DNS host name: dot-separated labels of letters, digits and inner hyphens.
_HOST_NAME = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)(?:\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*\.?")


class RateLimits(BaseModel):
    """Requests per minute per client address, for each endpoint class (AUTH-6)."""

    model_config = ConfigDict(extra="forbid")

    read: int = Field(1200, ge=1, description="GET requests of ordinary resources")
    search: int = Field(240, ge=1, description="search and lookup requests")
    write: int = Field(300, ge=1, description="state-changing requests")
    auth: int = Field(30, ge=1, description="login, setup, key bootstrap")
    polling: int = Field(600, ge=1, description="status and summary polling")
    webhooks: int = Field(600, ge=1, description="inbound webhooks from upstreams")


class Settings(BaseModel):
    """Everything `create_app` needs to know about its environment."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    host: str = Field("127.0.0.1", description="address to listen on")
    port: int = Field(8765, ge=1, le=65535)
    data_dir: Path = Field(Path("data"), description="SQLite database, keys and settings file")
    base_url: str | None = Field(
        None, description="external URL of the hub, used in every URL it gives out"
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_json: bool = Field(False, description="one JSON object per log line on stdout")
    max_body_bytes: int = Field(1024 * 1024, ge=1024, description="request body limit")
    shutdown_timeout: float = Field(
        10.0, gt=0, description="seconds in-flight requests get to finish on SIGTERM"
    )
    token_ttl_minutes: int = Field(12 * 60, ge=1, description="lifetime of a login token")
    remember_me_days: int = Field(30, ge=1, description="lifetime with remember_me")
    login_max_failures: int = Field(5, ge=1, description="failed logins allowed per window")
    login_window_seconds: int = Field(15 * 60, ge=1, description="window of failed logins")
    rate_limits: RateLimits = Field(default_factory=RateLimits)
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="networks whose X-Forwarded-For is believed (reverse proxies)",
    )
    supervisor_addresses: list[str] = Field(
        default_factory=lambda: ["172.30.32.2/32"],
        description="networks whose Home Assistant ingress headers are believed",
    )
    ingress_role: Role = Field("admin", description="role of a user arriving through ingress")
    cookie_secure: bool | None = Field(
        None, description="Secure flag on the session cookie; default: when base_url is https"
    )
    # ---- discovery (arrhub/discovery/) ----------------------------------------------
    zeroconf: bool = Field(
        False, description="advertise the hub on the local network over zeroconf (_arrhub._tcp)"
    )
    advertise_host: str | None = Field(
        None,
        description="address or host name others should use to reach the hub (zeroconf and "
        "add-on discovery); default: the addresses it listens on, or the add-on's host name",
    )
    supervisor_discovery: bool = Field(
        True, description="as a Home Assistant add-on, offer the arrhub integration to it"
    )
    supervisor_url: str = Field(
        "http://supervisor", description="the Home Assistant Supervisor's API (add-on only)"
    )

    @field_validator("trusted_proxies", "supervisor_addresses")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for item in value:
            ipaddress.ip_network(item, strict=False)  # raises ValueError with a clear message
        return value

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("base_url must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("advertise_host")
    @classmethod
    def _advertise_host(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        try:
            return str(ipaddress.ip_address(value))
        except ValueError:
            pass
        if not _HOST_NAME.fullmatch(value):
            raise ValueError("advertise_host must be an IP address or a host name, without port")
        return value

    @field_validator("supervisor_url")
    @classmethod
    def _supervisor_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("supervisor_url must start with http:// or https://")
        return value.rstrip("/")

    @property
    def database_path(self) -> Path:
        return self.data_dir / "arrhub.db"

    @property
    def secure_cookies(self) -> bool:
        if self.cookie_secure is not None:
            return self.cookie_secure
        return bool(self.base_url and self.base_url.startswith("https://"))


class SettingsError(Exception):
    """The settings sources could not be read or did not validate."""


class LoadedSettings(BaseModel):
    """Settings plus where each top-level value came from, for `arrhub config check`."""

    settings: Settings
    origins: dict[str, str]


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise SettingsError(f"{path}: not valid YAML: {err}") from err
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SettingsError(f"{path}: expected a mapping at the top level")
    return data


def _read_options(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise SettingsError(f"{path}: not valid JSON: {err}") from err
    if not isinstance(data, dict):
        raise SettingsError(f"{path}: expected a JSON object")
    # The add-on UI stores unset optional fields as null or "": they mean "not given".
    return {key: value for key, value in data.items() if value not in (None, "")}


def _env_value(raw: str) -> Any:
    """Env values are YAML scalars or flow collections: `8080`, `true`, `[a, b]`."""
    try:
        return yaml.safe_load(raw)
    except yaml.YAMLError:
        return raw


def _read_env(environ: Mapping[str, str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX) or name == "ARRHUB_DATA_DIR":
            continue
        path = name[len(ENV_PREFIX) :].lower().split(ENV_NESTING)
        node = found
        for part in path[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise _env_conflict(name, path)
        if isinstance(node.get(path[-1]), dict):
            raise _env_conflict(name, path)
        node[path[-1]] = _env_value(raw)
    return found


def _env_conflict(name: str, path: list[str]) -> SettingsError:
    return SettingsError(
        f"{name} (environment): {'.'.join(path[:-1]) or path[0]} is set both as one value "
        f"and field by field ({ENV_PREFIX}<FIELD>{ENV_NESTING}<PART>); use one way"
    )


def _paths(layer: Mapping[str, Any], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every key path in a layer: ("port",), ("rate_limits",), ("rate_limits", "read")."""
    found: list[tuple[str, ...]] = []
    for key, value in layer.items():
        path = (*prefix, str(key))
        found.append(path)
        if isinstance(value, Mapping):
            found.extend(_paths(value, path))
    return found


def _origin_of(loc: tuple[int | str, ...], path_origins: Mapping[tuple[str, ...], str]) -> str:
    """The source that set the innermost part of an error's location."""
    parts = tuple(str(part) for part in loc)
    for end in range(len(parts), 0, -1):
        if parts[:end] in path_origins:
            return path_origins[parts[:end]]
    return "default"


def _merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(dict(merged[key]), value)
        else:
            merged[key] = value
    return merged


def resolve_data_dir(cli_value: str | Path | None, environ: Mapping[str, str]) -> Path:
    """The data dir must be known before the files inside it can be read."""
    if cli_value is not None:
        return Path(cli_value)
    return Path(environ.get("ARRHUB_DATA_DIR", "data"))


def load_settings(
    data_dir: str | Path | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> LoadedSettings:
    """Merge every source in precedence order and validate the result once."""
    env = os.environ if environ is None else environ
    directory = resolve_data_dir(data_dir, env)
    layers: list[tuple[str, dict[str, Any]]] = []
    yaml_path = directory / YAML_NAME
    if yaml_path.is_file():
        layers.append((str(yaml_path), _read_yaml(yaml_path)))
    layers.append(("environment", _read_env(env)))
    options_path = directory / OPTIONS_NAME
    if options_path.is_file():
        layers.append((str(options_path), _read_options(options_path)))
    if overrides:
        layers.append(("command line", {k: v for k, v in overrides.items() if v is not None}))

    merged: dict[str, Any] = {}
    origins: dict[str, str] = {}
    path_origins: dict[tuple[str, ...], str] = {}
    for origin, layer in layers:
        merged = _merge(merged, layer)
        origins.update(dict.fromkeys(layer, origin))
        path_origins.update(dict.fromkeys(_paths(layer), origin))
    merged["data_dir"] = directory
    origins["data_dir"] = "command line" if data_dir is not None else "environment or default"
    path_origins[("data_dir",)] = origins["data_dir"]
    try:
        settings = Settings.model_validate(merged)
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])} ({_origin_of(e['loc'], path_origins)}): "
            f"{e['msg']}"
            for e in err.errors()
        )
        raise SettingsError(f"invalid settings: {problems}") from err
    for field in Settings.model_fields:
        origins.setdefault(field, "default")
    return LoadedSettings(settings=settings, origins=origins)
