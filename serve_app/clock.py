"""Timestamps as the API shows them: ISO-8601 UTC, milliseconds, ``Z``."""

from datetime import UTC, datetime


def now_iso() -> str:
    return iso(datetime.now(UTC))


def iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def parse_iso(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def iso_from_ms(ms: int) -> str:
    """A Unix time in milliseconds (e.g. a score from Redis TIME) as ISO-8601."""
    return iso(datetime.fromtimestamp(ms / 1000, UTC))
