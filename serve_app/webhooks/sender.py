"""The webhook sender loop: claims due deliveries from the outbox, signs and
POSTs them, and records every attempt. Runs beside the job loop (QueueWorker).

A 2xx answer delivers; 410 Gone and a URL that breaks the address rules stop at
once; anything else (timeouts, connection errors, other answers) is retried
with exponential backoff and jitter, honouring Retry-After, until
``webhook_max_attempts``. A job's own state never depends on its webhook.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from serve_app import __version__
from serve_app.access.apikeys import KeyStore
from serve_app.access.signed_urls import SigningKey
from serve_app.clock import now_iso
from serve_app.config import Settings
from serve_app.contract.views import webhook_payload
from serve_app.errors import ServiceError, UnsafeURL
from serve_app.jobs.claim_loop import ClaimLoop
from serve_app.jobs.store import JobStore
from serve_app.metrics import Metrics
from serve_app.outbound.fetch import http_client, open_url
from serve_app.webhooks.outbox import Delivery, DeliveryClaim, DeliveryState, Outbox
from serve_app.webhooks.secret_store import WebhookSecrets
from serve_app.webhooks.signing import sign_headers

log = logging.getLogger(__name__)

# An attempt's lease outlasts its timeout by this much, so only a sender that
# stopped mid-attempt ever loses one.
LEASE_MARGIN_S = 30.0
GONE = 410


def retry_after_s(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def backoff_s(attempt: int, settings: Settings, retry_after: float | None) -> float:
    """Delay after failed attempt number ``attempt``: doubling from the base,
    capped, with jitter so receivers that come back are not hit all at once.
    A Retry-After is honoured up to the same cap."""
    delay = min(settings.webhook_backoff_max_s, settings.webhook_backoff_base_s * 2 ** (attempt - 1))
    delay *= random.uniform(0.5, 1.0)
    if retry_after is not None:
        delay = max(delay, min(retry_after, settings.webhook_backoff_max_s))
    return delay


async def post(url: str, body: bytes, headers: dict[str, str], settings: Settings) -> httpx.Response:
    """POST one webhook attempt; redirects are not followed (a 3xx is a failed attempt)."""
    async with http_client(settings, "webhookUrl", httpx.Timeout(settings.webhook_timeout_s)) as client:
        async with open_url(client, "POST", url, settings, field="webhookUrl", content=body, headers=headers) as r:
            return r


@dataclass(frozen=True)
class Outcome:
    record: dict[str, Any]  # status_code or error, for the attempt log
    state: DeliveryState | None = None  # None: retry while attempts are left
    retry_after: float | None = None


class WebhookSender:
    def __init__(
        self,
        settings: Settings,
        outbox: Outbox,
        jobs: JobStore,
        api_keys: KeyStore,
        secrets: WebhookSecrets,
        signing: SigningKey,
        metrics: Metrics | None = None,
        concurrency: int = 8,
    ):
        self.metrics = metrics or Metrics()
        self.settings = settings
        self.outbox = outbox
        self.jobs = jobs
        self.api_keys = api_keys
        self.secrets = secrets
        self.signing = signing
        self.loop = ClaimLoop(
            "webhook delivery",
            claim=lambda: outbox.claim(
                settings.webhook_timeout_s + LEASE_MARGIN_S, settings.webhook_max_attempts, now_iso()
            ),
            wait_for_work=lambda: outbox.wait_for_work(max_s=min(1.0, settings.redis_block_s)),
            handle=self._attempt,
            key=lambda claim: claim.request_id,
            concurrency=concurrency,
        )

    async def run(self) -> None:
        """Send due deliveries until :meth:`stop`; attempts in flight then finish."""
        await self.loop.run()

    def stop(self) -> None:
        self.loop.stop()

    async def _attempt(self, claim: DeliveryClaim) -> None:
        try:
            await self._send(claim)
        except Exception:
            # The lease runs out and another attempt follows, recorded as a lost one.
            log.exception("webhook attempt for %s failed unexpectedly", claim.request_id)

    async def _send(self, claim: DeliveryClaim) -> None:
        settings = self.settings
        delivery = await self.outbox.require(claim.request_id)
        at, started = now_iso(), time.monotonic()
        if await self.api_keys.exists(delivery.owner):
            outcome = await self._post(claim, delivery)
        else:
            outcome = Outcome({"error": "the API key that submitted the request was revoked"}, "failed")
        attempt = {
            "attempt": claim.attempt,
            "at": at,
            "duration_ms": round((time.monotonic() - started) * 1000),
            **outcome.record,
        }
        state, delay = outcome.state, 0.0
        if state is None:
            if claim.attempt < settings.webhook_max_attempts:
                state, delay = "pending", backoff_s(claim.attempt, settings, outcome.retry_after)
            else:
                state = "failed"
        self.metrics.webhook_attempt("retried" if state == "pending" else state)  # or delivered, failed
        if not await self.outbox.complete(claim, attempt, state, delay):
            log.warning("lost the lease on the webhook of %s; its attempt is not recorded", claim.request_id)

    async def _post(self, claim: DeliveryClaim, delivery: Delivery) -> Outcome:
        """Sign and POST the delivery's body once; what came of it."""
        settings = self.settings
        body = (delivery.body or await self.outbox.freeze_body(claim.request_id, await self._body(claim))).encode()
        secret = (await self.secrets.get(delivery.owner))["secret"]
        headers = {
            "content-type": "application/json",
            "user-agent": f"AudioLasso/{__version__}",
            **sign_headers(secret, delivery.webhook_id, int(time.time()), body),
        }
        try:
            async with asyncio.timeout(settings.webhook_timeout_s):
                response = await post(delivery.url, body, headers, settings)
        except UnsafeURL as exc:
            return Outcome({"error": f"{exc.type}: {exc.message}"}, "failed")
        except ServiceError as exc:  # the host did not resolve; DNS may recover
            return Outcome({"error": f"{exc.type}: {exc.message}"})
        except (TimeoutError, httpx.TimeoutException):
            return Outcome({"error": f"no answer within {settings.webhook_timeout_s:g} s"})
        except httpx.HTTPError as exc:
            return Outcome({"error": f"{type(exc).__name__}: {exc}".rstrip(": ")})
        record = {"status_code": response.status_code}
        if response.is_success:
            return Outcome(record, "delivered")
        if response.status_code == GONE:
            return Outcome(record, "failed")  # the receiver asks us to stop
        return Outcome(record, retry_after=retry_after_s(response.headers.get("retry-after")))

    async def _body(self, claim: DeliveryClaim) -> str:
        job = await self.jobs.require(claim.request_id)
        base = job.base_url or self.settings.public_url or ""
        return webhook_payload(job, base, await self.signing.signer()).model_dump_json(exclude_none=True)
