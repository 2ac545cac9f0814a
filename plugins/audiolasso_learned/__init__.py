"""The ``learned`` backend: a small text-queried mask network trained here, run on the CPU."""

SAMPLE_RATE = 44_100  # the rate of the dev corpus and most uploads: no resampling on the common path
