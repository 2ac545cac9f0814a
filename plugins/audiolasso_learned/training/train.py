"""Train the mask network on seeded bank mixtures; resumes from the run folder.

    python -m audiolasso_learned.training.train --config plugins/audiolasso_learned/training/config.yaml
    bash plugins/audiolasso_learned/training/gpu_run.sh   # on the borrowed GPU machine (config-gpu-*.yaml)

Loss: for an example that holds the named sound, the negative SI-SDR of the masked estimate (weight 0.75)
and of its complement against everything else (0.25: "remove X" prompts return the complement); for a
negative example (the named sound is absent), the estimate's energy relative to the mixture in dB (floored
at -30 dB), so the network learns to return near-silence. Every ``validate_every`` steps: mean SI-SDR
improvement on fixed mixtures of the bank's held-back clips (per scene), ``checkpoint.pt`` (run again to
resume), a line in ``train.log``, the best-validation weights (``best_val.safetensors``) and, from
``snapshot_from`` on, a snapshot ``snapshots/step_N.safetensors``: the shipped model is chosen among the
snapshots on the tune corpus (``training/select.py``), never on validation alone.

``init_from`` (optional) starts from a weights file instead of random weights: a second stage continues the
shipped model on other draws of the data (``config-stage2.yaml``: another seed, a lower learning rate);
``scene_weights`` (optional) draws the scene types in other proportions (``config-music.yaml``: mostly songs),
while validation keeps the default mix.

Deterministic: example ``i`` of step ``s`` is ``mixtures.sample(bank, seed * 10**7 + s * batch + i)``, the
model is seeded, the CPU runs one thread. ``workers`` data processes make the batches ahead (the same ones);
on a machine without MiniLM the phrase embeddings come from ``phrase_table`` (``training/pack.py``), and a
run of fixed length anneals its learning rate over ``anneal_minutes`` (``config-gpu-*.yaml``).

``query`` (optional): ``phrase`` (the default, every shipped stage) conditions the network on the phrase
the prompt's reading names; ``served`` on the query serving sends (``inference.queries``: the phrase with
its concept's label for most families), so that a run from scratch learns what it will meet
(``config-gpu-wide.yaml``; docs/learned.md, "The served query in training").
"""

from __future__ import annotations

import argparse
import math
import time
from collections import defaultdict
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
import yaml

from audiolasso_learned import model as net
from audiolasso_learned.features import frames, span_channel
from audiolasso_learned.inference import Query, label, queries
from audiolasso_learned.training import bank as bank_io
from audiolasso_learned.training.bank import Bank
from audiolasso_learned.training.mixtures import SCENE_WEIGHTS, Example, sample
from audiolasso_learned.training.pack import read_phrases
from serve_app.understanding import embedding
from serve_app.understanding.reading import MARKED_READING

VALIDATION_SEED = 1_000_000  # validation examples use seeds from here on; training seeds stay below
TARGET_WEIGHT = 0.75


def si_sdr(estimate: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
    """Per-item SI-SDR in dB, (B, samples) -> (B,)."""
    reference = reference - reference.mean(1, keepdim=True)
    estimate = estimate - estimate.mean(1, keepdim=True)
    scale = (estimate * reference).sum(1, keepdim=True) / reference.pow(2).sum(1, keepdim=True).clamp_min(1e-8)
    projection = scale * reference
    noise = estimate - projection
    return 10 * torch.log10(projection.pow(2).sum(1).clamp_min(1e-8) / noise.pow(2).sum(1).clamp_min(1e-8))


def energy_db(estimate: torch.Tensor, mixture: torch.Tensor) -> torch.Tensor:
    """Estimate energy relative to the mixture, dB, floored at -30."""
    ratio = estimate.pow(2).sum(1) / mixture.pow(2).sum(1).clamp_min(1e-8)
    return 10 * torch.log10(ratio + 1e-3)


def served_concept(example: Example) -> str:
    """The concept serving reads from the example's prompt: its own, or ``other`` where the prompt
    names nothing and the spans mark the sound ("keep this")."""
    return "other" if example.phrase == MARKED_READING else example.concept


def arrays_of(examples: list[Example]) -> dict:
    """Examples -> stacked numpy arrays (what a data worker hands the trainer)."""
    mixture = np.stack([e.mixture for e in examples])
    return {
        "mixture": mixture,
        "target": np.stack([e.target for e in examples]),
        "spans": np.stack([span_channel(e.spans, frames(mixture.shape[1])) for e in examples]),
        "phrases": [e.phrase for e in examples],
        "concepts": [served_concept(e) for e in examples],
        "negative": np.array([e.negative for e in examples]),
    }


class Draws(torch.utils.data.Dataset):
    """Step ``s`` -> the arrays of its batch, the same in any process: a DataLoader's workers make them."""

    def __init__(self, bank: Bank, seed: int, batch: int, seconds: float, scene_weights: tuple[float, ...]) -> None:
        self.bank, self.seed, self.batch, self.seconds = bank, seed, batch, seconds
        self.scene_weights = scene_weights

    def __getitem__(self, step: int) -> dict:
        first = self.seed * 10_000_000 + step * self.batch
        return arrays_of([sample(self.bank, first + i, self.seconds, self.scene_weights) for i in range(self.batch)])


def _one_thread(_worker: int) -> None:
    torch.set_num_threads(1)


def _as_is(arrays: dict) -> dict:
    return arrays


class Batcher:
    """Arrays -> tensors on ``device``. The network is conditioned on the phrase's embedding or, with
    ``served``, on the query serving sends (``inference.queries``). Embeddings come from MiniLM (cached)
    or, on a machine without it, from a packed table (``training/pack.py``): an example whose texts the
    table lacks is dropped and counted in ``missed``."""

    def __init__(self, device: str = "cpu", table: dict[str, np.ndarray] | None = None, served: bool = False) -> None:
        self.device = device
        self.table = table
        self.served = served
        self.queries: dict[Query, torch.Tensor] = {}
        self.missed = 0

    def key(self, phrase: str, concept: str) -> Query:
        return (phrase, concept if self.served else "")

    def knows(self, key: Query) -> bool:
        texts = (key[0], label(key[1]))
        return self.table is None or all(t is None or t in self.table for t in texts)

    def _encode(self, texts: list[str]) -> np.ndarray:
        return np.stack([self.table[t] for t in texts]) if self.table is not None else embedding.encode(texts)

    def text(self, keys: list[Query]) -> torch.Tensor:
        new = sorted({k for k in keys if k not in self.queries})
        if new:
            if self.served:
                vectors = queries(new, self._encode)
            else:  # the phrase's embedding as it is (already of unit length), as every shipped stage trained
                vectors = dict(zip(new, self._encode([phrase for phrase, _ in new]), strict=True))
            for k in new:
                self.queries[k] = torch.from_numpy(np.asarray(vectors[k], np.float32))
        return torch.stack([self.queries[k] for k in keys])

    def __call__(self, arrays: dict) -> tuple[torch.Tensor, ...]:
        keys = [self.key(p, c) for p, c in zip(arrays["phrases"], arrays["concepts"], strict=True)]
        keep = [i for i, k in enumerate(keys) if self.knows(k)]
        self.missed += len(keys) - len(keep)

        def tensor(name: str) -> torch.Tensor:
            return torch.as_tensor(arrays[name][keep]).to(self.device)

        mixture = tensor("mixture")
        text = self.text([keys[i] for i in keep]).to(self.device)
        return mixture, tensor("target"), net.stft(mixture), text, tensor("spans"), tensor("negative")


def estimate(model: net.MaskNet, mixture, spec, text, spans) -> torch.Tensor:
    return net.istft(model(spec, text, spans) * spec, mixture.shape[1])


def loss_of(est: torch.Tensor, mixture: torch.Tensor, target: torch.Tensor, negative: torch.Tensor) -> torch.Tensor:
    positive = -(
        TARGET_WEIGHT * si_sdr(est, target).clamp(max=40)
        + (1 - TARGET_WEIGHT) * si_sdr(mixture - est, mixture - target).clamp(max=40)
    )
    silent = energy_db(est, mixture)
    return torch.where(negative, silent, positive).mean()


def validate(model: net.MaskNet, batches: list[tuple], scenes: list[str]) -> dict[str, float]:
    """Mean SI-SDRi of the positives (overall and per scene) and mean estimate level of the negatives (dB)."""
    model.eval()
    gains, levels = [], []
    with torch.inference_mode():
        for mixture, target, spec, text, spans, _negative in batches:
            est = estimate(model, mixture, spec, text, spans)
            gains.append((si_sdr(est, target) - si_sdr(mixture, target)).cpu())
            levels.append(energy_db(est, mixture).cpu())
    model.train()
    gain, level = torch.cat(gains), torch.cat(levels)
    negative = torch.cat([b[-1].cpu() for b in batches])
    out = {"all": float(gain[~negative].mean())}
    by_scene = defaultdict(list)
    for g, s, neg in zip(gain.tolist(), scenes, negative.tolist(), strict=True):
        if not neg:
            by_scene[s].append(g)
    out.update({s: float(np.mean(v)) for s, v in sorted(by_scene.items())})
    out["negative_db"] = float(level[negative].mean()) if negative.any() else float("nan")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--device", help="cpu (default) or cuda; overrides the config")
    parser.add_argument("--workdir", help="overrides the config (e.g. $OUT/run on the GPU machine)")
    parser.add_argument("--max-steps", type=int, help="overrides the config")
    parser.add_argument("--max-minutes", type=float, help="overrides the config (a safety stop)")
    parser.add_argument("--batch-size", type=int, help="overrides the config")
    parser.add_argument("--bank", help="overrides the config (e.g. the bank unpacked on the GPU machine)")
    parser.add_argument("--phrase-table", help="phrases.npz from training/pack.py, where MiniLM is not installed")
    parser.add_argument("--workers", type=int, help="data worker processes (default 0: examples made in-process)")
    parser.add_argument("--anneal-minutes", type=float, help="overrides the config (a run of fixed length)")
    args = parser.parse_args()
    cfg = yaml.safe_load(args.config.read_text())
    for key, value in vars(args).items():  # every option but --config overrides its config key
        if key != "config" and value is not None:
            cfg[key] = value
    if cfg.get("query", "phrase") not in ("phrase", "served"):
        raise SystemExit(f"query: {cfg['query']!r}; use phrase (the default) or served")
    device = cfg.get("device", "cpu")
    torch.set_num_threads(cfg["threads"])
    torch.set_float32_matmul_precision("high")  # TF32 on a GPU; nothing changes on a CPU
    torch.manual_seed(cfg["seed"])
    workdir = Path(cfg["workdir"])
    (workdir / "snapshots").mkdir(parents=True, exist_ok=True)
    log = (workdir / "train.log").open("a")

    def note(line: str) -> None:
        print(line, file=log, flush=True)

    train_bank = bank_io.load(Path(cfg["bank"]), "train")
    val_bank = bank_io.load(Path(cfg["bank"]), "val")
    table = read_phrases(Path(cfg["phrase_table"])) if cfg.get("phrase_table") else None
    batcher = Batcher(device, table, cfg.get("query") == "served")
    bs = cfg["batch_size"]
    val_examples = [
        sample(val_bank, VALIDATION_SEED + i, cfg["validation_seconds"]) for i in range(cfg["validation_examples"])
    ]
    val_examples = [e for e in val_examples if batcher.knows(batcher.key(e.phrase, served_concept(e)))]
    val_batches = [batcher(arrays_of(val_examples[i : i + 8])) for i in range(0, len(val_examples), 8)]
    val_scenes = [e.scene for e in val_examples]

    if cfg.get("init_from"):
        # A later stage starts from shipped weights (same architecture) on fresh draws of the data.
        model = net.load(Path(cfg["init_from"]), device).train()
    else:
        model = net.MaskNet(net.ModelConfig(**cfg.get("model", {}))).to(device)
    optimiser = torch.optim.AdamW(model.parameters(), lr=cfg["learning_rate"], weight_decay=1e-4)
    step, best, elapsed = 0, -math.inf, 0.0
    checkpoint = workdir / "checkpoint.pt"
    if checkpoint.exists():
        state = torch.load(checkpoint, weights_only=False, map_location=device)
        model.load_state_dict(state["model"])
        optimiser.load_state_dict(state["optimiser"])
        step, best, elapsed = state["step"], state["best"], state["elapsed"]
        note(f"# resumed at step {step}")
    else:
        params = sum(p.numel() for p in model.parameters())
        note(
            f"# {params / 1e6:.2f} M parameters, {asdict(model.config)}, device {device}, batch {bs} x "
            f"{cfg['segment_seconds']} s, {cfg['max_steps']} steps, initialised from {cfg.get('init_from') or 'random'}"
        )
        note("step\tminutes\tlr\ttrain_loss\tval_si_sdri_db\tper_scene\tnegative_db")
    started = time.time() - elapsed
    dtype = getattr(torch, cfg.get("save_dtype", "float32"))  # float16 halves what comes back from a GPU machine
    workers = cfg.get("workers", 0)
    loader = torch.utils.data.DataLoader(
        Draws(train_bank, cfg["seed"], bs, cfg["segment_seconds"], tuple(cfg.get("scene_weights", SCENE_WEIGHTS))),
        batch_size=None,
        sampler=range(step, cfg["max_steps"]),
        num_workers=workers,
        worker_init_fn=_one_thread,
        prefetch_factor=4 if workers else None,
        collate_fn=_as_is,
    )
    losses: list[float] = []

    def validate_and_keep() -> None:
        """A line in the log, the best weights, a snapshot, the checkpoint to resume from."""
        nonlocal best, losses
        val = validate(model, val_batches, val_scenes)
        minutes = (time.time() - started) / 60
        scenes = " ".join(f"{k}={v:.2f}" for k, v in val.items() if k not in ("all", "negative_db"))
        note(
            f"{step}\t{minutes:.1f}\t{lr:.2e}\t{np.mean(losses):.3f}\t{val['all']:.3f}\t{scenes}\t"
            f"{val['negative_db']:.1f}"
        )
        losses = []
        if val["all"] > best:
            best = val["all"]
            net.save(model, workdir / "best_val.safetensors", dtype)
        every = cfg.get("snapshot_every", cfg["validate_every"])
        if step >= cfg.get("snapshot_from", 0) and (step % every == 0 or step == cfg["max_steps"]):
            net.save(model, workdir / "snapshots" / f"step_{step}.safetensors", dtype)
        torch.save(
            {
                "model": model.state_dict(),
                "optimiser": optimiser.state_dict(),
                "step": step,
                "best": best,
                "elapsed": time.time() - started,
            },
            checkpoint,
        )

    lr = 0.0
    for arrays in loader:
        minutes = (time.time() - started) / 60
        if minutes >= cfg["max_minutes"]:
            break
        # With ``anneal_minutes`` (a GPU run of fixed length) the schedule ends by time or by steps, whichever
        # comes first: how many steps a borrowed machine makes is not known in advance.
        progress = min(1.0, max(step / cfg["max_steps"], minutes / cfg.get("anneal_minutes", math.inf)))
        warm = min(1.0, (step + 1) / cfg.get("warmup_steps", 1))
        lr = warm * (
            cfg["final_learning_rate"]
            + (cfg["learning_rate"] - cfg["final_learning_rate"]) * 0.5 * (1 + math.cos(math.pi * progress))
        )
        for group in optimiser.param_groups:
            group["lr"] = lr
        mixture, target, spec, text, spans, negative = batcher(arrays)
        loss = loss_of(estimate(model, mixture, spec, text, spans), mixture, target, negative)
        optimiser.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimiser.step()
        losses.append(loss.item())
        step += 1
        if step % cfg["validate_every"] == 0 or step == cfg["max_steps"]:
            validate_and_keep()
    if step % cfg["validate_every"] and step != cfg["max_steps"]:  # stopped by time: the last weights, scored
        validate_and_keep()
    net.save(model, workdir / "last.safetensors", dtype)
    missed = f", {batcher.missed} examples dropped (a text not in the table)" if batcher.table is not None else ""
    note(f"# stopped at step {step} (lr {lr:.2e}), best validation SI-SDRi {best:.3f} dB{missed}")


if __name__ == "__main__":
    main()
