"""The sound concepts prompts are mapped to, shared by every backend.

Each concept has example phrases; a prompt's phrase is matched to the concept
whose examples it is closest to in a sentence-embedding space, so phrasings
nobody listed ("the yapping puppy", "that annoying ringtone") still land on
the right concept. Add a concept, or an example to one, here: nothing else
changes. ``family`` groups concepts that separate alike, for backends that
care about kinds of sound rather than names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Family = Literal["voice", "music", "instrument", "noise", "event", "other"]


@dataclass(frozen=True)
class Concept:
    name: str
    family: Family
    label: str  # short human name, also a good noun phrase for text-conditioned models
    examples: tuple[str, ...]


def _c(name: str, family: Family, label: str, examples: str) -> Concept:
    return Concept(name, family, label, tuple(e.strip() for e in examples.split(";")))


CONCEPTS: tuple[Concept, ...] = (
    _c("speech", "voice", "speech",
       "speech; the speaker; a person talking; the main speaker; voice; spoken words; narrator; dialogue; "
       "a man speaking; a woman speaking; the presenter; conversation; interview; podcast host; announcer"),
    _c("singing_voice", "voice", "singing voice",
       "lead vocals; the singer; singing voice; vocals; the vocal track; vocalist; choir; backing vocals; "
       "the singer's voice; a cappella singing; rapper; the vocal melody"),
    _c("music", "music", "music",
       "music; background music; the accompaniment; backing track; the instrumental; the band; "
       "the song without vocals; karaoke track; soundtrack; the music bed"),
    _c("drums", "instrument", "drums",
       "drums; percussion; drum kit; the beat; kick drum; snare drum; hi-hat; cymbals; toms; drum loop; "
       "bongos; drummer"),
    _c("bass", "instrument", "bass",
       "bass; bass guitar; the bass line; double bass; upright bass; slap bass; synth bass; bassist"),
    _c("piano", "instrument", "piano",
       "piano; the piano part; grand piano; electric piano; keys; keyboard; rhodes; harpsichord; pianist; marimba; xylophone; "
       "vibraphone"),
    _c("guitar", "instrument", "guitar",
       "guitar; acoustic guitar; electric guitar; rhythm guitar; lead guitar; guitar solo; strumming; "
       "ukulele; banjo; guitarist"),
    _c("strings", "instrument", "strings",
       "strings; violin; viola; cello; string section; string quartet; fiddle; orchestral strings; harp"),
    _c("brass", "instrument", "brass",
       "brass; trumpet; trombone; french horn; tuba; brass section; horns; horn section"),
    _c("woodwinds", "instrument", "woodwinds",
       "woodwinds; woodwind instrument; flute; clarinet; oboe; saxophone; bassoon; recorder; piccolo; harmonica; "
       "accordion; bagpipes"),
    _c("organ_synth", "instrument", "organ or synthesizer",
       "organ; synthesizer; synth; synth pad; synth lead; hammond organ; church organ; electronic keyboard pad"),
    _c("crowd", "noise", "crowd and babble",
       "crowd noise; babble; chatter; people talking in the background; background conversations; "
       "audience; cafe noise; restaurant ambience; murmur of voices; cheering crowd; applause"),
    _c("traffic", "noise", "traffic and street noise",
       "traffic; street noise; street recording; cars passing; engine noise; road noise; city ambience; "
       "trucks; motorcycle; construction noise"),
    _c("wind", "noise", "wind",
       "wind; wind noise; gusts of wind; breeze; wind rumble on the microphone"),
    _c("rain", "noise", "rain and water",
       "rain; rain noise; rainfall; downpour; running water; waves; dripping water; shower"),
    _c("hum", "noise", "hum and buzz",
       "hum; mains hum; electrical buzz; 50 hz hum; 60 hz hum; ground loop hum; buzzing"),
    _c("hiss", "noise", "hiss and broadband noise",
       "hiss; static; white noise; background noise; noise; tape hiss; fan noise; air conditioner; "
       "hvac noise; microphone noise"),
    _c("dog", "event", "dog",
       "dog barking; barking dog; dog; bark; puppy; howling; growling dog"),
    _c("bird", "event", "birds",
       "birds; birdsong; bird chirping; tweeting; crow cawing; seagulls; songbird"),
    _c("cat", "event", "cat",
       "cat; cat meowing; meow; kitten; purring cat"),
    _c("alarm", "event", "alarms, bells and phones",
       "alarm; siren; phone ringing; ringtone; doorbell; bell; beeping; smoke alarm; church bells; "
       "notification sound; car horn; alarm clock"),
    _c("knock", "event", "knocks and impacts",
       "knocking; knock on the door; door knocks; footsteps; banging; impact; hammering; door slam; "
       "clapping; tapping; something falling; typing on a keyboard; clicks"),
)

# The open concept, chosen when no listed concept is close enough.
OTHER = Concept("other", "other", "other sound", ())

BY_NAME: dict[str, Concept] = {c.name: c for c in (*CONCEPTS, OTHER)}
