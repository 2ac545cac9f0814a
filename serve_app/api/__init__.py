"""The HTTP API (FastAPI), served by the Ingress deployment."""
