"""The query of a listing (``GET /v1/queue/requests``, ``GET /v1/files``): a page size, a
cursor and a creation-time range, turned into the id range of ``store.index``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi import Query

from serve_app import ids
from serve_app.errors import ErrorType, ServiceError

MAX_LIMIT = 100


@dataclass(frozen=True)
class IdRange:
    newest: str  # an id bound; "(id" excludes it (the cursor)
    oldest: str
    limit: int


def _ms(moment: datetime) -> int:
    # A time without a zone is UTC, as every time the API returns is.
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return max(0, int(aware.timestamp() * 1000))


def id_range(prefix: str):
    """A FastAPI dependency reading the listing query for ids with ``prefix``."""

    def read(
        limit: int = Query(20, ge=1, le=MAX_LIMIT, description="Items per page."),
        cursor: str | None = Query(
            None, pattern=ids.pattern(prefix), description="The `next_cursor` of the previous page."
        ),
        created_after: datetime | None = Query(None, description="Only items created at or after (ISO 8601)."),
        created_before: datetime | None = Query(None, description="Only items created before (ISO 8601)."),
    ) -> IdRange:
        if created_after and created_before and _ms(created_after) >= _ms(created_before):
            raise ServiceError(
                "created_after must be earlier than created_before.",
                type=ErrorType.INVALID_REQUEST,
                field="created_after",
                status_code=422,
            )
        oldest = ids.bound_at(prefix, _ms(created_after)) if created_after else f"{prefix}_"
        if cursor is not None:  # a cursor lies inside the range of the page that gave it
            newest = f"({cursor}"
        elif created_before is not None:
            newest = f"({ids.bound_at(prefix, _ms(created_before))}"
        else:
            newest = "+"
        return IdRange(newest, oldest, limit)

    return read
