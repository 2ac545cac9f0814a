"""The ``learned`` backend: a small text-queried mask network trained here, run on the CPU."""
