"""The AudioLasso client: ``Client`` (blocking) and ``AsyncClient``.

    from serve_app.client import Client
    with Client() as audiolasso:  # AUDIOLASSO_URL, AUDIOLASSO_API_KEY
        result = audiolasso.separate("mix.wav", "isolate the speaker", out_dir="out/")

Errors are ``APIError`` (the API's ``type``, ``message``, ``field``) and ``JobFailed``.
Webhook receivers verify deliveries with ``verify`` (``serve_app.webhooks.verify``).
"""

from serve_app.client.aio import APIError, AsyncClient, AsyncJob, JobFailed
from serve_app.client.sync import Client, Job
from serve_app.webhooks.verify import WebhookVerificationError, verify

__all__ = [
    "APIError",
    "AsyncClient",
    "AsyncJob",
    "Client",
    "Job",
    "JobFailed",
    "WebhookVerificationError",
    "verify",
]
