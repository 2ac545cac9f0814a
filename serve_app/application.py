"""``build_app``: the one entry point for ``serve run`` and the Serve config files.

    import_path: serve_app.application:build_app
    args:
      backends:
        - name: dsp            # a registered backend
          variant: default
          options: {}          # passed to the backend
          device: null         # null: cuda where the deployment has a GPU, else cpu
      routes: {instrument: [dsp, learned], brass: learned} # optional: concept or family -> deployed backend key(s)
      routes_without_spans: {instrument: learned} # optional: the same, for jobs without span hints
      worker: {max_concurrent_jobs: 4, chunks_in_flight: 4}

Deployment names are ``Ingress``, ``QueueWorker`` and ``Separator-<name>``
(``Separator-<name>-<variant>`` for a non-default variant), so a config file
can set replicas, autoscaling and ``user_config`` (batch size) for each. Each
backend entry is one Separator, routed to by its key (``serve_app.routing``);
the same backend may be listed once per variant. ``routes`` send jobs that
name no backend to another deployed backend by the concept the default
backend reads in the prompt, or by its family (``serve_app.routing``);
``routes_without_spans`` override them, concept by concept, for jobs with no span hints.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, field_validator, model_validator
from ray.serve import Application

from serve_app.deployments.ingress import Ingress
from serve_app.deployments.queue_worker import QueueWorker
from serve_app.deployments.separator import Separator
from serve_app.registry import get_backend
from serve_app.routing import FAMILIES, backend_key
from serve_app.understanding.catalog import BY_NAME


class BackendSpec(BaseModel):
    name: str
    variant: str = "default"
    options: dict[str, Any] = {}
    device: str | None = None

    @property
    def key(self) -> str:
        return backend_key(self.name, self.variant)

    @property
    def deployment_name(self) -> str:
        suffix = "" if self.variant == "default" else f"-{self.variant}"
        return f"Separator-{self.name}{suffix}"


class WorkerSpec(BaseModel):
    max_concurrent_jobs: int = Field(4, ge=1)
    chunks_in_flight: int = Field(4, ge=1)
    # A QueueWorker being stopped lets its jobs run this long, then hands the rest back; keep it
    # under the deployment's graceful_shutdown_timeout_s (30 s by default).
    drain_grace_s: float = Field(15.0, ge=0)


class AppArgs(BaseModel):
    backends: list[BackendSpec] = Field([BackendSpec(name="dsp")], min_length=1)  # the first is the default
    # concept or family -> backend key(s), for jobs that name no backend; several keys: their estimates
    # are averaged; a concept's own route comes before its family's
    routes: dict[str, list[str]] = {}
    # the same for jobs without span hints, where the measured choice differs (overrides ``routes``
    # for the concepts and families it names)
    routes_without_spans: dict[str, list[str]] = {}
    worker: WorkerSpec = WorkerSpec()

    @field_validator("routes", "routes_without_spans", mode="before")
    @classmethod
    def _listed(cls, routes: Any) -> Any:
        return {c: [k] if isinstance(k, str) else k for c, k in routes.items()} if isinstance(routes, dict) else routes

    @model_validator(mode="after")
    def _consistent(self) -> AppArgs:
        keys = [b.key for b in self.backends]
        if len(set(keys)) != len(keys):
            raise ValueError(f"each backend and variant may be listed once; got {keys}")
        for field, routes in (("routes", self.routes), ("routes_without_spans", self.routes_without_spans)):
            for concept, routed in routes.items():
                if concept not in BY_NAME and concept not in FAMILIES:
                    raise ValueError(
                        f"{field}: unknown concept or family {concept!r}; concepts: {sorted(BY_NAME)}, "
                        f"families: {sorted(FAMILIES)}"
                    )
                if not routed or len(set(routed)) != len(routed):
                    raise ValueError(f"{field}: {concept} needs one or more distinct backends; got {routed}")
                if missing := [key for key in routed if key not in keys]:
                    raise ValueError(f"{field}: {concept} -> {missing}, which is not deployed; deployed: {keys}")
        return self


def build_app(args: dict[str, Any] | None = None) -> Application:
    spec = AppArgs.model_validate(args or {})
    separators = {}
    for backend in spec.backends:
        # Constructing (not loading) checks variant and options here, so a typo
        # fails the deploy; load failures only mark that one Separator unavailable.
        info = get_backend(backend.name)(backend.variant, backend.options).info
        res = info.resources
        # Serve's decorators add .options and .bind, which mypy does not see on a class.
        separators[backend.key] = Separator.options(  # type: ignore[attr-defined]
            name=backend.deployment_name,
            user_config={"max_batch_size": info.max_batch_size},
            max_ongoing_requests=max(64, 4 * info.max_batch_size),
            ray_actor_options={"num_cpus": res.num_cpus, "num_gpus": res.num_gpus},
        ).bind(backend.name, backend.variant, backend.options, backend.device)
    options = {backend.key: backend.options for backend in spec.backends}
    worker = QueueWorker.bind(  # type: ignore[attr-defined]
        separators, options, spec.routes, spec.routes_without_spans, **spec.worker.model_dump()
    )
    return Ingress.bind(worker, separators, options, spec.routes, spec.routes_without_spans)  # type: ignore[attr-defined]
