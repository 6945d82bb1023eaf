"""The calendar as an iCalendar feed (RFC 5545), for phones and other calendar apps.

Written by hand rather than with a library: the feed needs one component type and five
kinds of property, and the rules that matter are few and exact (section numbers are
RFC 5545's):
- lines end in CRLF (3.1) and are folded before 75 octets, never inside a UTF-8
  sequence; a continuation line starts with one space (3.1);
- TEXT values escape backslash, semicolon, comma and newlines (3.3.11);
- timed events are in UTC (`...Z`, 3.3.5); releases without a time of day are all-day
  `VALUE=DATE` events whose DTEND is the next day (3.6.1, non-inclusive end);
- every VEVENT has a UID that stays the same for the same release across fetches, so
  apps update an event instead of duplicating it, and a DTSTAMP (3.6.1).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from arrhub.models.catalog import CalendarEntry

PRODID = "-//arrhub//calendar//EN"
MAX_OCTETS = 75
UID_DOMAIN = "arrhub"


def escape_text(value: str) -> str:
    """A TEXT value (3.3.11): `\\`, `;`, `,` escaped, newlines as `\\n`."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def fold(line: str) -> str:
    """One content line, folded so no physical line exceeds 75 octets (3.1)."""
    data = line.encode("utf-8")
    if len(data) <= MAX_OCTETS:
        return line + "\r\n"
    parts: list[str] = []
    current = ""
    size = 0
    limit = MAX_OCTETS
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            parts.append(current)
            current, size = "", 0
            limit = MAX_OCTETS - 1  # the leading space of a continuation line counts
        current += char
        size += width
    parts.append(current)
    return "\r\n ".join(parts) + "\r\n"


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _date(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%d")


def _summary(entry: CalendarEntry) -> str:
    if entry.subtitle:
        return f"{entry.title} - {entry.subtitle}"
    if entry.type == "movie":
        kind = {"cinema": "in cinemas", "digital": "digital release",
                "physical": "physical release"}.get(entry.release_kind)  # fmt: skip
        return f"{entry.title} ({kind})" if kind else entry.title
    return entry.title


def event_lines(entry: CalendarEntry, stamp: datetime) -> list[str]:
    lines = [
        "BEGIN:VEVENT",
        f"UID:{escape_text(entry.id)}@{UID_DOMAIN}",
        f"DTSTAMP:{_utc(stamp)}",
    ]
    if entry.all_day:
        lines.append(f"DTSTART;VALUE=DATE:{_date(entry.start)}")
        lines.append(f"DTEND;VALUE=DATE:{_date(entry.start + timedelta(days=1))}")
        lines.append("TRANSP:TRANSPARENT")
    else:
        lines.append(f"DTSTART:{_utc(entry.start)}")
        if entry.end is not None and entry.end > entry.start:
            lines.append(f"DTEND:{_utc(entry.end)}")
    lines.append(f"SUMMARY:{escape_text(_summary(entry))}")
    if entry.overview:
        lines.append(f"DESCRIPTION:{escape_text(entry.overview)}")
    category = {"episode": "Episode", "movie": "Movie", "album": "Album"}[entry.type]
    lines.append(f"CATEGORIES:{category}")
    lines.append("STATUS:CONFIRMED")
    lines.append("END:VEVENT")
    return lines


def render_ics(entries: Iterable[CalendarEntry], *, name: str, stamp: datetime) -> bytes:
    """The whole VCALENDAR, UTF-8, CRLF line ends."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(name)}",
        "X-PUBLISHED-TTL:PT1H",
    ]
    for entry in entries:
        lines.extend(event_lines(entry, stamp))
    lines.append("END:VCALENDAR")
    return "".join(fold(line) for line in lines).encode("utf-8")


__all__ = ["escape_text", "fold", "render_ics"]
