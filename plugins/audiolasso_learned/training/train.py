"""Train the mask network on seeded bank mixtures; resumes from the run folder.

    python -m audiolasso_learned.training.train --config plugins/audiolasso_learned/training/config.yaml

Loss: negative SI-SDR of the masked estimate (the metric the service is judged
by). Every ``validate_every`` steps: mean SI-SDR improvement on fixed held-out
mixtures (validation clips of the bank), a checkpoint, and — when it is the
best so far — the shipped safetensors file. The log is tab-separated text.
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np
import torch
import yaml

from audiolasso_learned import model as net
from audiolasso_learned.features import istft, span_channel, stft
from audiolasso_learned.training import bank as bank_io
from audiolasso_learned.training.mixtures import Example, sample
from audiolasso_learned.training.prompts import all_phrases
from serve_app.understanding import embedding
from serve_app.understanding.catalog import BY_NAME

VALIDATION_SEED = 1_000_000  # validation examples use seeds from here on; training seeds stay below


def si_sdr(estimate: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
    """Per-item SI-SDR in dB, (B, samples) -> (B,)."""
    reference = reference - reference.mean(1, keepdim=True)
    estimate = estimate - estimate.mean(1, keepdim=True)
    scale = (estimate * reference).sum(1, keepdim=True) / reference.pow(2).sum(1, keepdim=True).clamp_min(1e-8)
    projection = scale * reference
    noise = estimate - projection
    return 10 * torch.log10(projection.pow(2).sum(1).clamp_min(1e-8) / noise.pow(2).sum(1).clamp_min(1e-8))


class Batcher:
    """Examples -> tensors; phrase embeddings are computed once, up front."""

    def __init__(self) -> None:
        phrases = all_phrases([c for c in BY_NAME if c != "other"])
        self.embeddings = dict(zip(phrases, torch.from_numpy(embedding.encode(phrases)), strict=True))

    def text(self, phrase: str) -> torch.Tensor:
        if phrase not in self.embeddings:
            self.embeddings[phrase] = torch.from_numpy(embedding.encode([phrase])[0])
        return self.embeddings[phrase]

    def __call__(self, examples: list[Example]) -> tuple[torch.Tensor, ...]:
        mixture = torch.from_numpy(np.stack([e.mixture for e in examples]))
        target = torch.from_numpy(np.stack([e.target for e in examples]))
        spec = stft(mixture)
        spans = torch.from_numpy(np.stack([span_channel(e.spans, spec.shape[-1]) for e in examples]))
        text = torch.stack([self.text(e.phrase) for e in examples])
        return mixture, target, spec, text, spans


def estimate(model: net.MaskNet, mixture, spec, text, spans) -> torch.Tensor:
    return istft(model(spec, text, spans) * spec, mixture.shape[1])


def validate(model: net.MaskNet, batches: list[tuple[torch.Tensor, ...]]) -> float:
    model.eval()
    gains = []
    with torch.inference_mode():
        for mixture, target, spec, text, spans in batches:
            est = estimate(model, mixture, spec, text, spans)
            gains.append(si_sdr(est, target) - si_sdr(mixture, target))
    model.train()
    return float(torch.cat(gains).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", type=Path, required=True)
    cfg = yaml.safe_load(parser.parse_args().config.read_text())
    torch.set_num_threads(cfg["threads"])
    torch.manual_seed(cfg["seed"])
    workdir = Path(cfg["workdir"])
    workdir.mkdir(parents=True, exist_ok=True)
    log = (workdir / "train.log").open("a")

    def note(line: str) -> None:
        print(line, file=log, flush=True)

    train_bank = bank_io.load(Path(cfg["bank"]), "train")
    val_bank = bank_io.load(Path(cfg["bank"]), "val")
    batcher = Batcher()
    bs = cfg["batch_size"]
    val_examples = [sample(val_bank, VALIDATION_SEED + i, cfg["validation_seconds"]) for i in range(cfg["validation_examples"])]
    val_batches = [batcher(val_examples[i : i + bs]) for i in range(0, len(val_examples), bs)]

    model = net.MaskNet(net.ModelConfig())
    optimiser = torch.optim.AdamW(model.parameters(), lr=cfg["learning_rate"], weight_decay=1e-4)
    step, best, elapsed = 0, -math.inf, 0.0
    checkpoint = workdir / "checkpoint.pt"
    if checkpoint.exists():
        state = torch.load(checkpoint, weights_only=False)
        model.load_state_dict(state["model"])
        optimiser.load_state_dict(state["optimiser"])
        step, best, elapsed = state["step"], state["best"], state["elapsed"]
        note(f"# resumed at step {step}")
    else:
        note("step\tminutes\tlr\ttrain_loss\tval_si_sdri_db")
    started = time.time() - elapsed
    losses: list[float] = []
    while step < cfg["max_steps"] and (time.time() - started) / 60 < cfg["max_minutes"]:
        progress = step / cfg["max_steps"]
        lr = cfg["final_learning_rate"] + (cfg["learning_rate"] - cfg["final_learning_rate"]) * 0.5 * (1 + math.cos(math.pi * progress))
        for group in optimiser.param_groups:
            group["lr"] = lr
        examples = [sample(train_bank, cfg["seed"] * 10_000_000 + step * bs + i, cfg["segment_seconds"]) for i in range(bs)]
        mixture, target, spec, text, spans = batcher(examples)
        loss = -si_sdr(estimate(model, mixture, spec, text, spans), target).clamp(max=40).mean()
        optimiser.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimiser.step()
        losses.append(loss.item())
        step += 1
        if step % cfg["validate_every"] == 0:
            val = validate(model, val_batches)
            minutes = (time.time() - started) / 60
            note(f"{step}\t{minutes:.1f}\t{lr:.2e}\t{np.mean(losses):.3f}\t{val:.3f}")
            losses = []
            if val > best:
                best = val
                net.save(model, Path(cfg["export"]))
            torch.save({"model": model.state_dict(), "optimiser": optimiser.state_dict(), "step": step,
                        "best": best, "elapsed": time.time() - started}, checkpoint)
    note(f"# stopped at step {step}, best validation SI-SDRi {best:.3f} dB")


if __name__ == "__main__":
    main()
