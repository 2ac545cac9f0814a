"""Every Prometheus series the service exports, named in one place.

The loops and routes report through a ``Metrics`` object. The base class records
nothing (the CLI, in-process tests); the deployments use ``RayMetrics``, which
records through Ray Serve's metrics API, exported by each Ray node's metrics agent
(``ray start --metrics-export-port``; `audiolasso serve` uses
``AUDIOLASSO_METRICS_PORT``) with the prefix ``ray_``. The Grafana dashboard in
``cluster/grafana-dashboard.json`` plots these names.
"""

from __future__ import annotations

from collections.abc import Mapping

# Seconds: from a few ms (queue wait on an idle service) to an hour of audio.
TIME_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600]

# name -> (kind, description, tag keys)
SERIES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "audiolasso_jobs_submitted": ("counter", "Jobs accepted (202), by backend.", ("backend",)),
    "audiolasso_jobs_finished": ("counter", "Jobs that reached a terminal state.", ("backend", "status")),
    "audiolasso_job_failures": ("counter", "FAILED jobs by error type.", ("backend", "error_type")),
    "audiolasso_job_wait_seconds": ("histogram", "Submit to start (queue wait).", ("backend", "status")),
    "audiolasso_job_run_seconds": ("histogram", "Start to terminal state.", ("backend", "status")),
    "audiolasso_job_total_seconds": ("histogram", "Submit to terminal state.", ("backend", "status")),
    "audiolasso_queue_depth": ("gauge", "Jobs waiting in the queue.", ()),
    "audiolasso_queued_audio_seconds": ("gauge", "Seconds of audio waiting, by backend.", ("backend",)),
    "audiolasso_chunks_separated": ("counter", "Audio chunks separated, by backend.", ("backend",)),
    "audiolasso_upload_bytes": ("counter", "Bytes of audio uploaded.", ()),
    "audiolasso_webhook_deliveries": ("counter", "Webhook attempts by outcome.", ("outcome",)),
}


class Metrics:
    """Records nothing; the interface every part reports through."""

    def job_submitted(self, backend: str) -> None: ...

    def job_finished(
        self, backend: str, status: str, error_type: str | None, wait_s: float, run_s: float, total_s: float
    ) -> None: ...

    def queue(self, depth: int, audio_s: Mapping[str, float]) -> None: ...

    def chunks_separated(self, backend: str, count: int) -> None: ...

    def uploaded(self, nbytes: int) -> None: ...

    def webhook_attempt(self, outcome: str) -> None: ...


class RayMetrics(Metrics):
    """Records through ``ray.serve.metrics`` (inside a Serve replica)."""

    def __init__(self) -> None:
        from ray.serve import metrics as serve_metrics

        kinds = {"counter": serve_metrics.Counter, "gauge": serve_metrics.Gauge}
        self._series = {}
        for name, (kind, description, tags) in SERIES.items():
            if kind == "histogram":
                self._series[name] = serve_metrics.Histogram(
                    name, description=description, boundaries=TIME_BUCKETS, tag_keys=tags
                )
            else:
                self._series[name] = kinds[kind](name, description=description, tag_keys=tags)
        self._backends_seen: set[str] = set()  # queued-audio gauges fall to 0 when a backend's queue empties

    def job_submitted(self, backend: str) -> None:
        self._series["audiolasso_jobs_submitted"].inc(tags={"backend": backend})

    def job_finished(
        self, backend: str, status: str, error_type: str | None, wait_s: float, run_s: float, total_s: float
    ) -> None:
        tags = {"backend": backend, "status": status}
        self._series["audiolasso_jobs_finished"].inc(tags=tags)
        if error_type:
            self._series["audiolasso_job_failures"].inc(tags={"backend": backend, "error_type": error_type})
        self._series["audiolasso_job_wait_seconds"].observe(wait_s, tags=tags)
        self._series["audiolasso_job_run_seconds"].observe(run_s, tags=tags)
        self._series["audiolasso_job_total_seconds"].observe(total_s, tags=tags)

    def queue(self, depth: int, audio_s: Mapping[str, float]) -> None:
        self._series["audiolasso_queue_depth"].set(depth)
        self._backends_seen |= set(audio_s)
        for backend in self._backends_seen:
            self._series["audiolasso_queued_audio_seconds"].set(audio_s.get(backend, 0.0), tags={"backend": backend})

    def chunks_separated(self, backend: str, count: int) -> None:
        self._series["audiolasso_chunks_separated"].inc(count, tags={"backend": backend})

    def uploaded(self, nbytes: int) -> None:
        self._series["audiolasso_upload_bytes"].inc(nbytes)

    def webhook_attempt(self, outcome: str) -> None:
        self._series["audiolasso_webhook_deliveries"].inc(tags={"outcome": outcome})
