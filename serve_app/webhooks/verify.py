"""Verify a webhook from AudioLasso in the receiver (Standard Webhooks).

from serve_app.webhooks.verify import verify, WebhookVerificationError

event = verify(secret, request.headers, raw_body)   # the parsed JSON body, or raises
"""

from __future__ import annotations

import binascii
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any

from serve_app.webhooks.signing import signature


class WebhookVerificationError(ValueError):
    """The request is not an authentic, fresh webhook; answer it with 4xx."""


def verify(secret: str, headers: Mapping[str, str], body: bytes | str, tolerance_s: float = 300.0) -> dict[str, Any]:
    """Check the ``webhook-signature`` of ``body`` (the raw bytes received)
    with ``secret`` (``whsec_...``) and that ``webhook-timestamp`` is within
    ``tolerance_s`` of now (replay protection). Returns the parsed body."""
    lower = {name.lower(): value for name, value in headers.items()}
    try:
        webhook_id, stamp, signatures = (lower[h] for h in ("webhook-id", "webhook-timestamp", "webhook-signature"))
    except KeyError as missing:
        raise WebhookVerificationError(f"missing header {missing}") from None
    try:
        timestamp = int(stamp)
    except ValueError:
        raise WebhookVerificationError(f"webhook-timestamp {stamp!r} is not a Unix time") from None
    if abs(time.time() - timestamp) > tolerance_s:
        raise WebhookVerificationError(f"webhook-timestamp {timestamp} is more than {tolerance_s:g} s from now")
    raw = body.encode() if isinstance(body, str) else body
    try:
        expected = signature(secret, webhook_id, timestamp, raw)
    except (binascii.Error, ValueError):
        raise WebhookVerificationError("the secret is not a whsec_<base64> string") from None
    # The header may carry several space-separated signatures (e.g. during a secret rotation).
    for candidate in signatures.split():
        version, _, value = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(value, expected):
            return json.loads(raw)
    raise WebhookVerificationError("no signature matches the body; check the secret")
