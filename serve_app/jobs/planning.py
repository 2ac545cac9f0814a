"""A job's plan, made once when it is submitted: the service's reading of the
prompt, and which backends separate it, each with its :class:`Plan`.

The Ingress plans every submit (so a prompt no backend can serve is refused
with a 422 before it is queued, and the 202 already shows the reading); the
job stores the plan and the worker runs it. Concept routes
(``serve_app.routing``) are applied here, on the reading's concept.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from pydantic import BaseModel, SerializeAsAny

from serve_app.backend import Backend, Plan, SpanHint, UnsupportedPrompt
from serve_app.errors import ErrorType, ServiceError
from serve_app.registry import get_backend
from serve_app.routing import concept_route, resolved_routes, split_key
from serve_app.understanding.reading import Reading, UnreadablePrompt, read
from serve_app.understanding.weak import prompt_warnings

log = logging.getLogger(__name__)

# Whether a deployed backend loaded (a routed one that did not leaves the job on the default).
Availability = Callable[[str], Awaitable[bool]]


class Member(BaseModel):
    """One backend serving the job: its key and its plan."""

    backend: str
    plan: SerializeAsAny[Plan]  # a backend's own Plan subclass keeps its fields when stored


class JobPlan(BaseModel):
    """The reading, the backends that separate the reading's sound (their estimates
    are averaged), and the warnings the user sees from submit on."""

    reading: Reading
    members: list[Member]
    warnings: list[str] = []

    @property
    def backend(self) -> str:
        """What served the job, as the result reports it: ``dsp`` or ``dsp+learned``."""
        return "+".join(m.backend for m in self.members)


async def _always(_key: str) -> bool:
    return True


class Planner:
    """Plans jobs with in-process instances of the deployed backends (constructed,
    not loaded: ``Backend.plan`` needs no model)."""

    def __init__(
        self,
        backends: Mapping[str, Backend],
        routes: Mapping[str, list[str]] | None = None,
        routes_without_spans: Mapping[str, list[str]] | None = None,
    ):
        self.backends = dict(backends)
        self.routes, self.unmarked_routes = resolved_routes(routes or {}, routes_without_spans or {})

    @classmethod
    def for_deployment(
        cls,
        options: Mapping[str, dict[str, Any]],
        routes: Mapping[str, list[str]] | None = None,
        routes_without_spans: Mapping[str, list[str]] | None = None,
    ) -> Planner:
        """A planner for the deployed backends: their options by key (``serve_app.routing``)."""
        backends = {}
        for key, opts in options.items():
            name, variant = split_key(key)
            backends[key] = get_backend(name)(variant, opts)
        return cls(backends, routes, routes_without_spans)

    async def plan(self, job_input: Mapping[str, Any], key: str, available: Availability = _always) -> JobPlan:
        """The plan for a job's ``input`` submitted to backend ``key``. Raises a 422
        ServiceError (``unsupported_prompt``) when the prompt cannot be served."""
        prompt = job_input["prompt"]
        spans = [SpanHint.model_validate(s) for s in job_input.get("spans", [])]
        marked = any(s.include for s in spans)
        try:
            # Off the event loop: the first reading loads the sentence model.
            reading = await asyncio.to_thread(read, prompt, marked)
        except UnreadablePrompt as exc:
            raise _unsupported(str(exc)) from None
        submitted = Member(backend=key, plan=self._plan(key, reading, spans))
        members = [submitted]
        # The client's choice stays, and so does the backend a visual prompt was accepted for.
        chosen = any(job_input.get(f) is not None for f in ("backend", "model_variant", "video_url"))
        routes = self.routes if spans else self.unmarked_routes
        routed = concept_route(routes, reading.target.concept, key, chosen)
        if routed and all(k in self.backends for k in routed) and all([await available(k) for k in routed]):
            try:
                members = [
                    submitted if k == key else Member(backend=k, plan=self._plan(k, reading, spans)) for k in routed
                ]
            except ServiceError as exc:
                log.info("route %s -> %s not taken: %s", reading.target.concept, routed, exc)
        warnings = prompt_warnings(prompt, reading, marked)
        warnings += [w for m in members for w in m.plan.warnings if w not in warnings]
        return JobPlan(reading=reading, members=members, warnings=warnings)

    def _plan(self, key: str, reading: Reading, spans: list[SpanHint]) -> Plan:
        try:
            return self.backends[key].plan(reading, spans)
        except UnsupportedPrompt as exc:
            raise _unsupported(str(exc)) from None


def _unsupported(message: str) -> ServiceError:
    return ServiceError(message, type=ErrorType.UNSUPPORTED_PROMPT, field="input.prompt", status_code=422)
