"""Request and response models: the public contract, as OpenAPI shows it."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from serve_app import ids
from serve_app.audio.formats import OUTPUT_FORMATS_DOC, OutputFormat
from serve_app.errors import ErrorType
from serve_app.jobs.record import JobStatus
from serve_app.understanding.reading import SoundMatch

MAX_PROMPT_CHARS = 500
MAX_SPANS = 64
FILE_ID_PATTERN = ids.pattern("file")
# Some character that is not blank, where Python (str.isspace: also \x1c-\x1f and \x85) and
# JSON Schema's ECMA regexes (\s: also U+FEFF) disagree on what blank is: the schema and the
# validator then refuse the same prompts.
NOT_BLANK = r"[^\s\x1c-\x1f\x85\ufeff]"


class Span(BaseModel):
    """A hint about where the sound the prompt names is (include) or is not (exclude)."""

    # Strict: "0.1" is not a number and "yes" is not a boolean; NaN and infinity are refused.
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)

    start: float = Field(ge=0, description="Start, seconds from the beginning of the audio.")
    end: float = Field(gt=0, description="End, seconds; must be after start.")
    include: bool = Field(
        True, description="true: the sound the prompt names is heard here; false: only other sounds are."
    )

    @model_validator(mode="after")
    def _ordered(self) -> Span:
        if self.end <= self.start:
            raise PydanticCustomError(
                ErrorType.INVALID_SPANS.value,
                "A span must end after it starts; this one runs from {start} to {end} s.",
                {"start": self.start, "end": self.end},
            )
        return self


class SeparateInput(BaseModel):
    """What to separate: one recording (audio_url or file_id) and a text prompt."""

    # What the validators below check, as JSON Schema, so clients and tools can generate valid
    # requests: exactly one source (the other absent or null), a video only with its mask.
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "allOf": [
                {
                    "oneOf": [
                        {"required": ["audio_url"], "properties": {"audio_url": {"type": "string"}}},
                        {"required": ["file_id"], "properties": {"file_id": {"type": "string"}}},
                    ]
                },
                {
                    "anyOf": [
                        {"properties": {"video_url": {"type": "null"}, "mask_url": {"type": "null"}}},
                        {
                            "required": ["video_url", "mask_url"],
                            "properties": {"video_url": {"type": "string"}, "mask_url": {"type": "string"}},
                        },
                    ]
                },
            ]
        },
    )

    audio_url: str | None = Field(
        None, max_length=2048, description="Public https URL of the recording. Exactly one of audio_url and file_id."
    )
    file_id: str | None = Field(
        None,
        pattern=FILE_ID_PATTERN,
        description="An uploaded file (POST /v1/files). Exactly one of audio_url and file_id.",
    )
    prompt: str = Field(
        min_length=1,
        max_length=MAX_PROMPT_CHARS,
        pattern=NOT_BLANK,
        description='What to put in the target track, e.g. "isolate the lead vocal".',
    )
    spans: list[Span] = Field(
        default_factory=list,
        max_length=MAX_SPANS,
        description="Optional time-span hints about the sound the prompt names; hints, not hard edits. "
        "null is the same as none.",
    )
    backend: str | None = Field(
        None,
        max_length=64,
        description="Which deployed separation backend to use; default: the deployment's default backend "
        "(or, with model_variant, the first deployed backend offering that variant), or the backends the "
        "deployment's concept routes give for the sound asked for. See GET /v1/backends.",
    )
    model_variant: str | None = Field(
        None,
        max_length=64,
        description='Which variant of the backend, e.g. "large" or "small-tv" for sam-audio; default: the '
        "backend's first deployed variant. A variant that is not deployed gets a 422 listing the deployed ones.",
    )
    video_url: str | None = Field(
        None,
        max_length=2048,
        description="Visual prompting, OFF unless the operator deploys a backend with the visual capability "
        "(GET /v1/backends: visual_prompting); otherwise a 422 visual_prompting_disabled. Public https URL "
        "of a video of the recording; give mask_url with it.",
    )
    mask_url: str | None = Field(
        None,
        max_length=2048,
        description="Visual prompting (see video_url): public https URL of a mask video of the same length "
        "and size, in the backend's convention (sam-audio keeps the pixels where the mask is 0).",
    )
    output_format: OutputFormat = Field("wav", description=OUTPUT_FORMATS_DOC)

    @field_validator("spans", mode="before")
    @classmethod
    def _no_spans(cls, value: Any) -> Any:
        return [] if value is None else value  # like every other optional field, null means absent

    @field_validator("prompt", mode="before")
    @classmethod
    def _prompt_has_words(cls, value: Any) -> Any:
        # Before the pattern check, for a clearer message than the pattern's.
        if isinstance(value, str):
            value = value.strip()
            if not re.search(NOT_BLANK, value):
                raise ValueError('prompt must not be blank: say what to keep, e.g. "isolate the lead vocal"')
        return value

    @model_validator(mode="after")
    def _one_source(self) -> SeparateInput:
        if (self.audio_url is None) == (self.file_id is None):
            raise ValueError("give exactly one of audio_url and file_id")
        if (self.video_url is None) != (self.mask_url is None):
            raise ValueError("give video_url and mask_url together, or neither")
        for inc in (s for s in self.spans if s.include):
            for exc in (s for s in self.spans if not s.include):
                if inc.start < exc.end and exc.start < inc.end:
                    raise PydanticCustomError(
                        ErrorType.INVALID_SPANS.value,
                        "Spans contradict each other: include {inc} overlaps exclude {exc}; "
                        "a moment is either where the sound is or where it is not.",
                        {"inc": f"{inc.start}-{inc.end}", "exc": f"{exc.start}-{exc.end}"},
                    )
        return self


class SeparateRequest(BaseModel):
    """Body of POST /v1/queue/audio/separate."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    input: SeparateInput
    webhook_url: str | None = Field(
        None, alias="webhookUrl", max_length=2048, description="Public https URL called when the job ends."
    )


class QueueLinks(BaseModel):
    """Absolute URLs to follow a job."""

    status_url: str
    stream_url: str
    result_url: str


class Interpretation(BaseModel):
    """How the service read the prompt, and what separates it: known at submit, so a
    client can cancel a misread job at once."""

    phrase: str = Field(description='The sound separated, in the prompt\'s words ("cuckoo calls", "drums").')
    inverted: bool = Field(
        description='false: the target track is that sound; true: everything except it ("remove the drums").'
    )
    concept: str = Field(description="The closest sound of the catalog ('other' when none is close).")
    family: str = Field(description="voice, music, instrument, noise, event or other.")
    confidence: float = Field(description="How close the phrase is to that concept (cosine similarity, 0-1).")
    keep: SoundMatch | None = Field(None, description="The sound the prompt asked to keep, if it named one.")
    remove: SoundMatch | None = Field(None, description="The sound the prompt asked to remove, if it named one.")
    vague: bool = Field(description="The prompt names no particular sound; it is served as a general clean-up.")
    backend: str = Field(description="What separates it: a backend key, or several joined by '+' (averaged).")
    method: str = Field(description="How the backend separates it.")


class SubmitResponse(QueueLinks):
    """202 Accepted: the job is queued."""

    request_id: str
    status: JobStatus
    model: str = "audio/separate"
    created_at: str = Field(description="ISO-8601 UTC with milliseconds.")
    interpretation: Interpretation
    warnings: list[str] | None = None


class JobError(BaseModel):
    """Why a job FAILED."""

    type: str = Field(description="Machine-readable error type.")
    message: str = Field(description="What went wrong and what to change.")
    field: str | None = None
    retryable: bool = Field(description="Whether submitting the same request again can succeed.")


class Progress(BaseModel):
    """How much of a running job is done."""

    chunks_done: int
    chunks_total: int
    fraction: float


class StatusResponse(QueueLinks):
    """A job's state: IN_QUEUE -> IN_PROGRESS -> COMPLETED | FAILED | CANCELLED."""

    request_id: str
    status: JobStatus
    model: str = "audio/separate"
    created_at: str
    started_at: str | None = None
    completed_at: str | None = None
    queue_position: int | None = Field(None, description="Jobs ahead of this one (IN_QUEUE only).")
    progress: Progress | None = Field(None, description="Chunks separated so far (IN_PROGRESS only).")
    cancel_requested: bool | None = None
    error: JobError | None = None
    interpretation: Interpretation | None = Field(None, description="How the prompt was read (see the 202).")
    warnings: list[str] | None = None


class FileObject(BaseModel):
    """An audio file the service holds (an upload or a result track)."""

    file_id: str
    url: str = Field(description="Download URL (GET, with the same API key).")
    signed_url: str | None = Field(
        None,
        description="The same download without an API key, for <audio> tags and webhook receivers; "
        "it expires (see its `expires` parameter, Unix seconds).",
    )
    content_type: str
    file_name: str
    file_size: int
    duration: float
    sample_rate: int
    channels: int
    expires_at: str | None = Field(
        None, description="When the service deletes the file (ISO-8601 UTC); absent: kept until deleted."
    )


class FileInfo(FileObject):
    """File metadata, as returned by the files API."""

    created_at: str
    purpose: Literal["upload", "result"]


class RequestList(BaseModel):
    """A page of this API key's requests, newest first."""

    data: list[StatusResponse]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


class FileList(BaseModel):
    """A page of this API key's files (uploads and result tracks), newest first."""

    data: list[FileInfo]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


class Timings(BaseModel):
    """Seconds spent in each stage of a job."""

    queue_s: float = Field(description="Time waiting in the queue.")
    fetch_s: float
    decode_s: float
    separate_s: float
    encode_s: float
    total_s: float = Field(description="From submit to completion.")


class ResultResponse(BaseModel):
    """A COMPLETED job: the target track (what the prompt asked for) and the
    residual (everything else; target + residual = mixture)."""

    request_id: str
    status: JobStatus
    model: str = "audio/separate"
    target: FileObject
    residual: FileObject
    duration: float
    sample_rate: int
    channels: int
    backend: str
    interpretation: Interpretation | None = Field(None, description="How the prompt was read and separated.")
    timings: Timings
    warnings: list[str] = []


class FieldError(BaseModel):
    """One invalid field of a request."""

    field: str | None
    message: str


class ErrorBody(BaseModel):
    """One error: a stable machine-readable type, a sentence saying what to change, and the
    part of the request at fault."""

    type: ErrorType = Field(description="What kind of error, stable across releases.")
    message: str = Field(description="What went wrong and what to change, in one or two sentences.")
    field: str | None = Field(
        None,
        description="The part of the request at fault: a body field (input.spans[0].start), a header "
        "(Authorization, Content-Type), the method, the path, or the body.",
    )
    details: list[FieldError] | None = Field(
        None, description="Validation errors only: every invalid field, when there are several."
    )


class ErrorEnvelope(BaseModel):
    """Every error response has this shape."""

    error: ErrorBody


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for a route that answers these error codes with the envelope."""
    return {code: {"model": ErrorEnvelope} for code in codes}


class CancelResponse(BaseModel):
    """The job's state after a cancel request."""

    request_id: str
    status: JobStatus = Field(description="CANCELLED, or IN_PROGRESS while a running job reaches its next chunk.")
    cancel_requested: bool = Field(description="Always true: the cancel took (the job ended, or it will stop).")


# --- webhooks ---------------------------------------------------------------------------------


class WebhookData(StatusResponse):
    """The status object, plus the result when the job COMPLETED."""

    result: ResultResponse | None = Field(None, description="COMPLETED only: what result_url returns.")


class WebhookPayload(BaseModel):
    """The body POSTed to webhookUrl when a job ends (Standard Webhooks event shape)."""

    type: Literal["request.completed", "request.failed", "request.cancelled"]
    timestamp: str = Field(description="When the job reached its terminal state (ISO-8601 UTC).")
    data: WebhookData


class WebhookAttempt(BaseModel):
    attempt: int = Field(description="1 for the first attempt.")
    at: str = Field(description="When the attempt started.")
    duration_ms: int | None = None
    status_code: int | None = Field(None, description="The receiver's HTTP status, when it answered.")
    error: str | None = Field(None, description="Why no answer counted: timeout, connection error, refused URL...")


class WebhookDelivery(BaseModel):
    webhook_id: str = Field(description="The webhook-id header: the same on every attempt, for deduplication.")
    url: str
    state: Literal["pending", "delivered", "failed"] = Field(
        description="pending: an attempt is due or running; delivered: a 2xx answer; "
        "failed: 410, a refused URL, or every attempt used."
    )
    attempts: list[WebhookAttempt]
    next_attempt_at: str | None = Field(None, description="When a pending delivery is next attempted.")


class WebhookDeliveries(BaseModel):
    request_id: str
    webhook_url: str | None = Field(None, description="Absent for jobs submitted without webhookUrl.")
    deliveries: list[WebhookDelivery] = Field(description="Empty until the job ends, and for jobs without webhookUrl.")


class WebhookSecret(BaseModel):
    """The secret that signs the webhooks of every request made with this API key."""

    key_id: str
    secret: str = Field(description="whsec_<base64>; the base64-decoded bytes are the HMAC-SHA256 key.")
    created_at: str
