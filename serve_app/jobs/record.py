"""A job as stored in Redis, read through one small class."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

from pydantic import BaseModel


class JobStatus(StrEnum):
    IN_QUEUE = "IN_QUEUE"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"

    @property
    def terminal(self) -> bool:
        return self in (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED)


_JSON_FIELDS = ("input", "warnings", "progress", "error", "result", "plan")


class JobRecord(BaseModel):
    request_id: str
    owner: str
    status: JobStatus
    model: str = "audio/separate"
    backend: str
    created_at: str
    started_at: str | None = None
    completed_at: str | None = None
    input: dict[str, Any]
    webhook_url: str | None = None
    base_url: str | None = None  # of the submit request's links; its webhook's links use it too
    warnings: list[str] = []
    progress: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    result: dict[str, Any] | None = None
    plan: dict[str, Any] | None = None
    attempts: int = 0
    cancel_requested: bool = False
    serving: str | None = None  # what the plan serves it with (``dsp+learned``), for metrics
    audio_ms: int = 0  # the input's length when known at submit (an upload), else 0

    @classmethod
    def from_hash(cls, data: dict[str, str]) -> JobRecord:
        fields: dict[str, Any] = {k: v for k, v in data.items() if v != ""}
        for name in _JSON_FIELDS:
            if name in fields:
                fields[name] = json.loads(fields[name])
        fields["cancel_requested"] = fields.get("cancel_requested") == "1"
        return cls.model_validate(fields)


def to_hash(**fields: Any) -> dict[str, str]:
    """Flatten fields for HSET: JSON for structures, '' for None."""
    out: dict[str, str] = {}
    for name, value in fields.items():
        if value is None:
            out[name] = ""
        elif name in _JSON_FIELDS:
            out[name] = json.dumps(value, separators=(",", ":"))
        else:
            out[name] = str(value)
    return out
