"""Job state in Redis and the worker that moves jobs through it."""
