"""The backlog policies as Serve calls them: a real AutoscalingContext and AutoscalingConfig
(ray.serve.config), with the metrics replicas record; the whole loop runs on real Serve in
tests/serve/test_serve_e2e.py::test_replicas_follow_the_backlog_and_a_separator_comes_back_from_zero."""

from __future__ import annotations

import pytest
from ray.serve.config import AutoscalingConfig, AutoscalingContext

from serve_app.autoscaling import (
    QUEUED_AUDIO_S,
    QUEUED_JOBS,
    RUNNING_JOBS,
    QueueWorkerPolicy,
    SeparatorPolicy,
    backlog_of,
)


def context(metrics: dict[str, dict[str, float]], ongoing: float = 0.0, replicas: int = 1) -> AutoscalingContext:
    return AutoscalingContext(
        deployment_id=None,
        deployment_name="d",
        app_name="audiolasso",
        current_num_replicas=replicas,
        target_num_replicas=replicas,
        running_replicas=[],
        total_num_requests=ongoing,
        total_queued_requests=0.0,
        aggregated_metrics=metrics,
        raw_metrics=None,
        capacity_adjusted_min_replicas=0,
        capacity_adjusted_max_replicas=10,
        policy_state={},
        last_scale_up_time=None,
        last_scale_down_time=None,
        current_time=None,
        config=AutoscalingConfig(min_replicas=0, max_replicas=10, target_ongoing_requests=8),
    )


def test_backlog_counts_a_backend_alone_and_in_ensembles():
    queued = {"dsp": 30.0, "dsp+learned": 12.0, "learned": 5.0, "sam-audio:large": 7.0}
    assert backlog_of(queued, "dsp") == 42.0
    assert backlog_of(queued, "learned") == 17.0
    assert backlog_of(queued, "sam-audio:large") == 7.0
    assert backlog_of(queued, "sam-audio") == 0.0  # another variant's deployment


def test_queue_workers_follow_queued_plus_running_jobs():
    policy = QueueWorkerPolicy(jobs_per_replica=8)
    # every replica reads the same queue (the largest report is the freshest); running jobs add up
    busy = context({QUEUED_JOBS: {"r1": 10, "r2": 12}, RUNNING_JOBS: {"r1": 4, "r2": 4}}, replicas=2)
    assert policy(busy) == (3, {})
    assert policy(context({QUEUED_JOBS: {"r1": 0}, RUNNING_JOBS: {"r1": 0}})) == (0, {})  # Serve's min applies
    assert policy(context({})) == (0, {})  # no report yet


def test_separators_follow_the_larger_of_backlog_and_chunks_in_flight():
    policy = SeparatorPolicy(queued_audio_s_per_replica=600)
    assert policy(context({QUEUED_AUDIO_S: {"r1": 3600.0, "r2": 3000.0}}, ongoing=8)) == (6, {})
    assert policy(context({QUEUED_AUDIO_S: {"r1": 0.0}}, ongoing=20)) == (3, {})  # 20 in flight / 8 per replica
    assert policy(context({QUEUED_AUDIO_S: {"r1": 0.0}}, ongoing=0)) == (0, {})  # may go to zero


@pytest.mark.parametrize("policy", [QueueWorkerPolicy, SeparatorPolicy])
def test_a_target_must_be_positive(policy):
    with pytest.raises(ValueError):
        policy(0)
