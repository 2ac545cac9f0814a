"""Every Redis key the service uses, named in one place.

All keys start with the configured prefix (``AUDIOLASSO_REDIS_PREFIX``) so
several deployments, or test runs, can share one server. The prefix is a hash tag
(``{al}:job:...``): on Redis Cluster every key of a deployment lives in one slot,
so each Lua script and transaction, whatever keys it touches, runs on one node.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RedisKeys:
    prefix: str = "al"

    EVENTS_SUFFIX = ":events"  # a job's event log is its key plus this (job_claim.lua builds it too)

    @property
    def root(self) -> str:
        """The start of every key: the prefix as a Redis Cluster hash tag."""
        return f"{{{self.prefix}}}"

    @property
    def pattern(self) -> str:
        """A SCAN pattern that matches every key of this deployment."""
        return f"{self.root}:*"

    # --- jobs -------------------------------------------------------------
    @property
    def job_prefix(self) -> str:
        return f"{self.root}:job:"

    def job(self, request_id: str) -> str:
        """Hash: the job record (status, owner, input, result, error, ...)."""
        return f"{self.job_prefix}{request_id}"

    def events(self, request_id: str) -> str:
        """Stream: the job's event log, replayable by id (SSE Last-Event-ID)."""
        return f"{self.job_prefix}{request_id}{self.EVENTS_SUFFIX}"

    @property
    def queue(self) -> str:
        """Sorted set: queued job ids scored by submit sequence (rank = position)."""
        return f"{self.root}:queue"

    @property
    def leases(self) -> str:
        """Sorted set: claimed job ids scored by lease deadline (ms, Redis clock)."""
        return f"{self.root}:leases"

    @property
    def seq(self) -> str:
        """Counter: submit sequence numbers."""
        return f"{self.root}:seq"

    @property
    def queued_audio(self) -> str:
        """Hash: what serves a job (``dsp``, ``dsp+learned``) -> milliseconds of audio queued for it."""
        return f"{self.root}:queued-audio-ms"

    @property
    def jobs_expiry(self) -> str:
        """Sorted set: finished job ids scored by when their records expire (ms), for the janitor."""
        return f"{self.root}:jobs:expiry"

    @property
    def wakeup(self) -> str:
        """List: one token per submit, so idle workers wake at once (BLPOP)."""
        return f"{self.root}:wakeup"

    @property
    def queue_moves(self) -> str:
        """Stream (capped): one entry whenever a queued job leaves the queue, so
        status streams of the jobs behind it recompute their position."""
        return f"{self.root}:queue:moves"

    # --- webhook outbox ---------------------------------------------------
    @property
    def webhook_prefix(self) -> str:
        return f"{self.root}:webhook:"

    def webhook(self, request_id: str) -> str:
        """Hash: the completion webhook delivery of a job (url, state, attempt log, body)."""
        return f"{self.webhook_prefix}{request_id}"

    @property
    def webhooks_due(self) -> str:
        """Sorted set: request ids with a delivery to attempt, scored by the time
        (ms, Redis clock) of the next attempt, or the lease deadline of one in flight."""
        return f"{self.root}:webhooks:due"

    @property
    def webhooks_wakeup(self) -> str:
        """List: one token per enqueued delivery, so idle senders wake at once (BLPOP)."""
        return f"{self.root}:webhooks:wakeup"

    def webhook_secret(self, key_id: str) -> str:
        """String (JSON): an API key's webhook signing secret (whsec_...) and when it was made."""
        return f"{self.root}:whsecret:{key_id}"

    # --- files ------------------------------------------------------------
    def file(self, file_id: str) -> str:
        """Hash: file metadata (owner, name, size, audio properties, storage path)."""
        return f"{self.root}:file:{file_id}"

    @property
    def files_expiry(self) -> str:
        """Sorted set: file ids scored by when they expire (ms, Unix time), for the janitor."""
        return f"{self.root}:files:expiry"

    @property
    def storage_used(self) -> str:
        """Hash: API key id -> bytes of files it holds (uploads and results), for its quota."""
        return f"{self.root}:storage-used"

    # --- one API key's own items, for listings ----------------------------
    def owner_requests(self, owner: str) -> str:
        """Sorted set (all scores 0, so ordered by id = by creation time): a key's request ids."""
        return f"{self.root}:owner:{owner}:requests"

    def owner_files(self, owner: str) -> str:
        """Sorted set (as owner_requests): a key's file ids, uploads and results."""
        return f"{self.root}:owner:{owner}:files"

    def idempotency(self, owner: str, action: str, key_hash: str) -> str:
        """String (JSON, expiring): what an Idempotency-Key (by SHA-256) of one API key was
        first used for on one route: the request's fingerprint and the id it created."""
        return f"{self.root}:idem:{owner}:{action}:{key_hash}"

    # --- abuse limits -----------------------------------------------------
    @property
    def queued_per_owner(self) -> str:
        """Hash: API key id -> number of its jobs waiting in the queue."""
        return f"{self.root}:queued-per-key"

    def rate(self, action: str, owner: str, window: int) -> str:
        """Counter (expiring): one key's ``action`` requests in one rate-limit window."""
        return f"{self.root}:rate:{action}:{owner}:{window}"

    @property
    def url_signing_key(self) -> str:
        """String: the shared key that signs download links (when not configured)."""
        return f"{self.root}:url-signing-key"

    # --- API keys ---------------------------------------------------------
    def api_key(self, key_hash: str) -> str:
        """Hash: an API key's record, found by the SHA-256 of the secret."""
        return f"{self.root}:apikey:{key_hash}"

    @property
    def api_key_index(self) -> str:
        """Hash: key id -> SHA-256 of the secret (for list and revoke)."""
        return f"{self.root}:apikeys"
