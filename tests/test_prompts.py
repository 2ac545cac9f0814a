"""The shared prompt parser."""

from __future__ import annotations

import time

import pytest

from serve_app.prompts import PromptIntent, parse_prompt


@pytest.mark.parametrize(
    "prompt, target, remove, inverted",
    [
        # keep / isolate
        ("isolate the speaker", "speaker", None, False),
        ("The speaker.", "speaker", None, False),
        ("extract the voice", "voice", None, False),
        ("keep the speech", "speech", None, False),
        ("keep only the speaker I marked", "speaker", None, False),
        ("I want just the piano part", "piano", None, False),
        ("Could you please isolate the drums?", "drums", None, False),
        ("pull out the lead vocals", "lead vocals", None, False),
        ("extract the singer's voice", "singer voice", None, False),
        ("isolate the woodwind that plays in the section I marked", "woodwind", None, False),
        # X from / out of / over Y
        ("extract the percussion from the mix", "percussion", "mix", False),
        ("separate the piano from the background music", "piano", "background music", False),
        ("the guitar from the background", "guitar", "background", False),
        ("pull the barking dog out of this street noise", "barking dog", "street noise", False),
        ("isolate the voice over the music", "voice", "music", False),
        # remove X and keep Y
        ("remove crowd noise and keep the speaker", "speaker", "crowd noise", False),
        ("Remove the noise, and keep the speaker!", "speaker", "noise", False),
        (
            "get rid of the chatter in the background and keep the main speaker",
            "main speaker",
            "chatter in the background",
            False,
        ),
        ("get rid of the music, I only want the voice", "voice", "music", False),
        ("drop the voice, I only need the backing track", "backing track", "voice", False),
        ("take out the rain noise so I can hear the speaker", "speaker", "rain noise", False),
        ("remove the hum and hiss behind the voice", "voice", "hum and hiss", False),
        # remove X: everything but X
        ("remove the drums", "drums", "drums", True),
        ("Get rid of the dog barking.", "dog barking", "dog barking", True),
        ("drop the bass", "bass", "bass", True),
        ("without the vocals", "vocals", "vocals", True),
        ("the song without vocals", "vocals", "vocals", True),
        ("remove the drums and keep everything else", "drums", "drums", True),
        ("I would like to remove the speaker", "speaker", "speaker", True),
    ],
)
def test_parse_prompt(prompt, target, remove, inverted):
    assert parse_prompt(prompt) == PromptIntent(target_phrase=target, remove_phrase=remove, inverted=inverted)


@pytest.mark.parametrize("prompt", ["", "   ", "?!,."])
def test_prompt_without_a_sound_is_rejected(prompt):
    with pytest.raises(ValueError):
        parse_prompt(prompt)


def test_long_adversarial_prompt_is_fast():
    # Overlapping filler words once made the matcher backtrack exponentially.
    start = time.perf_counter()
    for unit in ("can you ", "i want to ", "remove x and ", "x from y "):
        parse_prompt((unit * 100)[:500] + "xyz")
    assert time.perf_counter() - start < 0.5
