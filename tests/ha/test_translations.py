"""strings.json, translations/en.json, icons.json and services.yaml agree with the code."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from custom_components.arrhub.binary_sensor import BINARY_SENSORS
from custom_components.arrhub.button import BUTTONS
from custom_components.arrhub.calendar import CALENDARS
from custom_components.arrhub.const import ENTITY_GROUPS, KEY_GROUPS
from custom_components.arrhub.event import EVENTS
from custom_components.arrhub.sensor import FREE_SPACE, HUB_SENSORS, INSTANCE_SENSORS
from custom_components.arrhub.switch import SWITCHES

PACKAGE = Path(__file__).resolve().parents[2] / "custom_components" / "arrhub"
STRINGS: dict[str, Any] = json.loads((PACKAGE / "strings.json").read_text())
ICONS: dict[str, Any] = json.loads((PACKAGE / "icons.json").read_text())
SERVICES: dict[str, Any] = yaml.safe_load((PACKAGE / "services.yaml").read_text())

DESCRIPTIONS = {
    "sensor": (*HUB_SENSORS, *INSTANCE_SENSORS, FREE_SPACE),
    "binary_sensor": BINARY_SENSORS,
    "switch": SWITCHES,
    "button": BUTTONS,
    "event": EVENTS,
    "calendar": CALENDARS,
}


def test_en_is_strings() -> None:
    """A custom integration is served translations/en.json as shipped: no [%key:] refs."""
    english = (PACKAGE / "translations" / "en.json").read_text()
    assert json.loads(english) == STRINGS
    assert "[%key:" not in english


def _steps() -> list[tuple[str, dict[str, Any]]]:
    steps = [(f"config.{k}", v) for k, v in STRINGS["config"]["step"].items()]
    steps += [(f"options.{k}", v) for k, v in STRINGS["options"]["step"].items()]
    return steps


@pytest.mark.parametrize(("name", "step"), _steps())
def test_every_field_has_a_description(name: str, step: dict[str, Any]) -> None:
    """config-flow: each `data` key has a `data_description`."""
    assert set(step.get("data", {})) == set(step.get("data_description", {})), name


def test_entity_translation_keys() -> None:
    """entity-translations: every key in use has a name, and no name is unused."""
    for platform, descriptions in DESCRIPTIONS.items():
        keys = {d.translation_key for d in descriptions}
        assert keys == set(STRINGS["entity"][platform]), platform
        for description in descriptions:
            assert description.key == description.translation_key
            assert STRINGS["entity"][platform][description.key]["name"]


def test_event_types_translated() -> None:
    for description in EVENTS:
        states = STRINGS["entity"]["event"][description.key]["state_attributes"]["event_type"]
        assert set(states["state"]) == set(description.event_types or ())


def test_icons_match() -> None:
    """icon-translations: icons keyed by translation keys in use, and every action has one."""
    for platform, keys in ICONS["entity"].items():
        used = {d.translation_key for d in DESCRIPTIONS[platform]}
        assert set(keys) <= used, platform
    assert set(ICONS["services"]) == set(SERVICES)


def test_entity_groups() -> None:
    hub_level = {d.key for d in (*HUB_SENSORS, *CALENDARS)}
    grouped = {d.key for ds in DESCRIPTIONS.values() for d in ds} - hub_level
    assert grouped == set(KEY_GROUPS)
    assert set(KEY_GROUPS.values()) == set(ENTITY_GROUPS)
    assert set(STRINGS["selector"]["entity_groups"]["options"]) == set(ENTITY_GROUPS)


def test_services_documented() -> None:
    """Every action and field in services.yaml has a name and a description."""
    assert set(SERVICES) == set(STRINGS["services"])
    for action, spec in SERVICES.items():
        text = STRINGS["services"][action]
        assert text["name"]
        assert text["description"]
        assert set(spec["fields"]) == set(text["fields"]), action


def _code_keys(call: str) -> set[str]:
    """`translation_key="..."` arguments used in the integration's code."""
    keys: set[str] = set()
    for path in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and any(
                isinstance(f, ast.Name | ast.Attribute)
                and (getattr(f, "id", None) or getattr(f, "attr", None)) in call.split("|")
                for f in [node.func]
            ):
                for keyword in node.keywords:
                    if keyword.arg == "translation_key" and isinstance(keyword.value, ast.Constant):
                        keys.add(keyword.value.value)
    return keys


def test_exception_keys() -> None:
    """exception-translations: every raised key has a message, and none is unused."""
    raised = _code_keys(
        "HomeAssistantError|ServiceValidationError|UpdateFailed|ConfigEntryAuthFailed"
        "|ConfigEntryNotReady|ConfigEntryError"
    )
    assert raised == set(STRINGS["exceptions"])


def test_issue_keys() -> None:
    assert _code_keys("async_create_issue") == set(STRINGS["issues"])


def test_flow_errors_and_aborts() -> None:
    source = (PACKAGE / "config_flow.py").read_text()
    errors = set(re.findall(r'return None, "(\w+)"', source)) | {"invalid_url"}
    assert errors == set(STRINGS["config"]["error"])
    aborts = set(re.findall(r'reason="(\w+)"', source)) | errors - {"invalid_url"}
    aborts |= {"already_configured", "reauth_successful", "reconfigure_successful"}
    assert aborts == set(STRINGS["config"]["abort"])
