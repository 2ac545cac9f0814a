"""Typed errors. One class carries everything the API's error envelope needs,
so the same object becomes an HTTP 4xx at the edge or a FAILED job's error."""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """An error a client can act on.

    ``type`` is machine-readable and stable; ``message`` is one human sentence
    saying what to change; ``field`` names the offending input where there is
    one; ``retryable`` says whether the same request could succeed later.
    """

    status_code = 400
    type = "invalid_request"
    retryable = False
    retry_after_s: int | None = None  # sent as Retry-After (429/503)

    def __init__(
        self,
        message: str,
        *,
        type: str | None = None,
        field: str | None = None,
        status_code: int | None = None,
        retryable: bool | None = None,
        retry_after_s: int | None = None,
    ):
        super().__init__(message)
        self.message = message
        if type is not None:
            self.type = type
        if status_code is not None:
            self.status_code = status_code
        if retryable is not None:
            self.retryable = retryable
        if retry_after_s is not None:
            self.retry_after_s = retry_after_s
        self.field = field

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.field:
            out["field"] = self.field
        return out

    def job_error(self) -> dict[str, Any]:
        """The error as stored on a FAILED job."""
        return {**self.to_dict(), "retryable": self.retryable}


class NotFound(ServiceError):
    status_code = 404
    type = "not_found"


class Unauthorized(ServiceError):
    status_code = 401
    type = "unauthorized"


class Conflict(ServiceError):
    status_code = 409
    type = "conflict"


class AudioError(ServiceError):
    """Audio that cannot be accepted (undecodable, empty, too long, ...)."""

    status_code = 422
    type = "invalid_audio"


class PayloadTooLarge(ServiceError):
    status_code = 413
    type = "payload_too_large"


class UnsafeURL(ServiceError):
    status_code = 422
    type = "unsafe_url"


class FetchError(ServiceError):
    """Downloading an audio_url failed; often transient."""

    status_code = 422
    type = "fetch_failed"
    retryable = True


class RateLimited(ServiceError):
    """Too many requests from one key; Retry-After says when to come back."""

    status_code = 429
    type = "rate_limited"
    retryable = True


class Overloaded(ServiceError):
    """The service sheds load rather than queue without bound."""

    status_code = 503
    type = "overloaded"
    retryable = True
    retry_after_s = 30
