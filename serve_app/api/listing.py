"""The query of a listing (``GET /v1/queue/requests``, ``GET /v1/files``): a page size, a
cursor and a creation-time range, turned into the id range of ``store.index``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import Query

from serve_app import ids
from serve_app.errors import ErrorType, ServiceError

MAX_LIMIT = 100


@dataclass(frozen=True)
class IdRange:
    newest: str  # an id bound; "(id" excludes it (the cursor)
    oldest: str
    limit: int


# RFC 3339 date-times, as every time the API returns is written (strictly: a number is not a time).
RFC3339 = r"^\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)$"


def _ms(value: str, field: str) -> int:
    """Milliseconds since the epoch of an RFC 3339 date-time (its pattern already checked)."""
    text = value.upper().replace(":60", ":59", 1) if value[17:19] == "60" else value.upper()
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ServiceError(
            f"{field} is not a date and time this service can use: {value!r}; give one such as 2026-01-31T12:00:00Z.",
            type=ErrorType.INVALID_TIME_RANGE,
            field=field,
            status_code=422,
        ) from None
    return max(0, int(moment.timestamp() * 1000))


def _time_query(description: str) -> Any:
    return Query(None, pattern=RFC3339, description=description, json_schema_extra={"format": "date-time"})


def id_range(prefix: str):
    """A FastAPI dependency reading the listing query for ids with ``prefix``."""

    def read(
        limit: int = Query(20, ge=1, le=MAX_LIMIT, description="Items per page."),
        cursor: str | None = Query(
            None, pattern=ids.pattern(prefix), description="The `next_cursor` of the previous page."
        ),
        created_after: str | None = _time_query("Only items created at or after this time (RFC 3339)."),
        created_before: str | None = _time_query("Only items created before this time (RFC 3339)."),
    ) -> IdRange:
        after = _ms(created_after, "created_after") if created_after else None
        before = _ms(created_before, "created_before") if created_before else None
        if after is not None and before is not None and after >= before:
            raise ServiceError(
                "created_after must be earlier than created_before.",
                type=ErrorType.INVALID_TIME_RANGE,
                field="created_after",
                status_code=422,
            )
        oldest = ids.bound_at(prefix, after) if after is not None else f"{prefix}_"
        if cursor is not None:  # a cursor lies inside the range of the page that gave it
            newest = f"({cursor}"
        elif before is not None:
            newest = f"({ids.bound_at(prefix, before)}"
        else:
            newest = "+"
        return IdRange(newest, oldest, limit)

    return read
