"""cluster/rayservice.yaml carries the same application as configs/local.yaml:
a valid Serve config whose backends, routes and deployments build."""

from __future__ import annotations

import yaml
from ray.serve.schema import ServeDeploySchema

from serve_app.application import AppArgs, build_app
from serve_app.launcher import load_config
from support import REPO

ROOT = REPO


def test_the_rayservice_deploys_the_local_application():
    spec = yaml.safe_load((ROOT / "cluster" / "rayservice.yaml").read_text())["spec"]
    (cluster,) = ServeDeploySchema.model_validate(yaml.safe_load(spec["serveConfigV2"])).applications
    (local,) = load_config(ROOT / "configs" / "local.yaml").applications
    build_app(cluster.args)
    cluster_args, local_args = AppArgs.model_validate(cluster.args), AppArgs.model_validate(local.args)
    assert [b.key for b in cluster_args.backends] == [b.key for b in local_args.backends]
    assert cluster_args.routes == local_args.routes
    assert cluster_args.routes_without_spans == local_args.routes_without_spans
    assert {d.name for d in cluster.deployments} == {d.name for d in local.deployments}


def test_every_ray_pod_is_ready_only_while_the_service_can_serve():
    cluster = yaml.safe_load((ROOT / "cluster" / "rayservice.yaml").read_text())["spec"]["rayClusterConfig"]
    groups = [cluster["headGroupSpec"], *cluster["workerGroupSpecs"]]
    for group in groups:
        (container,) = group["template"]["spec"]["containers"]
        assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": 8000}
