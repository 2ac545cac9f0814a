"""Prompt templates per split, written the way people write requests (the public API page's advice: name the
sound you want in the target track, e.g. "separate the piano from the rest of the song", "remove crowd noise and
keep the speaker", "extract the dog bark from the street recording").

``heldout`` and ``tune`` share no template, and neither copies a training template. Placeholders:
``{inst}`` instrument, ``{fam}`` instrument family (for span-disambiguated cases), ``{voice}`` the vocal,
``{noise}`` the noise, ``{event}`` the sound event, ``{bg}`` the background.
"""

from __future__ import annotations

import numpy as np

TEMPLATES = {
    "heldout": {
        "music": [
            "separate the {inst} from the other instruments in the song",
            "can you pull the {inst} out of this mix?",
            "I only want to hear the {inst}",
            "extract just the {inst} part, please",
            "solo the {inst} for me",
            "keep the {inst} and drop everything else",
            "give me a track with nothing but the {inst}",
            "I'd like the {inst} by itself, without the band",
            "please isolate the {inst} in this recording",
            "how would the {inst} sound alone? take out the other instruments",
            "get rid of every instrument except the {inst}",
            "pull out the {inst} track from this song",
            "I'm learning this part, can you isolate the {inst} for me?",
        ],
        "music_marked": [
            "isolate the {fam} playing in the section I marked",
            "extract the {fam} that plays in the highlighted part, not the other one",
            "keep only the {fam} I selected and remove the rest",
        ],
        "vocal": [
            "isolate the lead vocal from the backing band",
            "extract the vocals from this song",
            "I want just the singer's voice, no music",
            "can you separate the voice from the music behind it?",
            "pull the vocal track out of this mix",
            "remove the instruments and keep the vocals",
            "give me an a cappella version of this",
            "strip the music away so only the voice is left",
            "keep the voice, lose the accompaniment",
        ],
        "vocal_inverted": [
            "remove the vocals so I can sing along",
            "make an instrumental: take out the voice",
            "get rid of the singer and keep the band",
            "I need the backing track without the vocals",
        ],
        "music_removed": [
            "remove the background music but keep everything else",
            "get rid of the song playing behind the speaker, leave the rest as it is",
        ],
        "speech": [
            "remove {noise} from behind the speaker",
            "get rid of the {noise} and keep the person talking",
            "isolate the speaker's voice from the {noise}",
            "can you take the {noise} out of this interview?",
            "extract the speech and drop the {noise}",
            "I just want the voice, without the {noise}",
            "suppress the {noise} behind the speaker",
            "make the talker easier to hear by removing the {noise}",
            "separate the person speaking from the {noise}",
            "there's {noise} all over this voice memo, please keep only the voice",
        ],
        "speech_marked": [
            "keep only the voice I marked",
            "isolate the speaker in the highlighted section and remove the other person",
            "extract the person talking in the part I selected",
        ],
        "event": [
            "extract the {event} from the {bg}",
            "can you pull the {event} out of this clip?",
            "I want only the {event}, remove the {bg}",
            "keep the {event} and get rid of the {bg}",
            "separate the {event} from the {bg}",
            "is there a way to isolate the {event} in this clip?",
            "give me just the {event}, nothing else",
            "please isolate the {event} from the background",
            "take the {bg} away and leave the {event}",
        ],
        "event_inverted": [
            "remove the {event} but keep everything else",
            "get rid of the {event}, I want the rest untouched",
        ],
    },
    "tune": {
        "music": [
            "isolate the {inst} track",
            "I need the {inst} on its own",
            "could you extract the {inst} from this band recording?",
            "take away everything except the {inst}",
            "separate out the {inst}, please",
            "I'm transcribing the {inst}, can you isolate it?",
            "keep nothing but the {inst}",
            "bring the {inst} out on its own track",
        ],
        "music_marked": [
            "separate the {fam} heard in my selected region",
            "I want the {fam} from the marked passage only",
        ],
        "vocal": [
            "separate the singing from the instruments",
            "I need the vocal stem only",
            "keep the lead voice and lose the music",
            "extract the voice over this music",
            "give me the vocals without the accompaniment",
            "could you isolate whoever is singing here?",
        ],
        "vocal_inverted": [
            "cut out the vocal and leave the instrumental",
            "mute the singer, I need a karaoke track",
        ],
        "music_removed": [
            "take the music out and leave the rest untouched",
            "I want this recording without the music in the background",
        ],
        "speech": [
            "filter out the {noise} from this recording of a speaker",
            "I want the voice without the {noise}",
            "remove the {noise}, keep what the person says",
            "separate the talker from the {noise}",
            "isolate the speech, there's {noise} in the background",
            "please lose the {noise} and leave the speaker",
            "clean the {noise} off this voice recording",
        ],
        "speech_marked": [
            "keep just the speaker from the selected part",
            "extract the voice I highlighted and remove the other speaker",
        ],
        "event": [
            "extract the {event} out of the {bg}",
            "isolate the sound of the {event}",
            "I need the {event} separated from the {bg}",
            "could you get the {event} on its own?",
            "drop the {bg} and keep the {event}",
            "can I have only the {event} from this recording?",
        ],
        "event_inverted": [
            "take the {event} out and keep the rest",
        ],
    },
}


class PromptPicker:
    """Draws templates of one split without repeating one before the list is used up (per kind)."""

    def __init__(self, split: str, rng: np.random.Generator):
        self.templates = TEMPLATES[split]
        self.rng = rng
        self.queues: dict[str, list[str]] = {}

    def __call__(self, kind: str, **slots: str) -> str:
        q = self.queues.get(kind)
        if not q:
            q = list(self.templates[kind])
            self.rng.shuffle(q)
            self.queues[kind] = q
        return q.pop().format(**slots)


def check_disjoint() -> None:
    a = {t for v in TEMPLATES["heldout"].values() for t in v}
    b = {t for v in TEMPLATES["tune"].values() for t in v}
    assert not a & b, f"templates shared between heldout and tune: {a & b}"


check_disjoint()
