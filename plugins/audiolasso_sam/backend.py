"""The ``sam-audio`` backend: one instance per variant, chunks of concurrent jobs
collated into as few ``SAMAudio.separate`` calls as the memory budget allows.

The backend estimates the plan's sound (the model's ``target``); for "remove X"
it returns the model's own ``residual`` instead (the plan says
``estimates="rest"``), unless ``remove_with: complement`` asks for the
service's rule, the mixture minus the target.

Precision: ``dtype`` bf16/fp16 runs the DiT and the vision encoder under
``torch.autocast``; the codec (encoding, and decoding the waveform), the flow's
ODE state and the output stay float32.
"""

from __future__ import annotations

import functools
import logging
import math
from typing import Any

import numpy as np

from audiolasso_sam.anchors import to_anchors
from audiolasso_sam.batching import DTYPE_MEMORY_FACTOR, MemoryModel, plan_sub_batches
from audiolasso_sam.loader import SAMPLE_RATE, load_sam_audio
from audiolasso_sam.options import SAMOptions
from audiolasso_sam.variants import VARIANTS
from audiolasso_sam.video import VisualFrames
from serve_app.backend import (
    CHUNKING_OPTIONS,
    Backend,
    BackendInfo,
    Capabilities,
    Plan,
    Resources,
    SeparationItem,
    SpanHint,
)
from serve_app.understanding.reading import Reading

log = logging.getLogger(__name__)

# Of the GPU memory free after loading, what one call may use (the rest: allocator slack).
_FREE_MEMORY_FRACTION = 0.9
# The submodules that run under autocast at bf16/fp16: the flow's network and the vision encoder.
AUTOCAST_MODULES = ("transformer", "vision_encoder")


class SAMAudioBackend(Backend):
    info = BackendInfo(
        name="sam-audio",
        description="Meta SAM Audio: any sound from a text prompt, with span (and optional visual) prompts.",
        variants=list(VARIANTS),
        sample_rate=SAMPLE_RATE,
        capabilities=Capabilities(text=True, spans=True, visual=False),
        # The reference hosted API's windows; overridable per deployment.
        chunk_seconds=60.0,
        overlap_seconds=5.0,
        max_batch_size=8,
        resources=Resources(num_cpus=2, num_gpus=1, memory_mb=16384),
    )

    def __init__(self, variant: str = "default", options: dict[str, Any] | None = None):
        super().__init__(variant, options)
        self.settings = SAMOptions.model_validate({k: v for k, v in self.options.items() if k not in CHUNKING_OPTIONS})
        if self.settings.visual:
            visual = self.info.capabilities.model_copy(update={"visual": True})
            self.info = self.info.model_copy(update={"capabilities": visual})
        self._model: Any = None
        self._processor: Any = None
        self._device = "cpu"
        self._memory: MemoryModel | None = None
        self._frames = VisualFrames()

    def plan(self, reading: Reading, spans: list[SpanHint]) -> Plan:
        plan = super().plan(reading, spans)
        if reading.inverted and self.settings.remove_with == "residual":
            return plan.model_copy(update={"estimates": "rest"})
        return plan

    def load(self, device: str) -> None:
        self._model, self._processor = load_sam_audio(self.variant, self.settings, device)
        self._device = device
        if self.settings.dtype != "float32":
            autocast_submodules(self._model, device, self.settings.dtype)
        per_second = self.settings.activation_mb_per_second or VARIANTS[self.variant].activation_mb_per_second
        self._memory = MemoryModel(
            bytes_per_second=per_second * 2**20 * DTYPE_MEMORY_FACTOR[self.settings.dtype],
            candidates=self.settings.reranking_candidates,
            budget_bytes=self._budget_bytes(device),
        )
        log.info(
            "sam-audio %s on %s: %s, memory budget %.1f GiB",
            self.variant,
            device,
            self.settings.dtype,
            self._memory.budget_bytes / 2**30,
        )

    def separate(self, batch: list[SeparationItem]) -> list[np.ndarray]:
        if self._memory is None:
            raise RuntimeError("SAMAudioBackend.load() must be called before separate()")
        # One call takes anchors for all items or none (and predicts spans only
        # when none), and masked videos for all or none.
        groups = [(self._predicts_spans(item), item.visual is not None) for item in batch]
        seconds = [len(item.audio) / SAMPLE_RATE for item in batch]
        results: dict[int, np.ndarray] = {}
        for indices in plan_sub_batches(seconds, groups, self._memory):
            cost = self._memory.cost(len(indices), seconds[indices[0]])
            if cost > self._memory.budget_bytes:
                log.warning(
                    "a %.0f s chunk needs ~%.1f GiB, over the budget; lower chunk_seconds",
                    seconds[indices[0]],
                    cost / 2**30,
                )
            for i, target in zip(indices, self._separate_call([batch[i] for i in indices]), strict=True):
                results[i] = target
        return [results[i] for i in range(len(batch))]

    def _predicts_spans(self, item: SeparationItem) -> bool:
        return self.settings.predict_spans and not item.spans

    def _separate_call(self, items: list[SeparationItem]) -> list[np.ndarray]:
        import torch

        inputs = self._processor_inputs(items)  # host work first: a bad visual prompt never reaches the device
        batch = self._processor(**inputs).to(self._device)
        with torch.inference_mode():
            if self._predicts_spans(items[0]):
                batch = self._predict_spans(batch)
            result = self._model.separate(
                batch,
                ode_opt=self.settings.ode_opt,
                reranking_candidates=self.settings.reranking_candidates,
                predict_spans=False,  # done above, where the anchors reach the flow on every sam-audio version
            )
        return [
            _restore(item, rest if item.plan.estimates == "rest" else target)
            for item, target, rest in zip(items, result.target, result.residual, strict=True)
        ]

    def _predict_spans(self, batch: Any) -> Any:
        """Anchors from the span predictor, set on the batch before ``separate``: on
        sam-audio before PR #100, ``separate(predict_spans=True)`` computes them after
        the flow's inputs and never uses them (facebookresearch/sam-audio#98)."""
        features = self._model._get_audio_features(batch.audios)
        return self._model.predict_spans(batch=batch, audio_features=features, audio_pad_mask=batch.audio_pad_mask)

    def _processor_inputs(self, items: list[SeparationItem]) -> dict[str, Any]:
        """Keyword arguments of ``SAMAudioProcessor.__call__`` for one call: it pads
        the items to the longest and records each one's length."""
        import torch

        inputs: dict[str, Any] = {
            # SAM Audio was trained on short lowercase noun phrases ("man speaking"): the plan's sound.
            "descriptions": [item.plan.sound for item in items],
            "audios": [torch.from_numpy(np.ascontiguousarray(item.audio, dtype=np.float32))[None] for item in items],
        }
        anchors = [to_anchors(item.spans) for item in items]
        if any(anchors):
            inputs["anchors"] = anchors  # an item without spans gets [], the same as no anchors
        if items[0].visual is not None:  # a call holds items with a visual prompt, or none (``separate``)
            size = int(self._model.vision_encoder.image_size)
            inputs["masked_videos"] = [
                self._frames.masked_video(self._processor, item.visual, len(item.audio), size)
                for item in items
                if item.visual is not None
            ]
        return inputs

    def _budget_bytes(self, device: str) -> float:
        import torch

        if self.settings.memory_budget_gb is not None:
            return self.settings.memory_budget_gb * 2**30
        if torch.device(device).type == "cuda":
            free, _total = torch.cuda.mem_get_info(torch.device(device))
            return free * _FREE_MEMORY_FRACTION
        return math.inf  # on the CPU the batch size alone bounds a call


def autocast_submodules(model: Any, device: str, dtype: str, names: tuple[str, ...] = AUTOCAST_MODULES) -> None:
    """Run ``model``'s submodules ``names`` under autocast at ``dtype``, their
    floating outputs returned as float32: everything between them (the codec,
    the projections, the ODE state that ``torchdiffeq`` integrates) stays float32."""
    import torch

    device_type, cast = torch.device(device).type, getattr(torch, dtype)
    for name in names:
        module = getattr(model, name)
        forward = module.forward

        @functools.wraps(forward)
        def autocast_forward(*args: Any, _forward: Any = forward, **kwargs: Any) -> Any:
            with torch.autocast(device_type, dtype=cast):
                out = _forward(*args, **kwargs)
            return out.float() if torch.is_tensor(out) and out.is_floating_point() else out

        module.forward = autocast_forward


def _restore(item: SeparationItem, wav: Any) -> np.ndarray:
    """The model's estimate for one item, cut to the item's length (the codec
    rounds up to whole frames)."""
    n = len(item.audio)
    target = wav.detach().float().cpu().numpy().reshape(-1)
    if len(target) < n:
        raise RuntimeError(f"SAM Audio returned {len(target)} samples for a {n}-sample item")
    return target[:n].astype(np.float32, copy=False)
