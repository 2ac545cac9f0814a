"""A minimal Server-Sent Events reader for tests: parses lines as they arrive."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass
class SSEEvent:
    id: str | None = None
    data: dict[str, Any] | None = None  # the JSON of the data lines; None for a comment-only block
    comments: list[str] = field(default_factory=list)


def read_events(lines: Iterable[str]) -> Iterator[SSEEvent]:
    """One SSEEvent per blank-line-terminated block (keep-alive comments included)."""
    event, data = SSEEvent(), []
    for line in lines:
        if line == "":
            if data or event.comments or event.id:
                event.data = json.loads("\n".join(data)) if data else None
                yield event
            event, data = SSEEvent(), []
        elif line.startswith(":"):
            event.comments.append(line[1:].strip())
        else:
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if name == "data":
                data.append(value)
            elif name == "id":
                event.id = value
