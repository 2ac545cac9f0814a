"""The separation recipes, by the names ``choices.METHODS`` gives them.

Each recipe takes a mono float32 chunk at 48 kHz and returns the named
sound's estimate (the service turns it around for "remove X" prompts).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from audiolasso_dsp import denoise, hpss, instruments, tonal
from audiolasso_dsp.choices import INSTRUMENT_FAMILIES
from audiolasso_dsp.deepfilter import SAMPLE_RATE, DeepFilter
from audiolasso_dsp.spectral import frame_energy, masked, stft

BASS_CUTOFF_HZ = 250.0  # bass fundamentals and first partials; above it piano, guitar and voice take over


@dataclass
class Toolkit:
    """Loaded models the recipes share (one per replica)."""

    deepfilter: DeepFilter


Recipe = Callable[[np.ndarray, Toolkit], np.ndarray]


def in_pieces(recipe: Recipe, x: np.ndarray, kit: Toolkit, piece: int) -> np.ndarray:
    """``recipe`` over pieces of ``x`` at most ``piece`` samples long, joined: its memory stays a piece's."""
    pieces = np.array_split(x, max(1, int(np.ceil(len(x) / piece))))
    return np.concatenate([recipe(p, kit) for p in pieces])


# DeepFilterNet's attenuation limit (libDF's ``atten_lim_db``): the voice keeps 5% (-26 dB) of
# what the model removes, which hides its artefacts. Chosen on tune (speech / vocals, with spans:
# unlimited 7.94 / 6.26, 2% 8.02 / 6.31, 5% 8.08 / 6.35, 10% 8.07 / 6.35 dB) and dev (8.05 / 7.76
# unlimited, 8.07 / 7.84 at 5%).
VOICE_KEEPS_OF_THE_REST = 0.05


def voice(x: np.ndarray, kit: Toolkit) -> np.ndarray:
    """DeepFilterNet3 keeps voices and removes everything else (noise, crowds, music) to -26 dB."""
    return (1.0 - VOICE_KEEPS_OF_THE_REST) * kit.deepfilter.enhance(x) + VOICE_KEEPS_OF_THE_REST * x


def non_voice(x: np.ndarray, kit: Toolkit) -> np.ndarray:
    """Everything DeepFilterNet3 removes: accompaniment under a singer, a crowd behind a speaker."""
    return x - kit.deepfilter.enhance(x)


# Music is what DeepFilterNet removes less its steady floor: a gentle floor (the 10% quantile,
# no oversubtraction) takes hum, hiss, rain and wind out and leaves sustained notes nearly whole.
# Chosen on tune (tu_voc_09/10: 5.52/4.82 -> 6.35/5.24 dB with "remove the music") and dev's
# backing track (dev_voc_04: 8.44 -> 8.39); (0.2, 1.5) gained more on tune but cost dev 0.66 dB.
MUSIC_FLOOR_QUANTILE = 0.1
MUSIC_OVERSUBTRACT = 1.0


def music(x: np.ndarray, kit: Toolkit) -> np.ndarray:
    """The music alone: "remove the music" leaves the room's hum and hiss where they were."""
    return denoise.foreground(non_voice(x, kit), quantile=MUSIC_FLOOR_QUANTILE, oversubtract=MUSIC_OVERSUBTRACT)


def percussive(x: np.ndarray, kit: Toolkit) -> np.ndarray:
    return hpss.percussive(x, SAMPLE_RATE)


def sustained(x: np.ndarray, kit: Toolkit) -> np.ndarray:
    return hpss.harmonic(x, SAMPLE_RATE)


def bass(x: np.ndarray, kit: Toolkit) -> np.ndarray:
    """The sustained part below the bass cutoff (drum hits removed by HPSS first)."""
    tonal = sustained(x, kit)
    spec = stft(tonal, instruments.N_FFT, instruments.HOP)
    freqs = np.arange(spec.shape[0]) * SAMPLE_RATE / instruments.N_FFT
    gain = (1.0 / (1.0 + (freqs / BASS_CUTOFF_HZ) ** 8)).astype(np.float32)  # Butterworth-like
    return masked(tonal, spec, gain[:, None], instruments.N_FFT, instruments.HOP)


def instrument(family: str) -> Recipe:
    """An NMF-dictionary recipe for one melodic instrument family, on the mixture itself: the
    drums' own bases take the hits. (Running it on HPSS's sustained part, as until 2026-12-05,
    scored the same on tune, −0.01 / −0.00 dB with / without spans, and took a third longer.)"""

    def recipe(x: np.ndarray, kit: Toolkit) -> np.ndarray:
        return instruments.separate(x, SAMPLE_RATE, family)

    return recipe


def steady_noise(x: np.ndarray, kit: Toolkit) -> np.ndarray:
    return x - denoise.foreground(x)


def mains_hum(x: np.ndarray, kit: Toolkit) -> np.ndarray:
    return denoise.hum(x, SAMPLE_RATE)


# A voice speaks in a chunk when DeepFilterNet's voice holds at least a quarter of the energy in
# at least 40% of its audible 50 ms frames. The event cases of tune, tune-events and dev: 0.47 to
# 0.70 over a talker, at most 0.09 over streets, music, wind and crowds (a babble is noise to it),
# but for an owl's hoots over a song, which DeepFilterNet keeps as voice: 0.18 and 0.31 (at 30%,
# the first threshold, that owl went with the "voice": -4.1 dB with spans, 13.9 at 40%). Heldout's,
# only scored, split the same way (0.59 to 0.75, at most 0.01).
VOICE_FRAME_S = 0.05
VOICE_HOLDS = 0.25
VOICE_SPEAKS = 0.4


def voice_speaks(x: np.ndarray, voice: np.ndarray) -> bool:
    """Whether ``voice`` (DeepFilterNet's estimate in ``x``) is a talker, not a bark it kept now and then."""
    hop = int(SAMPLE_RATE * VOICE_FRAME_S)
    mixture, kept = frame_energy(x, hop), frame_energy(voice[: len(x)], hop)
    audible = mixture > 1e-6 * mixture.max(initial=0.0)
    return bool(audible.any() and (kept[audible] >= VOICE_HOLDS * mixture[audible]).mean() >= VOICE_SPEAKS)


def animal_call(x: np.ndarray, kit: Toolkit) -> np.ndarray:
    """Calls, barks, meows: what rises above the steady background, a talker taken out first where
    one speaks (a voice is the loudest thing that comes and goes). Not always: DeepFilterNet keeps
    much of a bark or a moo as voice, and a dog over a street lost 5 to 40 dB that way. Tune and dev,
    dsp alone, events with / without spans: 7.93 / 6.87 -> 9.13 / 8.07 and 12.24 / 12.48 unchanged
    (tune's bird calls over a talker 3.6 -> 13.1 dB); heldout 8.25 / 5.97 -> 11.03 / 8.75."""
    voice = kit.deepfilter.enhance(x)
    return denoise.foreground(x - voice if voice_speaks(x, voice) else x)


def tonal_event(x: np.ndarray, kit: Toolkit) -> np.ndarray:
    """Rings, alarms, bells: the spectral peaks (``tonal.peaks``) of what comes and goes, a talker
    taken out first where one speaks, as for calls. Until 2026-12-06 the sustained part (HPSS) of
    everything but DeepFilterNet's voice: a babble is no voice to DeepFilterNet, but it took some of
    a ringtone as voice, and HPSS's half-second medians smeared a bell's strokes. The alarm cases of
    tune, tune-events and dev (7, both span settings, dsp alone, mean SI-SDRi): 7.10 -> 10.14 dB
    (docs/learned.md, "Rings by their peaks")."""
    return tonal.peaks(animal_call(x, kit), SAMPLE_RATE)


def _non_voice_foreground(x: np.ndarray, kit: Toolkit) -> np.ndarray:
    """Neither a voice nor the steady background: where events live when people talk around them."""
    return denoise.foreground(non_voice(x, kit))


def impact(x: np.ndarray, kit: Toolkit) -> np.ndarray:
    """Knocks, steps, bangs: hits that are neither a voice nor the steady background."""
    return hpss.percussive(_non_voice_foreground(x, kit), SAMPLE_RATE)


RECIPES: dict[str, Recipe] = {
    "deepfilternet3": voice,
    "deepfilternet3-complement": non_voice,
    "deepfilternet3-complement-above-floor": music,
    "hpss-percussive": percussive,
    "hpss-harmonic": sustained,
    "hpss-harmonic-lowpass": bass,
    **{f"nmf-dictionary-{family}": instrument(family) for family in INSTRUMENT_FAMILIES},
    "steady-background": steady_noise,
    "mains-hum-partials": mains_hum,
    "foreground-without-voice": animal_call,
    "tonal-peaks-without-voice": tonal_event,
    "percussive-non-voice": impact,
}
