"""Webhook routes: the caller's signing secret, and a job's delivery attempts."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Header

from serve_app.api.deps import get_ctx, get_owner
from serve_app.clock import iso_from_ms
from serve_app.context import ServiceContext
from serve_app.contract.schemas import (
    WebhookAttempt,
    WebhookDeliveries,
    WebhookDelivery,
    WebhookPayload,
    WebhookSecret,
    error_responses,
)
from serve_app.webhooks.outbox import Delivery

router = APIRouter(tags=["webhooks"])
# The OpenAPI "webhooks" section: what the service POSTs to a webhookUrl. Documentation only.
outgoing = APIRouter(tags=["webhooks"])
_errors = error_responses(401, 404)


@router.get(
    "/v1/webhooks/secret",
    response_model=WebhookSecret,
    responses=_errors,
    summary="The webhook signing secret of this API key",
)
async def get_secret(owner: str = Depends(get_owner), ctx: ServiceContext = Depends(get_ctx)) -> WebhookSecret:
    """Every webhook of a request made with this key is signed with this secret
    (Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature`).
    It is created on first use."""
    return WebhookSecret(key_id=owner, **await ctx.webhook_secrets.get(owner))


@router.post(
    "/v1/webhooks/secret",
    response_model=WebhookSecret,
    responses=_errors,
    summary="Rotate the webhook signing secret of this API key",
)
async def rotate_secret(owner: str = Depends(get_owner), ctx: ServiceContext = Depends(get_ctx)) -> WebhookSecret:
    """Replace the secret; every attempt from now on, retries included, is signed with the new one."""
    return WebhookSecret(key_id=owner, **await ctx.webhook_secrets.rotate(owner))


@router.get(
    "/v1/queue/requests/{request_id}/webhooks",
    response_model=WebhookDeliveries,
    response_model_exclude_none=True,
    responses=_errors,
    summary="Webhook deliveries of a job",
)
async def deliveries(
    request_id: str, owner: str = Depends(get_owner), ctx: ServiceContext = Depends(get_ctx)
) -> WebhookDeliveries:
    """The completion webhook of the job and every attempt to deliver it
    (time, HTTP status or error, duration)."""
    job = await ctx.jobs.get_owned(request_id, owner)
    delivery = await ctx.outbox.get(request_id)
    return WebhookDeliveries(
        request_id=request_id,
        webhook_url=job.webhook_url,
        deliveries=[delivery_view(delivery)] if delivery else [],
    )


@outgoing.post(
    "request-finished",
    summary="A job ended (POSTed to its webhookUrl)",
    responses={
        200: {
            "description": "Any 2xx: delivered. 410: stop. Anything else, or no "
            "answer: retried with backoff (Retry-After honoured)."
        }
    },
)
def request_finished(
    body: WebhookPayload,
    webhook_id: str = Header(alias="webhook-id", description="The delivery's id; the same on every retry."),
    webhook_timestamp: str = Header(alias="webhook-timestamp", description="Unix time of this attempt."),
    webhook_signature: str = Header(
        alias="webhook-signature",
        description="v1,<base64 HMAC-SHA256 of '{webhook-id}.{webhook-timestamp}.{body}'> keyed with "
        "the base64-decoded part of the API key's whsec_ secret (GET /v1/webhooks/secret).",
    ),
) -> None:
    """Sent once per attempt when a job reaches COMPLETED, FAILED or CANCELLED.
    Verify it with `serve_app.webhooks.verify.verify(secret, headers, body)`."""


def delivery_view(delivery: Delivery) -> WebhookDelivery:
    return WebhookDelivery(
        webhook_id=delivery.webhook_id,
        url=delivery.url,
        state=delivery.state,
        attempts=[WebhookAttempt.model_validate(a) for a in delivery.attempt_log],
        next_attempt_at=iso_from_ms(delivery.next_attempt_ms) if delivery.next_attempt_ms else None,
    )
