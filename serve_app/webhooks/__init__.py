"""Completion webhooks: a durable outbox in Redis, a sender loop, Standard Webhooks signatures."""
