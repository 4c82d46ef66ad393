"""A minimal iCalendar (RFC 5545) writer: all-day events for due dates, nothing else."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class DayEvent:
    uid: str
    day: dt.date
    summary: str
    description: str = ""
    url: str = ""


# RFC 5545 TEXT allows no control character but HTAB (line breaks are escaped as \n before this applies).
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def _escape(text: str) -> str:
    escaped = (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\r", "\\n")
        .replace("\n", "\\n")
    )
    return _CONTROL.sub(" ", escaped)


def _fold(line: str) -> list[str]:
    """Lines of at most 75 octets; continuation lines start with a space (UTF-8 characters never split)."""
    out, current = [], ""
    for char in line:
        limit = 75 if not out else 74
        if len((current + char).encode()) > limit:
            out.append(current)
            current = char
        else:
            current += char
    out.append(current)
    return [out[0], *(" " + rest for rest in out[1:])]


def calendar(*, name: str, events: Iterable[DayEvent], stamp: dt.datetime) -> str:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Suzhou-HK Pipeline//Due dates//EN",
        "CALSCALE:GREGORIAN",
        f"X-WR-CALNAME:{_escape(name)}",
    ]
    stamp_text = stamp.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    for event in events:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{event.uid}",
            f"DTSTAMP:{stamp_text}",
            f"DTSTART;VALUE=DATE:{event.day:%Y%m%d}",
            f"DTEND;VALUE=DATE:{event.day + dt.timedelta(days=1):%Y%m%d}",
            f"SUMMARY:{_escape(event.summary)}",
        ]
        if event.description:
            lines.append(f"DESCRIPTION:{_escape(event.description)}")
        if event.url:
            lines.append(f"URL:{event.url}")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "".join(folded + "\r\n" for line in lines for folded in _fold(line))
