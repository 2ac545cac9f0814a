"""The prompt grammar's rules, one behaviour at a time (the tables in
tests/test_prompt_tables.py score it on hundreds of phrasings)."""

from __future__ import annotations

import time

import pytest

from serve_app.understanding.grammar import Mention, Parse, mentions, normalize, parse


@pytest.mark.parametrize(
    "prompt, target, inverted, other",
    [
        # an action and its object
        ("isolate the speaker", "speaker", False, None),
        ("The speaker.", "speaker", False, None),
        ("remove the drums", "drums", True, None),
        ("Could you please isolate the drums?", "drums", False, None),
        # negation flips the action
        ("don't keep the voice", "voice", True, None),
        ("don't mute the vocals, mute the rest", "vocals", False, None),
        ("I don't want to hear the rain", "rain", True, None),
        # "everything except X" turns the side around
        ("remove everything except the drums", "drums", False, None),
        ("keep everything but the hiss", "hiss", True, None),
        ("everything but the vocals", "vocals", True, None),
        ("mute all instruments except the piano", "piano", False, None),
        # trailing words have their say
        ("take the bass out", "bass", True, None),
        ("pull the vocals out", "vocals", False, None),
        ("I want the traffic gone", "traffic", True, None),
        ("with the vocals removed", "vocals", True, None),
        ("drums only", "drums", False, None),
        # the other side: said outright beats implied; keeping beats removing
        ("remove crowd noise and keep the speaker", "speaker", False, "crowd noise"),
        ("clean up the hum, keep the voice", "voice", False, "hum"),
        ("separate the piano from the background music", "piano", False, "background music"),
        ("separate the piano from the rest of the song", "piano", False, None),
        ("remove the hum and hiss behind the voice", "voice", False, "hum and hiss"),
        ("remove the reverb from the vocals", "reverb", True, "vocals"),
        ("take out the rain noise so I can hear the speaker", "speaker", False, "rain noise"),
        ("the speaker, not the music", "speaker", False, "music"),
        ("keep the piano instead of the drums", "piano", False, "drums"),
        # versions stand for the sound they leave out or keep
        ("make an instrumental", "vocals", True, None),
        ("remove the instrumental", "vocals", False, None),
        ("a cappella version", "vocals", False, None),
        ("drumless version", "drums", True, None),
        ("make it drum-free", "drums", True, None),
        ("a piano minus-one", "piano", True, None),
        ("noise-free speech", "speech", False, None),
        # "it" is the sound named before
        ("there's a dog barking in the background, can you remove it?", "dog barking in the background", True, None),
        # who does what: a complaint, a sound drowning another
        ("I can't hear the singer over the guitar", "singer", False, "guitar"),
        ("the music drowns out the voice", "voice", False, "music"),
        ("the hum is really distracting", "hum", True, None),
        # the user's own activity is not a sound
        ("bassless version so I can play along", "bass", True, None),
        ("I teach piano and want my students to play along. Please remove the piano.", "piano", True, None),
        ("a no-drums version for a drummer to play along to", "drums", True, None),
        # context sentences around one request; courtesies
        (
            "We recorded in a cafe and the espresso machine kept going off. Can you get rid of the espresso machine?",
            "espresso machine",
            True,
            None,
        ),
        (
            "I recorded this at a wedding and the DJ was way too loud. Can you get rid of the music?",
            "music",
            True,
            None,
        ),
        ("Hi! Can you take the vocals out of this track? Thanks so much.", "vocals", True, None),
        ("I wish the lawnmower wasn't in the background", "lawnmower", True, None),
        ("strip it down to an a cappella", "vocals", False, None),
    ],
)
def test_parse(prompt, target, inverted, other):
    got = parse(prompt)
    assert (got.target, got.inverted, got.other) == (target, inverted, other)


@pytest.mark.parametrize("prompt", ["clean this", "make it better", "remove noise", "clean this up", "", "?!,."])
def test_prompts_naming_no_particular_sound(prompt):
    assert parse(prompt).target is None


def test_mentions_keep_their_order_and_context():
    assert mentions("remove the hum from the vocals") == [
        Mention("hum", "remove"),
        Mention("vocals", "keep", implied=True),
    ]
    assert parse("get rid of the traffic, keep the good stuff") == Parse(
        "traffic", True, None, (Mention("traffic", "remove"), Mention("good stuff", "keep"))
    )


def test_normalize_expands_contractions_and_drops_symbols():
    assert normalize("Don’t keep the singer's voice!! 🎤") == "do not keep the singer voice"
    assert normalize("mute the hi hat between 0:10 and 0:20") == "mute the hi-hat"


def test_long_adversarial_prompt_is_fast():
    start = time.perf_counter()
    for unit in ("can you ", "i want to ", "remove x and ", "x from y ", "everything but ", "no "):
        parse((unit * 100)[:500] + "xyz")
    assert time.perf_counter() - start < 1.0
