"""Seeded training mixtures: 2-4 sources from the bank, the target, its prompt and span hints.

Scenes mirror what users send: instruments in a band, a voice over music,
speech in noise, and short events over a background. The same seed always
gives the same example.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from audiolasso_dsp.training.make_dictionaries import FAMILIES
from audiolasso_learned.features import SAMPLE_RATE
from audiolasso_learned.training.bank import Bank
from audiolasso_learned.training.prompts import prompt_for

INSTRUMENTS = tuple(FAMILIES)
NOISES = ("hiss", "hum", "wind", "rain", "traffic", "crowd")
EVENTS = ("alarm", "knock", "bird")
SCENES = ("band", "vocal", "speech_noise", "event")
SCENE_WEIGHTS = (0.35, 0.2, 0.2, 0.25)
SPAN_PROBABILITY = 0.5


@dataclass
class Example:
    mixture: np.ndarray  # float32, (samples,)
    target: np.ndarray  # the named sound's stem; mixture - target is everything else
    concept: str
    prompt: str
    phrase: str  # what the network is conditioned on
    spans: list[tuple[float, float, bool]]  # correct hints (start s, end s, include)


def _crop(rng: np.random.Generator, clip: np.ndarray, n: int) -> np.ndarray:
    clip = clip.astype(np.float32)
    if len(clip) <= n:
        return np.pad(clip, (0, n - len(clip)))
    start = int(rng.integers(len(clip) - n))
    return clip[start : start + n]


def _place(rng: np.random.Generator, clip: np.ndarray, n: int) -> np.ndarray:
    """A short event once or twice at random moments, silence around it."""
    clip = clip.astype(np.float32)[:n]
    out = np.zeros(n, np.float32)
    for _ in range(int(rng.integers(1, 3))):
        start = int(rng.integers(max(1, n - len(clip) // 2)))
        piece = clip[: n - start]
        out[start : start + len(piece)] += piece
    return out


def _stem(bank: Bank, rng: np.random.Generator, concept: str, n: int) -> np.ndarray:
    clips = bank[concept]
    clip = clips[int(rng.integers(len(clips)))]
    return _place(rng, clip, n) if concept in EVENTS else _crop(rng, clip, n)


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x**2)) + 1e-8)


def _spans(rng: np.random.Generator, target: np.ndarray, rest: np.ndarray) -> list[tuple[float, float, bool]]:
    """One or two correct hints: include where the target sounds, exclude where it is silent."""
    hop = SAMPLE_RATE // 10
    t_env = np.sqrt(np.mean(target[: len(target) // hop * hop].reshape(-1, hop) ** 2, 1))
    active = t_env > 0.1 * t_env.max()
    out = []
    for _ in range(int(rng.integers(1, 3))):
        i = int(rng.integers(len(active)))
        state = bool(active[i])
        j = i
        while j + 1 < len(active) and active[j + 1] == state and j - i < 20:
            j += 1
        out.append((i / 10, (j + 1) / 10, state))
    return out


def sample(bank: Bank, seed: int, seconds: float) -> Example:
    rng = np.random.default_rng(seed)
    n = int(seconds * SAMPLE_RATE)
    scene = SCENES[int(rng.choice(len(SCENES), p=SCENE_WEIGHTS))]
    if scene == "band":
        concepts = list(rng.choice(INSTRUMENTS, int(rng.integers(2, 5)), replace=False))
        target_concepts = {concepts[0]}
        named = concepts[0]
    elif scene == "vocal":
        concepts = ["speech", *rng.choice(INSTRUMENTS, int(rng.integers(1, 4)), replace=False)]
        if rng.random() < 0.65:
            target_concepts, named = {"speech"}, str(rng.choice(["speech", "singing_voice"]))
        else:
            target_concepts, named = set(concepts[1:]), "music"
    elif scene == "speech_noise":
        concepts = ["speech", *rng.choice(NOISES, int(rng.integers(1, 3)), replace=False)]
        if rng.random() < 0.15:
            concepts.append("speech")  # a second talker: only the spans say which one
        named = "speech" if rng.random() < 0.6 else concepts[1]
        target_concepts = {named}
    else:
        event = str(rng.choice(EVENTS))
        backgrounds = ("traffic", "crowd", "speech", "rain", "hiss", *INSTRUMENTS)
        concepts = [event, *rng.choice(backgrounds, int(rng.integers(1, 3)), replace=False)]
        target_concepts, named = {event}, event
    stems = [_stem(bank, rng, str(c), n) for c in concepts]
    second_talker = concepts.count("speech") == 2
    is_target = [str(c) in target_concepts and not (second_talker and i == len(concepts) - 1) for i, c in enumerate(concepts)]
    if named in ("speech", "singing_voice"):
        is_target = [str(c) == "speech" and i == 0 for i, c in enumerate(concepts)]
    target = sum((s * rng.uniform(0.5, 1.0) for s, t in zip(stems, is_target) if t), np.zeros(n, np.float32))
    rest = sum((s * rng.uniform(0.3, 1.0) for s, t in zip(stems, is_target) if not t), np.zeros(n, np.float32))
    snr_db = rng.uniform(-6, 6)
    target = target * (_rms(rest) / _rms(target) * 10 ** (snr_db / 20))
    peak = max(np.abs(target + rest).max(), 1e-6) / rng.uniform(0.3, 0.95)
    target, rest = target / peak, rest / peak
    others = [str(c) for c, t in zip(concepts, is_target) if not t]
    prompt, phrase = prompt_for(rng, named, str(rng.choice(others)) if others else None)
    hinted = second_talker or rng.random() < SPAN_PROBABILITY
    spans = _spans(rng, target, rest) if hinted else []
    return Example((target + rest).astype(np.float32), target.astype(np.float32), named, prompt, phrase, spans)
