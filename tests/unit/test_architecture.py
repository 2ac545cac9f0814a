"""The layout of serve_app/ as a rule: its packages form no import cycle, and only
composition roots build the service context. (The check reads import statements
with ``ast``, deferred imports inside functions included.)"""

from __future__ import annotations

import ast
import graphlib
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from support import REPO

SERVE_APP = REPO / "serve_app"
COMPOSITION_ROOTS = ("deployments", "cli")


def unit_of(module: str) -> str:
    """The package (or top-level module) of ``serve_app.x.y``: ``x``; ``serve_app`` itself for its own names."""
    parts = module.split(".")
    if len(parts) == 1:
        return "serve_app"
    top = parts[1]
    return top if (SERVE_APP / top).is_dir() or (SERVE_APP / f"{top}.py").exists() else "serve_app"


def imports(path: Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "serve_app":
            out |= {node.module} if node.module != "serve_app" else {f"serve_app.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.split(".")[0] == "serve_app"}
    return out


def package_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for path in SERVE_APP.rglob("*.py"):
        rel = path.relative_to(SERVE_APP.parent).with_suffix("")
        unit = "serve_app" if len(rel.parts) == 2 and rel.parts[1] == "__init__" else unit_of(".".join(rel.parts))
        graph[unit] |= {unit_of(m) for m in imports(path)} - {unit}
    return graph


def test_packages_form_no_import_cycle():
    graph = package_graph()
    assert {"api", "jobs", "webhooks", "contract", "store", "outbound", "access", "files"} <= set(graph)
    graphlib.TopologicalSorter(graph).prepare()  # raises CycleError naming the cycle


def test_lower_packages_never_reach_up():
    graph = package_graph()
    for lower in ("jobs", "webhooks", "contract", "store", "files", "outbound", "access", "understanding", "audio"):
        assert not graph[lower] & {"api", "deployments", "context", "cli"}, lower


def test_only_composition_roots_build_the_service_context():
    builders = [
        str(path.relative_to(SERVE_APP))
        for path in SERVE_APP.rglob("*.py")
        if "ServiceContext.create(" in path.read_text() and path.name != "context.py"
    ]
    assert builders and all(b.split("/")[0].removesuffix(".py") in COMPOSITION_ROOTS for b in builders), builders


# What the Ingress and the QueueWorker do, in a fresh interpreter: read prompts, plan with every
# installed backend (constructed, not loaded), resample. None of it may load torch,
# which would cost each of those processes about 450 MB (bench/README, "Memory of the service").
_NO_TORCH = """
import asyncio, sys
import numpy as np
import serve_app.deployments.ingress, serve_app.deployments.queue_worker
from serve_app.audio.resample import resample
from serve_app.jobs.planning import Planner
from serve_app.registry import backends
from serve_app.understanding.reading import read

planner = Planner({name: cls(cls.info.variants[0]) for name, cls in backends().items()})
spans = [{"start": 0.5, "end": 1.0, "include": True}]
for name in planner.backends:
    asyncio.run(planner.plan({"prompt": "isolate the piano", "spans": spans}, name))
read("remove the crowd noise and keep the speaker")
resample(np.zeros((2, 4410), np.float32), 44100, 48000)
print(sorted(m for m in ("torch", "torchaudio", "transformers") if m in sys.modules))
"""


# What the CPU Separators do: pick their device, load the dsp and learned backends and
# separate with each (span models included). They run in numpy and onnxruntime; torch is
# for training and for GPU backends.
_SEPARATORS_WITHOUT_TORCH = """
import sys
import numpy as np
from serve_app.backend import SeparationItem, SpanHint
from serve_app.deployments.separator import pick_device
from serve_app.registry import get_backend
from serve_app.understanding.reading import read

device = pick_device(None)
spans = [SpanHint(start=0.2, end=0.6, include=True), SpanHint(start=1.0, end=1.5, include=False)]
for name, prompt in [("dsp", "isolate the piano"), ("dsp", "isolate the speaker"), ("learned", "isolate the drums")]:
    backend = get_backend(name)()
    backend.load(device)
    audio = np.random.default_rng(0).standard_normal(2 * backend.info.sample_rate).astype(np.float32) * 0.1
    plan = backend.prepare(audio, backend.info.sample_rate, backend.plan(read(prompt), spans), spans)
    assert backend.separate([SeparationItem(audio=audio, plan=plan, spans=spans)])[0].shape == audio.shape
print(device, sorted(m for m in ("torch", "torchaudio", "transformers") if m in sys.modules))
"""


@pytest.mark.parametrize(("script", "expected"), [(_NO_TORCH, "[]"), (_SEPARATORS_WITHOUT_TORCH, "cpu []")])
def test_the_service_never_loads_torch_on_the_cpu(script, expected):
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1] == expected, result.stdout
