"""SAM Audio on a GPU, in one command: versions, an offline load, a separation
of three items with anchors, and peak GPU memory per batch shape and dtype --
the JSON that ``plugins/audiolasso_sam/batching.py`` (``DTYPE_MEMORY_FACTOR``)
and ``variants.py`` (``activation_mb_per_second``) are fitted from.

    python bench/sam_gpu_smoke.py                      # tiny random model (no weights needed)
    python bench/sam_gpu_smoke.py --model-path /models/sam-audio-large \\
        --text-encoder-path /models/t5-base --variant large   # real weights, where an operator has them

Run it in the environment of plugins/audiolasso_sam/scripts/setup_real_env.sh
(or any with sam_audio installed). On a machine without CUDA it runs a short
CPU pass (small items, two ODE steps, no memory figures) so the script is
checked where it is written; it stops with a clear message where sam_audio
is not importable. The network is cut for the whole run: nothing may download.
"""

from __future__ import annotations

import argparse
import importlib.metadata as metadata
import json
import platform
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

RESULTS = Path(__file__).parent / "results"
ITEM_SECONDS = (1.0, 2.3, 3.7)  # on the GPU; the CPU pass uses 0.4 of each


def versions() -> dict[str, Any]:
    out: dict[str, Any] = {"python": platform.python_version()}
    for name in ("torch", "torchaudio", "torchvision", "torchcodec", "transformers", "huggingface_hub", "sam_audio"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    try:  # pip records the commit of a git or local install
        direct = json.loads(metadata.distribution("sam_audio").read_text("direct_url.json") or "{}")
        out["sam_audio_source"] = direct.get("vcs_info", {}).get("commit_id") or direct.get("url")
        if str(out["sam_audio_source"]).startswith("file://"):  # a local checkout: its commit
            checkout = out["sam_audio_source"].removeprefix("file://")
            git = subprocess.run(["git", "-C", checkout, "rev-parse", "HEAD"], capture_output=True, text=True)
            out["sam_audio_commit"] = git.stdout.strip() or None
    except (metadata.PackageNotFoundError, OSError):
        pass
    from audiolasso_sam.loader import SAM_AUDIO_COMMIT

    out["sam_audio_tested_commit"] = SAM_AUDIO_COMMIT
    import torch

    out["cuda"] = torch.version.cuda
    out["gpu"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    return out


def cut_network() -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError(f"sam_gpu_smoke: a download was attempted ({args[1:] if len(args) > 1 else args})")

    socket.socket.connect = refuse  # type: ignore[method-assign]
    socket.create_connection = refuse  # type: ignore[assignment]


def items(seconds: list[float], anchors: bool, seed: int = 0) -> list[Any]:
    from serve_app.backend import Plan, SeparationItem, SpanHint

    plan = Plan(sound="man speaking", concept="speech", method="sam-audio")
    rng = np.random.default_rng(seed)
    out = []
    for i, s in enumerate(seconds):
        spans = [
            SpanHint(start=0.1 * s, end=0.5 * s, include=True),
            SpanHint(start=0.6 * s, end=0.9 * s, include=False),
        ]
        audio = (rng.standard_normal(int(s * 48_000)) * 0.1).astype(np.float32)
        out.append(SeparationItem(audio=audio, plan=plan, spans=spans if anchors and i % 2 == 0 else []))
    return out


def measure(backend: Any, seconds: float, count: int, device: str) -> dict[str, Any]:
    import torch

    batch = items([seconds] * count, anchors=True)
    row: dict[str, Any] = {"dtype": backend.settings.dtype, "items": count, "seconds": seconds}
    cuda = device.startswith("cuda")
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
    t0 = time.perf_counter()
    try:
        out = backend._separate_call(batch)  # one call, exactly this batch: no memory-budget split
        if cuda:
            torch.cuda.synchronize()
        row["ok"] = all(o.shape == b.audio.shape and np.isfinite(o).all() for o, b in zip(out, batch, strict=True))
    except torch.cuda.OutOfMemoryError as exc:
        row.update(ok=False, oom=str(exc).splitlines()[0])
    row["wall_s"] = round(time.perf_counter() - t0, 3)
    if cuda:
        row["peak_bytes"] = torch.cuda.max_memory_allocated() - base
        row["mb_per_item_second"] = round(row["peak_bytes"] / 2**20 / (count * seconds), 2)
    return row


def fit(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Working memory per second of audio per item, per dtype: the least-squares
    slope of peak bytes over items x seconds (the intercept is the fixed cost:
    text encoder, buffers); and the dtypes' ratio, the DTYPE_MEMORY_FACTOR."""
    slopes: dict[str, float] = {}
    for dtype in sorted({r["dtype"] for r in runs}):
        points = [(r["items"] * r["seconds"], r["peak_bytes"]) for r in runs if r["dtype"] == dtype and r.get("ok")]
        if len(points) >= 2:
            x, y = np.array(points, dtype=float).T
            slopes[dtype] = float(np.polyfit(x, y, 1)[0]) / 2**20
    out: dict[str, Any] = {"activation_mb_per_second": {k: round(v, 1) for k, v in slopes.items()}}
    if "float32" in slopes:
        out["dtype_memory_factor"] = {k: round(v / slopes["float32"], 3) for k, v in slopes.items()}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model-path", help="a released variant's directory; unset: a tiny random model")
    parser.add_argument("--text-encoder-path", help="local t5-base (with --model-path)")
    parser.add_argument("--variant", default="small")
    parser.add_argument("--device", default=None, help="default: cuda if available, else cpu")
    parser.add_argument("--seconds", default=None, help="single-item lengths (default 10,30,60 on GPU)")
    parser.add_argument("--batches", default=None, help="batch sizes at the middle length (default 2,4 on GPU)")
    parser.add_argument("--dtypes", default="float32,bfloat16")
    parser.add_argument("--ode-steps", type=int, default=None, help="default 16 on GPU, 2 on CPU")
    parser.add_argument("--output", type=Path, default=RESULTS / "sam_gpu_smoke.json")
    args = parser.parse_args(argv)

    try:
        import sam_audio  # noqa: F401
    except ImportError as exc:
        print(
            f"sam_gpu_smoke: sam_audio is not importable ({exc}). Build the environment with "
            "plugins/audiolasso_sam/scripts/setup_real_env.sh and run this with its python (.venv-sam/bin/python).",
            file=sys.stderr,
        )
        return 2
    import torch

    from audiolasso_sam.backend import SAMAudioBackend
    from audiolasso_sam.tiny import write_tiny_model

    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    gpu = device.startswith("cuda")
    seconds = [float(s) for s in (args.seconds or ("10,30,60" if gpu else "0.5")).split(",")]
    batches = [int(b) for b in (args.batches or ("2,4" if gpu else "2")).split(",")]
    steps = args.ode_steps or (16 if gpu else 2)
    result: dict[str, Any] = {"versions": versions(), "device": device, "ode_steps": steps}
    print(json.dumps(result["versions"], indent=2))
    cut_network()

    with tempfile.TemporaryDirectory() as tmp:
        if args.model_path:
            paths = {"model_path": args.model_path}
            if args.text_encoder_path:
                paths["text_encoder_path"] = args.text_encoder_path
            result["model"] = {"variant": args.variant, **paths}
        else:
            paths = {k: str(v) for k, v in write_tiny_model(Path(tmp)).items()}
            result["model"] = {"variant": "tiny (random, audiolasso_sam.tiny)"}
        runs, loads = [], {}
        for dtype in args.dtypes.split(","):
            backend = SAMAudioBackend(args.variant, {**paths, "dtype": dtype, "ode_steps": steps})
            if gpu:
                torch.cuda.empty_cache()
            t0 = time.perf_counter()
            backend.load(device)
            model = backend._model
            loads[dtype] = {
                "load_s": round(time.perf_counter() - t0, 2),
                "weights_bytes": torch.cuda.memory_allocated() if gpu else None,
            }
            # Only what the settings use was built: no span predictor, no rankers.
            assert not hasattr(model, "span_predictor"), "a span predictor was built"
            assert model.text_ranker is None and model.visual_ranker is None, "a ranker was built"
            t0 = time.perf_counter()
            lengths = list(ITEM_SECONDS) if gpu else [0.4 * s for s in ITEM_SECONDS]
            out = backend.separate(items(lengths, anchors=True))
            loads[dtype]["three_items_s"] = round(time.perf_counter() - t0, 3)
            assert [len(o) for o in out] == [int(s * 48_000) for s in lengths]
            assert all(o.dtype == np.float32 and np.isfinite(o).all() for o in out)
            shapes = [(1, s) for s in seconds] + [(b, seconds[len(seconds) // 2]) for b in batches]
            for count, length in shapes:
                row = measure(backend, length, count, device)
                runs.append(row)
                print(json.dumps(row))
            del backend, model
        result["load"] = loads
        result["runs"] = runs
        if gpu:
            result["fit"] = fit(runs)
            print("fit:", json.dumps(result["fit"]))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2))
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
