"""configs/gpu-sam-audio.yaml: a valid Serve config whose every backend entry
builds (constructing, not loading, each variant) and has GPU deployment settings."""

from __future__ import annotations

import pydantic
import pytest

from audiolasso_sam.variants import VARIANTS
from serve_app.application import AppArgs, build_app
from serve_app.launcher import load_config
from support import REPO

CONFIG = REPO / "configs" / "gpu-sam-audio.yaml"


def test_gpu_config_deploys_every_variant_on_gpus():
    (app,) = load_config(CONFIG).applications
    args = AppArgs.model_validate(app.args)
    build_app(app.args)  # options are validated by constructing each backend
    deployments = {d.name: d for d in app.deployments}
    sam = [b for b in args.backends if b.name == "sam-audio"]
    assert {b.variant for b in sam} == set(VARIANTS)
    assert args.backends[0].variant == "large"  # the default for requests that name none
    dsp = [b for b in args.backends if b.name == "dsp"]
    for backend in args.backends:
        deployment = deployments[backend.deployment_name]
        assert deployment.max_ongoing_requests >= deployment.user_config["max_batch_size"]
        scaling = deployment.autoscaling_config
        assert scaling["policy"]["policy_function"] == "serve_app.autoscaling:SeparatorPolicy"  # the backlog
        # only the default stays warm; other variants leave their GPUs when nothing is queued for them
        assert scaling["min_replicas"] >= (1 if backend in (args.backends[0], *dsp) else 0)
        gpus = deployment.ray_actor_options.num_gpus or 0
        assert (gpus > 0) == (backend.name == "sam-audio"), backend
        if 0 < gpus < 1:  # replicas sharing a GPU cannot each measure the free memory
            assert backend.options["memory_budget_gb"] > 0, backend
        if backend.name == "sam-audio":
            assert backend.options["model_path"].endswith(f"sam-audio-{backend.variant}")


def test_a_backend_and_variant_may_be_listed_once():
    with pytest.raises(pydantic.ValidationError, match="listed once"):
        AppArgs.model_validate({"backends": [{"name": "dsp"}, {"name": "dsp", "options": {"chunk_seconds": 5}}]})
