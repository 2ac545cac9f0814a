"""Learn the calls' presence detector in ``data/presence-calls.npz`` (``presence``).

Every call clip of the training bank (dog, cat, bird, other animals, vehicles, human sounds: the
train split's recordings, Fluid R3's sampled effects and numpy calls) is placed over a generated
song, crowd, street, talker or wind in turn, twice with two seeds (``check_cases``' mixtures, its
backgrounds drawn apart from the check sets'). The calls' recipe runs on each mixture as the
service runs it; a 50 ms frame is the call where the clean call holds more than 30% of the
mixture's energy, the background where it holds under 3% (the frames between teach nothing).
A two-layer network (64 hidden units) learns that from ``presence.features`` with torch, and its
weights are written for numpy. Needs the bank's Debian packages (docs/learned.md); about 15
minutes on two cores.

    python -m audiolasso_dsp.training.make_presence
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from audiolasso_dsp import presence
from audiolasso_dsp.backend import DSPBackend
from audiolasso_dsp.choices import METHODS
from audiolasso_dsp.deepfilter import SAMPLE_RATE, DeepFilter
from audiolasso_dsp.methods import RECIPES, Toolkit, in_pieces
from serve_app.audio.resample import resample

CONCEPTS = ("dog", "cat", "bird", "animal", "vehicle", "human")
SEEDS = (11, 12)
CALL, BACKGROUND = 0.3, 0.03  # the clean call's share of a frame's energy
HIDDEN = 64
EPOCHS = 30
CHUNK_S = DSPBackend.info.chunk_seconds


def examples(concepts: tuple[str, ...], seeds: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(features in context, the clean call's share of the energy) for every frame of every mixture."""
    from audiolasso_learned.training import check_cases, sources

    kit = Toolkit(deepfilter=DeepFilter())
    features, shares = [], []
    for concept in concepts:
        recipe = RECIPES[METHODS[concept].name]
        for seed in seeds:
            made, rng = check_cases.backgrounds(seed), np.random.default_rng([seed, 9])
            for i, clip in enumerate(check_cases.event_clips(concept, seed)):
                kind = check_cases.BACKGROUNDS[(i + seed) % len(check_cases.BACKGROUNDS)]
                target, residual, _ = check_cases.mixture(clip.audio, made[kind](i + 7 * seed), rng)
                call = resample(target.astype(np.float32), sources.SAMPLE_RATE, SAMPLE_RATE)
                mixture = resample((target + residual).astype(np.float32), sources.SAMPLE_RATE, SAMPLE_RATE)
                estimate = in_pieces(recipe, mixture, kit, int(SAMPLE_RATE * CHUNK_S))  # as the service runs it
                features.append(presence.in_context(presence.features(estimate, mixture, SAMPLE_RATE)))
                shares.append(_energy(call) / (_energy(mixture) + 1e-12))
                print(f"{concept} {seed} {i}: {clip.source} over {kind}", flush=True)
    return np.concatenate(features), np.concatenate(shares)


def _energy(x: np.ndarray) -> np.ndarray:
    return presence.frame_power(x, SAMPLE_RATE).sum(0)


def train(features: np.ndarray, shares: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    """The network's weights (and the features' mean and spread), from the frames that teach."""
    import torch

    torch.manual_seed(seed)
    mean, std = features.mean(0), features.std(0) + 1e-6
    used = (shares > CALL) | (shares < BACKGROUND)
    x = torch.tensor((features[used] - mean) / std, dtype=torch.float32)
    y = torch.tensor((shares[used] > CALL).astype(np.float32))
    net = torch.nn.Sequential(
        torch.nn.Linear(x.shape[1], HIDDEN), torch.nn.ReLU(), torch.nn.Dropout(0.2), torch.nn.Linear(HIDDEN, 1)
    )
    optimiser = torch.optim.AdamW(net.parameters(), 1e-3, weight_decay=1e-2)
    balance = (1 - y.mean()) / y.mean()  # calls are the rarer frames: weigh both kinds alike
    for _ in range(EPOCHS):
        order = torch.randperm(len(y))
        for start in range(0, len(y), 256):
            batch = order[start : start + 256]
            loss = torch.nn.functional.binary_cross_entropy_with_logits(
                net(x[batch])[:, 0], y[batch], pos_weight=balance
            )
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    first, last = net[0], net[3]
    return {
        "mean": mean,
        "std": std,
        "w1": first.weight.detach().numpy().T,
        "b1": first.bias.detach().numpy(),
        "w2": last.weight.detach().numpy()[0],
        "b2": last.bias.detach().numpy()[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=presence.DATA / "presence-calls.npz")
    parser.add_argument("--seed", type=int, default=0, help="the network's initial weights and batches")
    args = parser.parse_args()
    features, shares = examples(CONCEPTS, SEEDS)
    weights = train(features, shares, args.seed)
    arrays: dict[str, Any] = {name: np.asarray(value, dtype=np.float32) for name, value in weights.items()}
    np.savez_compressed(args.out, **arrays)  # savez takes the arrays as keyword arguments
    print(
        f"{len(shares)} frames ({(shares > CALL).sum()} calls, {(shares < BACKGROUND).sum()} background) -> {args.out}"
    )


if __name__ == "__main__":
    main()
