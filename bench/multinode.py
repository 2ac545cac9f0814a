#!/usr/bin/env python
"""A real multi-node run: the application on a Ray cluster of three nodes on this machine,
a node lost while jobs run on it, every job completed exactly once.

- The cluster: ``ray.cluster_utils.Cluster`` — a head node (the Serve controller, the proxy,
  two Ingress replicas and the QueueWorker, pinned there by a custom resource ``head``) and
  worker nodes, each its own raylet with ``separator`` resources, on which the
  Separator replicas are placed. Worker node B joins only after the jobs are running on A.
- The deploy: the Serve config file written to disk and deployed through
  ``serve_app.launcher`` (``deploy(load_config(FILE))``, what ``audiolasso serve --config``
  does), as an operator would.
- Storage: uploads and results in an S3-compatible store (moto's S3 server over HTTP: it
  stands in for AWS S3 or MinIO, which cannot run here); every deployment has its own data
  directory, so nothing is shared through the file system.
- The fault: node A is removed (its raylet and every process on it killed) while the jobs
  are separating there. Serve starts the Separator on node B; the QueueWorker's calls to
  the lost replica are made again (``HandleSeparator``).
- Checks: every job COMPLETED with one attempt and exactly one terminal event; each result
  downloaded several times through the proxy (the two Ingress replicas take turns) and
  target + residual = the upload; no result bytes in any local data directory.

Example:
  .venv/bin/python bench/multinode.py --jobs 4 --seconds 30
"""

from __future__ import annotations

import argparse
import io
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import (
    APP,
    delete_prefix,
    free_port,
    machine_info,
    new_prefix,
    redis_url_default,
    table,
    test_signal,
    wav_bytes,
    write_result,
)
from bench.queue_latency import event_log

BUCKET = "audiolasso-multinode"


def serve_config(port: int, data_root: Path) -> dict[str, Any]:
    """configs/local.yaml, narrowed to dsp, with replicas placed by node resources and a data
    directory per deployment."""
    from bench.common import service_config

    config = service_config(port, backend="dsp")
    app = config["applications"][0]
    placement = {"Ingress": "head", "QueueWorker": "head", "Separator-dsp": "separator"}
    for deployment in app["deployments"]:
        where = placement[deployment["name"]]
        options = deployment.setdefault("ray_actor_options", {})
        options["resources"] = {where: 0.01}
        env = {"AUDIOLASSO_DATA_DIR": str(data_root / deployment["name"])}
        options["runtime_env"] = {"env_vars": env}
        if deployment["name"] == "Ingress":
            deployment["num_replicas"] = 2  # downloads go through either
    return config


def start_s3(port: int) -> Any:
    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1").create_bucket(Bucket=BUCKET)
    return server


def separator_nodes() -> set[str]:
    """Node ids hosting a live Separator-dsp replica."""
    from ray.util.state import list_actors

    actors = list_actors(filters=[("class_name", "=", f"ServeReplica:{APP}:Separator-dsp"), ("state", "=", "ALIVE")])
    return {a.node_id for a in actors}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--jobs", type=int, default=4, help="jobs running when the node is lost (default 4)")
    p.add_argument("--seconds", type=float, default=30.0, help="length of each job's audio (default 30 s)")
    p.add_argument("--downloads", type=int, default=4, help="downloads of each result track (default 4)")
    p.add_argument("--redis-url", default=redis_url_default())
    p.add_argument("--timeout", type=float, default=300.0, help="seconds the jobs may take (default 300)")
    p.add_argument("--output", help="JSON result path (default bench/results/multinode.json)")
    args = p.parse_args(argv)

    import httpx
    import ray
    import redis
    import soundfile as sf
    from ray import serve
    from ray.cluster_utils import Cluster

    from bench.common import create_key
    from serve_app.launcher import deploy, load_config
    from serve_app.store.keys import RedisKeys

    prefix = new_prefix("multinode")
    s3_port, http_port = free_port(), free_port()
    tmp = tempfile.TemporaryDirectory(prefix="audiolasso-multinode-")
    root = Path(tmp.name)
    saved_env = dict(os.environ)
    os.environ.update(
        {
            "AUDIOLASSO_REDIS_URL": args.redis_url,
            "AUDIOLASSO_REDIS_PREFIX": prefix,
            "AUDIOLASSO_STORAGE": "s3",
            "AUDIOLASSO_S3_BUCKET": BUCKET,
            "AUDIOLASSO_S3_ENDPOINT_URL": f"http://127.0.0.1:{s3_port}",
            "AUDIOLASSO_S3_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "multinode",
            "AWS_SECRET_ACCESS_KEY": "multinode",
            "AUDIOLASSO_VISIBILITY_TIMEOUT_S": "20",
            "RAY_SERVE_PROXY_READY_CHECK_TIMEOUT_S": "30",
        }
    )
    result: dict[str, Any] = {
        "benchmark": "multinode",
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine_info(),
        "config": vars(args),
    }
    s3 = start_s3(s3_port)
    cluster = None
    marks: dict[str, float] = {}
    try:
        t0 = time.perf_counter()
        cluster = Cluster(
            initialize_head=True,
            connect=True,
            head_node_args={"num_cpus": 2, "resources": {"head": 1}, "include_dashboard": True},
        )
        node_a = cluster.add_node(num_cpus=2, resources={"separator": 1})
        config_file = root / "serve-config.yaml"
        import yaml

        config_file.write_text(yaml.safe_dump(serve_config(http_port, root / "data")))
        deploy(load_config(config_file))
        marks["deployed_s"] = time.perf_counter() - t0
        key = create_key(args.redis_url, prefix)
        url = f"http://127.0.0.1:{http_port}"
        nodes_a = separator_nodes()
        assert nodes_a == {node_a.node_id}, f"Separator not on node A: {nodes_a}"

        sr = 16000
        audio = test_signal(args.seconds, sr, seed=3)
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=60) as client:
            upload = client.post("/v1/files", files={"file": ("multinode.wav", wav_bytes(audio, sr))})
            upload.raise_for_status()
            file_id = upload.json()["file_id"]
            ids = []
            for _ in range(args.jobs):
                body = {"input": {"file_id": file_id, "prompt": "isolate the speaker"}}
                response = client.post("/v1/queue/audio/separate", json=body)
                response.raise_for_status()
                ids.append(response.json()["request_id"])

            def statuses() -> list[dict]:
                return [client.get(f"/v1/queue/requests/{i}/status").json() for i in ids]

            deadline = time.monotonic() + args.timeout
            while not any((s.get("progress") or {}).get("chunks_done", 0) > 0 for s in statuses()):
                assert time.monotonic() < deadline, "no job started separating"
                time.sleep(0.2)
            node_b = cluster.add_node(num_cpus=2, resources={"separator": 1})
            before = statuses()
            t_lost = time.perf_counter()
            cluster.remove_node(node_a, allow_graceful=False)
            marks["node_removed_with_jobs"] = sum(s["status"] == "IN_PROGRESS" for s in before)
            final = statuses()
            while not all(s["status"] in ("COMPLETED", "FAILED", "CANCELLED") for s in final):
                assert time.monotonic() < deadline, f"jobs did not finish: {[s['status'] for s in final]}"
                time.sleep(0.5)
                final = statuses()
            marks["recovery_s"] = time.perf_counter() - t_lost
            nodes_b = separator_nodes()

            r = redis.Redis.from_url(args.redis_url, decode_responses=True)
            keys = RedisKeys(prefix)
            rows = []
            for status in final:
                request_id = status["request_id"]
                events = [e["status"] for _, e in event_log(args.redis_url, prefix, request_id)]
                terminal = [e for e in events if e in ("COMPLETED", "FAILED", "CANCELLED")]
                row = {
                    "request_id": request_id,
                    "status": status["status"],
                    "attempts": int(r.hget(keys.job(request_id), "attempts") or 0),
                    "terminal_events": len(terminal),
                    "downloads_ok": 0,
                    "sums_to_mixture": False,
                }
                if status["status"] == "COMPLETED":
                    res = client.get(f"/v1/queue/requests/{request_id}/result").json()
                    tracks = {}
                    for _ in range(args.downloads):
                        for role in ("target", "residual"):
                            got = client.get(res[role]["url"])
                            if got.status_code == 200:
                                row["downloads_ok"] += 1
                                tracks[role] = sf.read(io.BytesIO(got.content), dtype="float32")[0]
                    if len(tracks) == 2:
                        row["sums_to_mixture"] = bool(
                            np.allclose(tracks["target"] + tracks["residual"], audio[0], atol=1e-5)
                        )
                rows.append(row)
        local_files = [str(f) for f in (root / "data").rglob("*") if f.is_file() and "files" in f.parts]
        result.update(
            runs=rows,
            marks=marks,
            separator_nodes_before=sorted(nodes_a),
            separator_nodes_after=sorted(nodes_b),
            node_b=node_b.node_id,
            local_result_files=local_files,
        )
        ok = (
            all(
                row["status"] == "COMPLETED"
                and row["attempts"] == 1
                and row["terminal_events"] == 1
                and row["downloads_ok"] == 2 * args.downloads
                and row["sums_to_mixture"]
                for row in rows
            )
            and nodes_b == {node_b.node_id}
            and not local_files
        )
        result["passed"] = ok
    finally:
        serve.shutdown()
        ray.shutdown()
        if cluster is not None:
            cluster.shutdown()
        s3.stop()
        delete_prefix(args.redis_url, prefix)
        os.environ.clear()
        os.environ.update(saved_env)
        tmp.cleanup()
    print()
    print(
        table(
            result.get("runs", []),
            ["request_id", "status", "attempts", "terminal_events", "downloads_ok", "sums_to_mixture"],
        )
    )
    print(f"\nmarks: {marks}")
    print(f"Separator on {result.get('separator_nodes_before')} -> {result.get('separator_nodes_after')}")
    print(f"passed: {result.get('passed')}")
    print(f"\nwrote {write_result('multinode', result, args.output)}")
    return result


if __name__ == "__main__":
    main()
