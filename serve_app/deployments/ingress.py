"""Ingress: the FastAPI app behind the Serve proxy. Stateless; all state is in Redis."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from ray import serve
from ray.serve.handle import DeploymentHandle

from serve_app.api.factory import create_api
from serve_app.config import get_settings
from serve_app.context import ServiceContext
from serve_app.jobs.planning import Planner
from serve_app.jobs.separator_client import HandleSeparator
from serve_app.metrics import RayMetrics
from serve_app.understanding.reading import read

STATUS_WAIT_S = 2.0


@serve.deployment(name="Ingress", max_ongoing_requests=200, ray_actor_options={"num_cpus": 0.5})
@serve.ingress()
class Ingress:
    def __init__(
        self,
        worker: DeploymentHandle,
        separators: dict[str, DeploymentHandle],
        options: dict[str, dict[str, Any]],
        routes: dict[str, list[str]],
        routes_without_spans: dict[str, list[str]] | None = None,
    ):
        # Binding the worker makes it part of the application graph, so Serve
        # deploys (and health-checks) it with the Ingress. The separators, by
        # key, answer what each backend can do and whether it is available;
        # their options let this replica plan jobs with the same backends.
        self.worker = worker
        self.separators = separators
        self.options = options
        self.routes = routes
        self.routes_without_spans = routes_without_spans or {}

    def __serve_build_asgi_app__(self) -> FastAPI:
        # Built in the replica, after __init__, so the app holds this
        # process's Redis connection. The prompt model loads now, before the
        # replica serves, rather than in the first submit.
        read("isolate the speaker")
        planner = Planner.for_deployment(self.options, self.routes, self.routes_without_spans)
        # What each backend can do is known here, and whether it is up is asked for briefly: a
        # Separator scaled to zero must not hold a submit or a listing while its model loads.
        separators = {
            key: HandleSeparator(handle, info=planner.backends[key].info, status_wait_s=STATUS_WAIT_S)
            for key, handle in self.separators.items()
        }
        return create_api(
            ServiceContext.create(
                get_settings(),
                list(self.separators),
                routes=self.routes,
                routes_without_spans=self.routes_without_spans,
                metrics=RayMetrics(),
            ),
            separators,
            planner,
        )
