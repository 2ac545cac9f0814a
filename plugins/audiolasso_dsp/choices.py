"""Which method separates each sound concept, by name. The Ingress plans with this
table alone; the recipes behind the names (``methods.RECIPES``) load DeepFilterNet
and the instrument dictionaries, only in the Separator. The choices were made by
measurement on the dev corpus (see docs/quality.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# How span hints teach (``spans``): talkers share every phoneme's spectrum but take turns;
# other sounds differ in spectrum.
SpanKind = Literal["dictionary", "gate"]
INSTRUMENT_FAMILIES = ("piano", "guitar", "strings", "brass", "woodwinds", "organ_synth")


@dataclass(frozen=True)
class Method:
    """How one concept is separated: a recipe of ``methods.RECIPES`` by name. With span
    hints, the span model refines ``span_base``'s estimate instead, where the recipe's
    prior is weaker evidence than marked examples of the very recording (generic
    instrument timbres)."""

    name: str
    span_base: str | None = None
    # Without span hints, a sound that comes and goes marks its own (``spans.self_marks``): the
    # recipe's estimate says where it stands out of the mixture, and a span model learns from that.
    self_marks: bool = False
    # A detector (``presence``, by name) that tells those marks where the sound itself sounds.
    presence: str | None = None

    def with_spans(self) -> str:
        return self.span_base or self.name


METHODS: dict[str, Method] = {
    "speech": Method("deepfilternet3"),
    "singing_voice": Method("deepfilternet3"),
    "music": Method("deepfilternet3-complement-above-floor"),
    "crowd": Method("deepfilternet3-complement"),
    "drums": Method("hpss-percussive"),
    "bass": Method("hpss-harmonic-lowpass"),
    **{family: Method(f"nmf-dictionary-{family}", "hpss-harmonic") for family in INSTRUMENT_FAMILIES},
    **{name: Method("steady-background") for name in ("traffic", "wind", "rain", "hiss")},
    "hum": Method("mains-hum-partials"),
    **{
        name: Method("foreground-without-voice", self_marks=True, presence="calls")
        for name in ("dog", "bird", "cat", "animal")
    },
    # The calls' detector only where it was measured to help (docs/learned.md): a vehicle swells and
    # fades like a street, which it learnt as background (the bank's odd-numbered vehicle clips 3.84 ->
    # 3.46 dB with it); human sounds rest on two recordings, too few to measure it on.
    **{name: Method("foreground-without-voice", self_marks=True) for name in ("vehicle", "human")},
    # A sound the catalog does not know, with span hints only (DSPBackend.plan): the span model refines
    # the calls' estimate (what comes and goes, the talker out where one speaks).
    "other": Method("foreground-without-voice"),
    "alarm": Method("tonal-peaks-without-voice", self_marks=True),
    "knock": Method("percussive-non-voice", self_marks=True),
}


def span_kind(family: str) -> SpanKind:
    return "gate" if family == "voice" else "dictionary"
