"""Typed errors. One class carries everything the API's error envelope needs,
so the same object becomes an HTTP 4xx at the edge or a FAILED job's error."""

from __future__ import annotations

import errno
from enum import StrEnum
from typing import Any

from serve_app.store.connection import UNAVAILABLE


class ErrorType(StrEnum):
    """Every error ``type`` the API and failed jobs report (stable, machine-readable)."""

    # requests
    INVALID_REQUEST = "invalid_request"
    INVALID_SPANS = "invalid_spans"  # well-formed spans that do not fit together or the recording
    INVALID_TIME_RANGE = "invalid_time_range"
    MALFORMED_REQUEST = "malformed_request"
    UNAUTHORIZED = "unauthorized"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    CONFLICT = "conflict"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    HTTP_ERROR = "http_error"
    RATE_LIMITED = "rate_limited"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    STORAGE_QUOTA_EXCEEDED = "storage_quota_exceeded"
    OVERLOADED = "overloaded"
    # prompts and backends
    UNSUPPORTED_PROMPT = "unsupported_prompt"
    UNKNOWN_BACKEND = "unknown_backend"
    UNKNOWN_MODEL_VARIANT = "unknown_model_variant"
    VISUAL_PROMPTING_DISABLED = "visual_prompting_disabled"
    VISUAL_PROMPTING_UNSUPPORTED = "visual_prompting_unsupported"
    BACKEND_UNAVAILABLE = "backend_unavailable"
    SEPARATION_FAILED = "separation_failed"
    # files and URLs
    FILE_NOT_FOUND = "file_not_found"
    UNSAFE_URL = "unsafe_url"
    FETCH_FAILED = "fetch_failed"
    # audio
    INVALID_AUDIO = "invalid_audio"
    EMPTY_AUDIO = "empty_audio"
    UNSUPPORTED_AUDIO = "unsupported_audio"
    CORRUPT_AUDIO = "corrupt_audio"
    INVALID_AUDIO_SAMPLES = "invalid_audio_samples"
    TOO_MANY_CHANNELS = "too_many_channels"
    UNSUPPORTED_SAMPLE_RATE = "unsupported_sample_rate"
    AUDIO_TOO_LARGE = "audio_too_large"
    AUDIO_TOO_LONG = "audio_too_long"
    UNSUPPORTED_OUTPUT_FORMAT = "unsupported_output_format"
    # the service itself
    SERVICE_UNAVAILABLE = "service_unavailable"
    STORAGE_FULL = "storage_full"
    WORKER_LOST = "worker_lost"
    INTERNAL_ERROR = "internal_error"


class ServiceError(Exception):
    """An error a client can act on.

    ``type`` is machine-readable and stable; ``message`` is one human sentence
    saying what to change; ``field`` names the offending input where there is
    one; ``retryable`` says whether the same request could succeed later.
    """

    status_code = 400
    type: str = ErrorType.INVALID_REQUEST
    retryable = False
    retry_after_s: int | None = None  # sent as Retry-After (429/503)

    def __init__(
        self,
        message: str,
        *,
        type: ErrorType | None = None,
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
        self.details: list[dict[str, Any]] | None = None  # every invalid field, for validation errors

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.field:
            out["field"] = self.field
        if self.details:
            out["details"] = self.details
        return out

    def job_error(self) -> dict[str, Any]:
        """The error as stored on a FAILED job."""
        return {**self.to_dict(), "retryable": self.retryable}


class NotFound(ServiceError):
    status_code = 404
    type = ErrorType.NOT_FOUND


class Unauthorized(ServiceError):
    status_code = 401
    type = ErrorType.UNAUTHORIZED


class Conflict(ServiceError):
    status_code = 409
    type = ErrorType.CONFLICT


class AudioError(ServiceError):
    """Audio that cannot be accepted (undecodable, empty, too long, ...)."""

    status_code = 422
    type = ErrorType.INVALID_AUDIO


class PayloadTooLarge(ServiceError):
    status_code = 413
    type = ErrorType.PAYLOAD_TOO_LARGE


class UnsafeURL(ServiceError):
    status_code = 422
    type = ErrorType.UNSAFE_URL


class FetchError(ServiceError):
    """Downloading an audio_url failed; often transient."""

    status_code = 422
    type = ErrorType.FETCH_FAILED
    retryable = True


class SeparationFailed(ServiceError):
    """A backend could not separate a chunk of this job (its own input, or a
    chunk too large for the device alone); other jobs in the batch are unaffected.

    Its fields are class attributes: Ray re-raises a replica's exception as a
    subclass of it whose own attributes come from the class, not the instance."""

    status_code = 500
    type = ErrorType.SEPARATION_FAILED
    retryable = False


class SeparationInterrupted(SeparationFailed):
    """Separation failed for a reason outside the job (the replica's device
    failed, an unexpected error): the same request can succeed on retry."""

    retryable = True


class RateLimited(ServiceError):
    """Too many requests from one key; Retry-After says when to come back."""

    status_code = 429
    type = ErrorType.RATE_LIMITED
    retryable = True


class Overloaded(ServiceError):
    """The service sheds load rather than queue without bound."""

    status_code = 503
    type = ErrorType.OVERLOADED
    retryable = True
    retry_after_s = 30


class ServiceUnavailable(ServiceError):
    """A dependency (Redis, storage) is away for now: nothing was changed, and the
    same request can succeed after Retry-After."""

    status_code = 503
    type = ErrorType.SERVICE_UNAVAILABLE
    retryable = True
    retry_after_s = 5


class StorageUnavailable(Exception):
    """The object store did not answer (or answered an error that is not the client's)."""


def dependency_error(exc: BaseException) -> ServiceError | None:
    """A dependency failure (Redis away, storage full) as the error a client sees, or None
    when ``exc`` is not one. Both are temporary: the same request can succeed later."""
    if isinstance(exc, UNAVAILABLE):
        return ServiceUnavailable("The job store (Redis) is unavailable; retry after the Retry-After delay.")
    if isinstance(exc, StorageUnavailable):
        return ServiceUnavailable("The file store is unavailable; retry after the Retry-After delay.")
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return ServiceError(
            "The service's storage is full; retry later.",
            type=ErrorType.STORAGE_FULL,
            status_code=503,
            retryable=True,
            retry_after_s=60,
        )
    return None
