"""Seeded training mixtures mirroring the corpora's four scene types, from the bank.

* ``band``   — the stems of one song (sometimes with a real solo recording); the target is one instrument,
  named by its specific name ("tenor sax") or its concept ("woodwinds");
* ``vocal``  — a voice over a song; the target is the voice (kept, or named in "remove the vocals" /
  karaoke prompts) or the music;
* ``speech`` — speech over 1-2 noises or recorded ambiences, sometimes a second talker taking turns
  (only the spans say which one); the target is the speech or a named noise, or everything but the
  speech for a vague "clean this up";
* ``event``  — an event recording placed 1-3 times (short sounds as a series) over a background (noise,
  ambience, music, speech, crowd); the target is the event, sometimes the named background;
* ``marked`` — two instruments of one family take turns (call and response); the prompt names the family
  and the spans say which one.

Each stem gets random effects (EQ, distortion, compression, reverb, pitch/tempo change) and level; 7 % of
examples are **negatives** (the named sound is absent: the target is silence). Span hints (correct, as the
corpora define them) come with half of the examples and always where they are needed. The same seed always
gives the same example.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import numpy as np

from audiolasso_corpora.audio import runs
from audiolasso_learned import SAMPLE_RATE
from audiolasso_learned.training import effects
from audiolasso_learned.training.bank import Bank
from audiolasso_learned.training.prompts import (
    KARAOKE,
    MUSIC_NAMES,
    NAMELESS_MARKED,
    VAGUE,
    VOCAL_NAMES,
    name_for,
    prompt_for,
    read_phrase,
)
from audiolasso_learned.training.sources import Clip

INSTRUMENTS = ("piano", "organ_synth", "guitar", "bass", "strings", "brass", "woodwinds", "drums")
SCENES = ("band", "vocal", "speech", "event", "marked")
SCENE_WEIGHTS = (0.30, 0.21, 0.21, 0.23, 0.05)
SPAN_PROBABILITY = 0.5
NEGATIVE_PROBABILITY = 0.07
ROLE_LEVEL_DB = {"drums": 0.0, "bass": -1.0, "chords": -2.0, "melody": 0.0, "pad": -6.0, "call": 0.0, "response": 0.0}


@dataclass
class Example:
    mixture: np.ndarray  # float32, (samples,)
    target: np.ndarray  # the named sound's stem (silence for a negative); mixture - target is everything else
    concept: str
    prompt: str
    phrase: str  # what the network is conditioned on (the service's reading of the prompt)
    spans: list[tuple[float, float, bool]]  # correct hints (start s, end s, include)
    scene: str = ""
    negative: bool = False


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64))) + 1e-9)


def _crop(rng: np.random.Generator, audio: np.ndarray, n: int, active: bool = True) -> np.ndarray:
    """A random ``n``-sample crop (looped when short); with ``active``, one where the clip sounds
    (clips are stored at RMS 0.1)."""
    x = audio
    if len(x) < n:
        x = np.tile(x, n // max(1, len(x)) + 1)
    best, best_e = None, -1.0
    for _ in range(3 if active else 1):
        start = int(rng.integers(len(x) - n + 1))
        seg = x[start : start + n].astype(np.float32)
        e = _rms(seg)
        if e > best_e:
            best, best_e = seg, e
        if e > 0.03:
            break
    return cast(np.ndarray, best)  # the first crop always wins (its RMS is > 0 > -1.0)


def _stem(
    rng: np.random.Generator, clip: Clip, n: int, strength: float = 1.0, rate: tuple[int, int] | None = None
) -> np.ndarray:
    """A crop of ``clip`` with random effects; ``rate`` (up, down) changes pitch and tempo together."""
    if rate is None and rng.random() < 0.2 * strength:
        rate = effects.rate_change(rng)
    if rate is not None and rate != (1, 1):
        x = effects.resample(_crop(rng, clip.audio, effects.source_length(n, rate)), rate, n)
    else:
        x = _crop(rng, clip.audio, n)
    return effects.apply(rng, x, clip.concept, strength)


def _place(rng: np.random.Generator, clip: Clip, n: int) -> np.ndarray:
    """An event 1-3 times at random moments (a short sound as a series of 2-4), silence around it."""
    x = np.asarray(clip.audio, np.float32)
    if rng.random() < 0.2:
        x = effects.resample(x, effects.rate_change(rng), 10**9)
    if len(x) < 0.7 * SAMPLE_RATE and rng.random() < 0.7:
        pieces = []
        for _ in range(int(rng.integers(2, 5))):
            pieces += [
                x * float(rng.uniform(0.7, 1.0)),
                np.zeros(int(rng.uniform(0.1, 0.35) * SAMPLE_RATE), np.float32),
            ]
        x = np.concatenate(pieces[:-1])
    x = x[: n - n // 8]
    out = np.zeros(n, np.float32)
    for _ in range(int(rng.integers(1, 3 if len(x) > n // 3 else 4))):
        start = int(rng.integers(-len(x) // 3, max(1, n - len(x) // 2)))
        a, b = max(0, start), min(n, start + len(x))
        out[a:b] += x[a - start : b - start] * float(rng.uniform(0.7, 1.0))
    if _rms(out) < 1e-4:  # nothing landed: one occurrence in the middle
        a = max(0, (n - len(x)) // 2)
        out[a : a + len(x)] += x[: n - a]
    return effects.apply(rng, out, clip.concept, 0.6)


def _frame_db(x: np.ndarray, hop: int) -> np.ndarray:
    frames = len(x) // hop
    e = np.mean(np.square(x[: frames * hop].reshape(frames, hop), dtype=np.float64), 1)
    return 10 * np.log10(e / (e.max() + 1e-20) + 1e-20)


def spans_for(
    rng: np.random.Generator, target: np.ndarray, other: np.ndarray | None = None, at_most: int = 3
) -> list[tuple[float, float, bool]]:
    """Correct hints as the corpora define them: include = the target sounds (within 30 dB of its peak;
    with ``other``, that one silent), exclude = the target silent (60 dB down; with ``other``, that one
    sounding). Up to ``at_most`` spans of at least 0.25 s."""
    hop = SAMPLE_RATE // 100
    td = _frame_db(target, hop) if _rms(target) > 1e-6 else np.full(len(target) // hop, -100.0)
    inc, exc = td > -30, td < -60
    if other is not None:
        od = _frame_db(other, hop)
        inc &= od < -55
        exc &= od > -30
    cands = []
    for mask, include in ((inc, True), (exc, False)):
        for a, b in runs(mask):
            s, e = a / 100, b / 100
            if not include:
                s, e = s + 0.03, e - 0.03
            if e - s >= 0.25:
                cands.append((round(s, 2), round(e, 2), include))
    if len(cands) > at_most:
        cands = [cands[i] for i in sorted(rng.choice(len(cands), at_most, replace=False))]
    return sorted(cands)


def _rest(rng: np.random.Generator, x: np.ndarray, n: int) -> np.ndarray:
    """Silence a stretch of ``x`` (the target rests: exclude spans exist where hints are given)."""
    length = int(rng.uniform(0.4, 1.2) * SAMPLE_RATE)
    a = int(rng.integers(0, max(1, n - length)))
    ramp = np.linspace(1, 0, 441, dtype=np.float32)
    x = x.copy()
    x[a : a + 441] *= ramp[: len(x[a : a + 441])]
    x[a + 441 : a + length] = 0
    x[a + length : a + length + 441] *= ramp[::-1][: len(x[a + length : a + length + 441])]
    return x


def _song(rng: np.random.Generator, bank: Bank) -> list[Clip]:
    return bank.songs[int(rng.integers(len(bank.songs)))]


def _pick(rng: np.random.Generator, clips: list[Clip]) -> Clip:
    return clips[int(rng.integers(len(clips)))]


def _music(rng, bank, n, drop=0.15) -> tuple[list[np.ndarray], list[Clip]]:
    """The stems of one song at role levels, cropped at one moment (a stem is dropped now and then)."""
    song = _song(rng, bank)
    keep = [c for c in song if rng.random() > drop] or list(song)
    rate = effects.rate_change(rng) if rng.random() < 0.2 else (1, 1)
    m = effects.source_length(n, rate) if rate != (1, 1) else n
    length = min(len(c.audio) for c in keep)
    start = int(rng.integers(max(1, length - m + 1)))
    stems = []
    for c in keep:
        x = np.asarray(c.audio[start : start + m], np.float32)
        x = np.pad(x, (0, max(0, m - len(x))))
        if rate != (1, 1):
            x = effects.resample(x, rate, n)
        x = effects.apply(rng, x, c.concept)
        stems.append(x * 10 ** ((ROLE_LEVEL_DB.get(c.role, 0) + rng.uniform(-3, 3)) / 20))
    return stems, keep


def _background(rng: np.random.Generator, bank: Bank, n: int, avoid: str = "") -> tuple[np.ndarray, str, tuple]:
    """A background for an event: (audio, concept, names)."""
    r = rng.random()
    if r < 0.3:
        c = _pick(rng, [c for c in bank.noise if c.concept != avoid] or bank.noise)
        return _stem(rng, c, n, 0.5), c.concept, c.names
    if r < 0.5 and bank.ambience:
        c = _pick(rng, [c for c in bank.ambience if c.concept != avoid] or bank.ambience)
        return _stem(rng, c, n, 0.5), c.concept, c.names
    if r < 0.75:
        stems, _ = _music(rng, bank, n)
        return np.sum(stems, 0), "music", MUSIC_NAMES
    c = _pick(rng, bank.speech)
    return _stem(rng, c, n, 0.5), "speech", ("speech", "a person talking", "the voice")


def _scale_to(x: np.ndarray, ref: np.ndarray, db: float) -> np.ndarray:
    return x * (_rms(ref) / _rms(x) * 10 ** (db / 20))


def sample(bank: Bank, seed: int, seconds: float, scene_weights: tuple[float, ...] = SCENE_WEIGHTS) -> Example:
    def again() -> Example:  # this draw cannot make its scene: another seed, the same proportions
        return sample(bank, seed + 7_919_000, seconds, scene_weights)

    rng = np.random.default_rng(seed)
    n = int(seconds * SAMPLE_RATE)
    scene = SCENES[int(rng.choice(len(SCENES), p=scene_weights))]
    negative = rng.random() < NEGATIVE_PROBABILITY
    hinted = rng.random() < SPAN_PROBABILITY
    marked = False
    other_name = None
    spans: list[tuple[float, float, bool]] = []
    if scene == "band" or (scene == "marked" and not any(c.role == "call" for s in bank.songs for c in s)):
        scene = "band"
        stems, clips = _music(rng, bank, n)
        if rng.random() < 0.2 and bank.solo:  # a real recording joins (or leads) the band
            solo = _pick(rng, bank.solo)
            keep = [i for i, c in enumerate(clips) if c.concept != solo.concept] or [0]
            stems = [stems[i] for i in keep] + [_stem(rng, solo, n) * 10 ** (rng.uniform(-4, 2) / 20)]
            clips = [clips[i] for i in keep] + [solo]
        families = [c.concept for c in clips]
        unique = [i for i, c in enumerate(clips) if families.count(c.concept) == 1]
        t = int(rng.choice(unique)) if unique and len(clips) > 1 else -1
        if t < 0:
            return again()
        target = stems[t]
        # The target rests in some examples with or without span hints: an instrument rests in songs
        # whether or not its user marks it, and a network that saw rests only beside exclude spans
        # went on estimating the band through them (docs/learned.md, "Rests without span hints").
        if rng.random() < 0.4:
            target = _rest(rng, target, n)
        rest = np.sum([s for i, s in enumerate(stems) if i != t], 0)
        if rng.random() < 0.5:  # a wider range of target-to-rest ratios than the song levels give
            target = _scale_to(target, rest, float(rng.uniform(-14, 4)))
        concept, t_name = clips[t].concept, name_for(rng, clips[t].concept, clips[t].names)
        others = [c for i, c in enumerate(clips) if i != t]
        other_name = name_for(rng, others[0].concept, others[0].names) if others else None
        present = set(families)
    elif scene == "marked":
        song = [s for s in bank.songs if any(c.role == "call" for c in s)]
        clips = list(song[int(rng.integers(len(song)))])
        roles = [c.role for c in clips]
        if "call" not in roles or "response" not in roles:
            return again()
        stems, _ = _music(rng, Bank(songs=[clips]), n, drop=0.0)
        t = roles.index(str(rng.choice(["call", "response"])))
        o = roles.index("response" if roles[t] == "call" else "call")
        target, rest = stems[t], np.sum([s for i, s in enumerate(stems) if i != t], 0)
        spans = spans_for(rng, target, stems[o])
        if not spans:
            return again()
        concept, marked, negative = clips[t].concept, True, False
        t_name = name_for(rng, concept, (), 0.0)
        if rng.random() < 0.2:
            t_name = ""  # "keep this": only the spans say what
        present = {c.concept for c in clips}
    elif scene == "vocal":
        stems, clips = _music(rng, bank, n)
        music = np.sum(stems, 0)
        voice = _stem(rng, _pick(rng, bank.speech), n, 0.8)
        voice = _scale_to(voice, music, float(rng.uniform(-6, 8)))
        if rng.random() < 0.68:
            target, rest, concept = voice, music, "singing_voice"
            t_name = str(rng.choice(VOCAL_NAMES))
            other_name = str(rng.choice(MUSIC_NAMES))
        else:
            target, rest, concept = music, voice, "music"
            t_name, other_name = str(rng.choice(MUSIC_NAMES)), str(rng.choice(VOCAL_NAMES))
        present = {"speech", "singing_voice", "music", *(c.concept for c in clips)}
    elif scene == "speech":
        voice_clip = _pick(rng, bank.speech)
        voice = _stem(rng, voice_clip, n, 0.6)
        beds, bed_clips = [], []
        for _ in range(int(rng.integers(1, 3))):
            pool = bank.noise + bank.ambience if rng.random() < 0.8 else bank.ambience or bank.noise
            c = _pick(rng, pool)
            beds.append(_stem(rng, c, n, 0.4) * float(rng.uniform(0.4, 1.0)))
            bed_clips.append(c)
        bed = np.sum(beds, 0)
        second = None
        if rng.random() < 0.18:  # a second talker: the two take turns, only the spans say which one is meant
            other_voice = _stem(
                rng, _pick(rng, [c for c in bank.speech if c.source != voice_clip.source] or bank.speech), n, 0.6
            )
            edges = np.sort(rng.uniform(0, n, int(rng.integers(2, 5)))).astype(int)
            gate = np.zeros(n, np.float32)
            for k, (a, b) in enumerate(zip(np.concatenate([[0], edges]), np.concatenate([edges, [n]]), strict=True)):
                gate[a:b] = k % 2
            gate = np.convolve(gate, np.ones(441) / 441, mode="same").astype(np.float32)
            second = _scale_to(other_voice * gate, voice, float(rng.uniform(-3, 3)))
            voice = voice * (1 - gate)
            bed = _scale_to(bed, voice + second, -float(rng.uniform(6, 20)))
        else:
            bed = _scale_to(bed, voice, -float(rng.uniform(-5, 12)))
        r = rng.random()
        if second is not None:
            target, rest, concept = voice, second + bed, "speech"
            spans = spans_for(rng, voice, second)
            marked = rng.random() < 0.5
            t_name = name_for(rng, "speech", ("the first speaker", "this speaker", "the person talking"))
            if not spans:
                return again()
        elif r < 0.62:
            target, rest, concept = voice, bed, "speech"
            t_name = name_for(
                rng,
                "speech",
                (
                    "the speaker",
                    "a man speaking",
                    "a woman speaking",
                    "the talker",
                    "the person speaking",
                    "voice",
                    "the narrator",
                ),
            )
            other_name = name_for(rng, bed_clips[0].concept, bed_clips[0].names)
        elif r < 0.9:
            k = int(rng.integers(len(beds)))
            target, concept = beds[k] * (_rms(bed) / _rms(np.sum(beds, 0))), bed_clips[k].concept
            rest = voice + bed - target
            t_name = name_for(rng, concept, bed_clips[k].names)
            other_name = "speaker"
        else:  # "clean this up": the network estimates everything but the voice, the service returns the rest
            target, rest, concept, t_name = bed, voice, "hiss", ""
        present = {"speech", *(c.concept for c in bed_clips)}
    else:  # event
        c = _pick(rng, bank.events)
        event = _place(rng, c, n)
        bg, bg_concept, bg_names = _background(rng, bank, n, avoid=c.concept)
        active = np.abs(event) > 0.05 * np.abs(event).max()
        pe = float(np.mean(event[active] ** 2)) if active.any() else _rms(event) ** 2
        pb = float(np.mean(bg[active] ** 2)) if active.any() else _rms(bg) ** 2
        event = event * np.sqrt(pb / max(pe, 1e-12)) * 10 ** (float(rng.uniform(-8, 8)) / 20)
        if rng.random() < 0.88:
            target, rest, concept = event, bg, c.concept
            t_name = name_for(rng, concept, c.names, 0.7)
            other_name = name_for(rng, bg_concept, bg_names) if bg_concept != "speech" else "talking"
        else:
            target, rest, concept = bg, event, bg_concept
            t_name = name_for(rng, bg_concept, bg_names)
            other_name = name_for(rng, c.concept, c.names, 0.7)
        present = {c.concept, bg_concept}
    if negative and scene != "marked":  # the named sound is absent from the mix: the target is silence
        absent = [x for x in (*INSTRUMENTS, "speech", "dog", "cat", "bird", "alarm", "knock") if x not in present]
        concept = str(rng.choice(absent))
        pool_names = {"speech": ("the speaker", "a person talking", "voice")}.get(concept, ())
        rest = target + rest
        target = np.zeros(n, np.float32)
        t_name = name_for(rng, concept, pool_names, 0.3)
        spans = []
    mixture = target + rest
    peak = max(float(np.abs(mixture).max()), 1e-6) / float(rng.uniform(0.2, 0.95))
    target, rest = (target / peak).astype(np.float32), (rest / peak).astype(np.float32)
    mixture = target + rest
    if not spans and not negative and (hinted or marked):
        spans = spans_for(rng, target, at_most=int(rng.integers(1, 4)))
    marked = marked and any(s[2] for s in spans)
    if t_name == "" and scene == "marked" and not marked:
        t_name = name_for(rng, concept, (), 0.0)
    if t_name == "" and scene == "speech":
        prompt = str(rng.choice(VAGUE))
    elif t_name == "":
        prompt = str(rng.choice(NAMELESS_MARKED))
    elif concept == "singing_voice" and rng.random() < 0.2:
        prompt = str(rng.choice(KARAOKE))
    else:
        prompt, _ = prompt_for(rng, t_name, other_name, marked=marked and rng.random() < 0.6)
    # the reading the service makes: a prompt naming nothing means the marked sound when include spans exist
    phrase = read_phrase(prompt, any(s[2] for s in spans))
    return Example(mixture.astype(np.float32), target, concept, prompt, phrase, spans, scene, negative)
