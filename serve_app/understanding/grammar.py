"""The rules that read a separation request: which sounds it names, and for each
whether the user wants it kept or removed.

Pure and cheap (no model), so the Ingress runs it on every submit. A prompt is
cut into clauses ("remove the hum, keep the voice" is two), and each clause is
read as *an action on a phrase*: the first action word found (``isolate``,
``get rid of``, ``mute``, ``I want``, ``no``, ``without``, ``only`` ...) gives
the side, a negation before it flips it ("don't keep the voice"), and the
words after it name the sound. Inside that phrase, "everything except X" turns
the side around, "X from Y" / "X behind Y" name the other side, trailing words
have their say ("take the bass *out*", "the vocals *removed*", "drums *only*"),
and version words ("instrumental", "drumless", "a cappella") stand for the
sound they leave out or keep. ``parse`` then picks the sound to separate: the
first sound named to keep, else the first named to remove (the target track
is then everything except it).

To teach it a new phrasing, add a word to a lexicon below; the tests in
``tests/test_prompt_tables.py`` read a development table (every phrasing right)
and held-out tables written apart from these rules.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Side = Literal["keep", "remove"]


def _flip(side: Side) -> Side:
    return "remove" if side == "keep" else "keep"


@dataclass(frozen=True)
class Mention:
    """A sound the prompt names, cleaned to its words ("cuckoo calls"), and what
    the user wants done with it. ``side`` is None for a sound named with no
    action ("there's a dog barking"): it is kept unless a later clause acts on
    it ("..., can you remove it?"). ``implied``: named only as the context of
    another sound's action ("remove the hum *behind the voice*", "X *from* Y")."""

    phrase: str
    side: Side | None
    implied: bool = False  # named as context of another sound's action ("the hum behind the voice")


@dataclass(frozen=True)
class Parse:
    """What the prompt asks for: separate ``target``; the target track is that
    sound, or everything except it when ``inverted``. ``other`` is the sound
    named on the opposite side, if any. ``target`` is None when the prompt
    names no particular sound ("clean this", "remove noise")."""

    target: str | None
    inverted: bool
    other: str | None
    mentions: tuple[Mention, ...]


# --- lexicons ------------------------------------------------------------------------------------

# Action words in base form (inflections are generated: remove, removes, removed, removing).
KEEP_ACTIONS = """
isolate extract keep solo separate split single out pull out pull pick out bring out tease out fish out draw out
dig out lift out give give me get me hand me send me show me grab save preserve retain recover retrieve capture
rip hear listen to focus on boost enhance amplify highlight emphasize emphasise accentuate bring up turn up raise
clarify want need like prefer would like wish leave only leave just play only let me hear take only get only
return output restore
"""
REMOVE_ACTIONS = """
remove eliminate delete erase drop lose mute silence cut kill strip filter suppress reduce lower attenuate
minimize minimise diminish lessen decrease dampen muffle soften tame quiet quieten hush duck ditch dump nuke scrap
scrub wipe exclude omit subtract cancel block banish purge trash axe chop zap squash hate dislike get rid of
take out take away take off turn down tone down turn off knock out edit out leave out cut out phase out tune out
shut off blot out weed out do away with cut down fade out filter out strip out denoise de-noise dehum de-hum
dereverb de-reverb declick de-click decrackle de-crackle deess de-ess
"""
# Verbs whose side depends on what follows: "get the vocals" keeps, "get the noise out"
# removes; "clean up the hum" removes the hum, "clean up the vocals" keeps the vocals.
AMBIGUOUS_ACTIONS = "get take leave clean clean up clear up tidy up fix repair"
# A sound that does something to another: "the music drowns out the voice" (remove the subject).
ANNOYING_ACTIONS = "drown out drown cover mask overpower bury overwhelm obscure interfere with"
# "de-hum", "denoise": the action names the sound it removes; its object is only where.
_DE_VERBS = {
    "denoise": "noise",
    "de-noise": "noise",
    "dehum": "hum",
    "de-hum": "hum",
    "dereverb": "reverb",
    "de-reverb": "reverb",
    "declick": "clicks",
    "de-click": "clicks",
    "decrackle": "crackle",
    "de-crackle": "crackle",
    "deess": "sibilance",
    "de-ess": "sibilance",
}
# Multi-word entries of the lexicons above (matched whole, longest first).
_MULTI = (
    """
single out|pull out|pick out|bring out|tease out|fish out|draw out|dig out|lift out|give me|get me|hand me|send me
show me|listen to|focus on|bring up|turn up|would like|leave only|leave just|play only|let me hear|take only
get only|get rid of|take out|take away|take off|turn down|tone down|turn off|knock out|edit out|leave out|cut out
phase out|tune out|shut off|blot out|weed out|do away with|cut down|fade out|filter out|strip out|clean up
clear up|tidy up|drown out|interfere with
""".replace("\n", "|")
    .strip("|")
    .split("|")
)

# Words that carry no meaning at the start of a clause: greetings, politeness, "can you", "make".
FILLERS = frozenset(
    """
hey hi hello ok okay so well please pls kindly now then also and but just really quickly simply basically can
could would will you i we us me to id im mind do does is it this that possible way there a an how help for try trying
am are be able like love need want wanna gotta going time lets let go ahead should must sure if maybe perhaps somehow
hmm um uh yes yeah first next finally actually honestly thanks thank cheers thx ty make makes making made create
produce render generate prepare build convert into turn have has had got what whats here heres favour favor
""".split()
)
_DESIRE = ("want", "need", "like", "would like", "wish", "prefer")
KEEP_MARKERS = (
    "only",
    "just",
    "nothing but",
    "solely",
    "purely",
    "exclusively",
    "all i want is",
    "all i need is",
    "all i care about is",
    "the only thing i want is",
    "the only thing i care about is",
    "what i want is",
    "what i care about is",
    "i only care about",
    "with only",
    "with just",
    "leaving only",
    "leaving just",
)
# What is left when a mix is cut down: "strip it down to an a cappella".
REDUCE_TO = ("down to", "down to just", "down to only", "to just", "to only", "to nothing but")
# A clause that only says what is not wanted turns the sound named before it into the one kept:
# "the speaker, not the music".
CONTRASTS = ("not", "but not", "and not", "rather than", "instead of")
REMOVE_MARKERS = (
    "no",
    "without",
    "minus",
    "sans",
    "less",
    "zero",
    "not",
    "with no",
    "free of",
    "removal of",
    "instead of",
    "rather than",
    "but not",
    "and not",
    "nor",
)
NEGATIONS = (
    "do not",
    "does not",
    "never",
    "not",
    "no need to",
    "stop",
    "cannot",
    "can not",
    "should not",
    "must not",
    "nor",
)
# After the phrase: "take the bass out", "the vocals removed", "the traffic gone", "drums only".
REMOVE_PARTICLES = (
    "out",
    "away",
    "off",
    "down",
    "gone",
    "removed",
    "muted",
    "deleted",
    "eliminated",
    "erased",
    "cut",
    "cut out",
    "taken out",
    "stripped",
    "stripped out",
    "filtered out",
    "suppressed",
    "silenced",
    "dropped",
    "killed",
    "reduced",
    "turned down",
    "to go",
    "has to go",
    "have to go",
    "must go",
    "needs to go",
    "need to go",
    "should go",
    "can go",
    "gotta go",
    "go away",
    "to disappear",
    "disappear",
    "is distracting",
    "are distracting",
    "is annoying",
    "are annoying",
    "is too loud",
    "are too loud",
    "is ruining it",
    "quieter",
    "softer",
    "less loud",
    "inaudible",
    "vanish",
    "to vanish",
    "go",
    "be gone",
)
KEEP_PARTICLES = (
    "only",
    "alone",
    "isolated",
    "extracted",
    "soloed",
    "in",
    "up",
    "louder",
    "clearer",
    "clear",
    "cleaner",
    "stand out",
    "stands out",
    "more audible",
    "audible",
    "by itself",
    "on its own",
    "by themselves",
    "on their own",
    "clearly",
    "better",
    "pop",
    "shine",
)
# "pull the vocals out" extracts; "take the bass out" removes.
_EXTRACT_OUT = frozenset(
    (
        "pull",
        "pick",
        "bring",
        "single",
        "tease",
        "fish",
        "draw",
        "dig",
        "lift",
        "separate",
        "split",
        "isolate",
        "extract",
        "carve",
    )
)

EXCEPT = (
    "except for",
    "except",
    "but",
    "other than",
    "apart from",
    "aside from",
    "besides",
    "save for",
    "excluding",
    "bar",
    "barring",
    "not including",
    "with the exception of",
)
# "X from Y", "X behind Y": Y is on the other side; "X without Y": Y is removed whatever X's side.
OTHER_SIDE = (
    "out of",
    "away from",
    "from",
    "behind",
    "under",
    "underneath",
    "beneath",
    "over",
    "on top of",
    "in front of",
    "against",
    "amid",
    "amidst",
    "among",
    "versus",
    "vs",
)
FOREGROUND = ("behind", "under", "underneath", "beneath")
REMOVED_SIDE = ("without", "with no", "minus", "but not", "and not", "instead of", "rather than", "not")

# The rest of the recording, not a sound: "keep the rest", "everything", "the audio".
GENERIC_WORDS = frozenset(
    """
everything anything all rest remainder else other others sounds sound things thing stuff audio recording
recordings track tracks song songs mix clip file files it this that them these those background whatever one ones
parts part whole entire good original version video take bits bit noises material content tune piece up
stem stems
""".split()
)
# Words that name no particular sound: "remove noise", "make it better", "clean up the mess".
VAGUE_WORDS = GENERIC_WORDS | frozenset(
    """
noise noises unwanted bad annoying extra clean cleaner cleanup clear clearer better nicer nice good quality make fix
improve enhance sounding louder quieter more less some any the a an of in on to for with and or me my our your
please bit little junk garbage crap artifacts artefacts issues problems mess weird strange random
""".split()
)
# What "X without Y" says of the whole mix: "a backing track without the guitar" removes the guitar.
MIX_WORDS = frozenset("music backing accompaniment instrumental band arrangement beat".split())
# Quantifiers that make "X except Y" mean "everything except Y": "all instruments except the piano".
QUANTIFIERS = frozenset(("all", "every", "everything", "any", "anything", "each", "rest", "other", "others"))
_DETERMINERS = frozenset("the a an this that these those my our your his her their its some".split())
# Dropped from the start of a phrase.
_LEADING = frozenset(
    """
the a an this that these those my our your his her their its some any all of both each every whole entire only just
also even really very please kindly sound sounds noise out up off away down me us with into onto to and
""".split()
)
# Politeness at the end of a clause, and what else is dropped from the end of a phrase.
POLITE = (
    "please",
    "thanks",
    "thank you",
    "thx",
    "for me",
    "for us",
    "if possible",
    "if you can",
    "if you could",
    "asap",
    "right now",
    "now",
    "please thanks",
    "thank you so much",
    "cheers",
)
_TRAILING = (
    *POLITE,
    "as much as possible",
    "as well",
    "too",
    "also",
    "now",
    "here",
    "there",
    "again",
    "completely",
    "entirely",
    "totally",
    "fully",
    "altogether",
    "a bit",
    "a little",
    "slightly",
    "only",
    "alone",
    "part",
    "parts",
    "stem",
    "stems",
    "version",
    "versions",
    "mix",
    "edit",
    "copy",
    "take",
    "out",
    "isolated",
    "by itself",
    "on its own",
    "by themselves",
    "on their own",
    "in it",
    "in there",
    "throughout",
    "the whole time",
    "all the way through",
    "untouched",  # "leave the rest untouched": the other side, as it was
    "unchanged",
    "intact",
    "as it is",
    "as is",
    "at all",
    "cleanly",
    "better",
    "clearly",
    "more clearly",
    "it",
    "this",
    "that",
    "bit",
    "more",
    "up",
    "away",
    "off",
    "is",
    "are",
    "be",
    "should be",
    "must be",
    "to be",
    "has to be",
    "needs to be",
    "get",
    "gets",
    "got",
    "separated",
    "split",
    "extracted",
    "soloed",
    "pulled out",
)
# Version words: the sound a version leaves out (an instrumental has no vocals) or keeps.
VERSIONS: dict[str, tuple[str, bool]] = {  # word -> (sound, True when that sound is removed)
    "instrumental": ("vocals", True),
    "karaoke": ("vocals", True),
    "minusone": ("vocals", True),
    "acappella": ("vocals", False),
    "vocals-only": ("vocals", False),
}
# Stems of "drumless", "bass-free" that name sounds (other "-less" words are not requests).
SOUND_STEMS = frozenset(
    """
drum drums bass vocal vocals voice voices noise hum hiss guitar guitars piano keys string strings horn horns brass
click clicks beat beats percussion music speech talk talking wind rain crowd reverb echo static buzz synth synths
organ sax saxophone violin cello flute singer singing lyric lyrics dialogue dialog applause bird birds dog dogs
traffic chatter breath breaths crackle pops
""".split()
)
# Sounds whose "clean up" means removal; "clean up the vocals" keeps the vocals.
NOISE_WORDS = frozenset(
    """
noise noises hum hiss buzz buzzing static crackle crackling click clicks pops popping rumble reverb echo wind rain
chatter babble traffic distortion feedback whine whistle sibilance hissing humming interference clipping
breathing breaths plosives
""".split()
)
PRONOUNS = frozenset(("it", "them", "that", "this", "those", "these", "one", "ones", "they"))
# "the hum is really distracting": a complaint about a sound asks for its removal.
_COMPLAINT = re.compile(
    r"^(?P<subject>.+?)\s+(?:is|are|was|were|sounds?|gets?|keeps? being)\s+(?:(?:\w+ly|so|too|very|quite|way|"
    r"kind of|a bit|a little|super|rather|pretty)\s+)*(?:distracting|annoying|irritating|loud|noisy|awful|"
    r"terrible|horrible|bad|unbearable|overwhelming|much|ruining|bothering|drowning|killing)\b"
)
# Infinitive markers and a clause's subject: in "so I can play along", "I want to sing", "it ruined
# my recording", what follows is an activity or a statement, not a sound.
_MODALS = frozenset(("to", "can", "could", "will", "would", "should", "must", "may", "might"))
_SUBJECTS = frozenset(("it", "they", "he", "she", "we", "i", "you"))
# A wish that a sound were not there: "I wish the lawnmower wasn't in the background".
_WISH_GONE = re.compile(
    r"^(?:i\s+)?(?:wish|hope|would like it if)\s+(?:that\s+)?(?P<subject>.+?)\s+"
    r"(?:was|were|is|are|would be|could be)\s+(?:not|gone|quieter|silent)\b"
)
# Clauses that only thank, greet or apologise: "thanks in advance", "sorry to bother you".
_COURTESIES = frozenset(
    (
        "thanks",
        "thank",
        "cheers",
        "sorry",
        "appreciate",
        "appreciated",
        "regards",
        "hi",
        "hello",
        "hey",
        "greetings",
        "apologies",
        "ty",
        "thx",
    )
)
# Purpose clauses keep what they name: "so I can hear the speaker", "so that the voice is clear".
_PURPOSE = (
    re.compile(
        r"^(?:so(?: that)?|in order to|to)\s+(?:(?:i|we|you|one|they|people)\s+)?"
        r"(?:(?:can|could|will|would|may|might)\s+)?(?:(?:better|finally|actually|really|clearly)\s+)?"
        r"(?:hear|listen to|focus on|understand)\s+(?P<phrase>.+)$"
    ),
    re.compile(
        r"^(?:so(?: that)?|to make)\s+(?:only\s+)?(?P<phrase>.+?)\s+(?:is|are|becomes?|sounds?|comes? through|"
        r"stands? out|remains?|stays?|can be heard)\b.*$"
    ),
)


# --- normalising and splitting ---------------------------------------------------------------------

_CONTRACTIONS = (
    (r"\bwon't\b", "will not"),
    (r"\bcan't\b", "cannot"),
    (r"\bshan't\b", "shall not"),
    (r"n't\b", " not"),
    (r"\bi'm\b", "i am"),
    (r"\blet's\b", "let us"),
    (r"'re\b", " are"),
    (r"'ve\b", " have"),
    (r"'ll\b", " will"),
    (r"'d\b", " would"),
    (r"\b(it|that|there|what|here|who|he|she)'s\b", r"\1 is"),
    (r"'s\b", ""),
    (r"s'(\s|$)", r"s\1"),
)
_SPELLINGS = (
    (r"\ba ?cap+el+a\b|\bacc?ap+el+a\b", "acappella"),
    (r"\bminus[ -]one\b", "minusone"),
    (r"\bvocals?[ -]only\b", "vocals-only"),
    (r"\bget(?:ting)? rid\b", "getrid"),  # kept whole through splitting: "get rid of" is one action
    (r"\bhi[ -]?hats?\b", "hi-hat"),
    (r"\bdon ?t\b", "do not"),
    (r"\bno-(?=\w)", "no "),  # "a no-vocals version"
    (r"\bhard of hearing\b", ""),  # about the user, not a sound to hear
)
_UNIT = r"\s*(?:s|sec|secs|seconds?|mins?|minutes?|ms)?\b"
_TIME = re.compile(
    r"\b(?:(?:between|from|at|after|before|around|until|till|during|for|in)\s+(?:the\s+)?"
    r"(?:(?:first|last|final|opening|closing)\s+)?)?\d[\d:.]*"
    + _UNIT
    + r"(?:\s*(?:and|to|-|until|till)\s*\d[\d:.]*"
    + _UNIT
    + ")?"
)


def normalize(text: str) -> str:
    """Lower case, contractions expanded, clause punctuation as commas, nothing but words left."""
    text = text.lower().replace("’", "'").replace("‘", "'").replace("`", "'")
    for pattern, repl in _CONTRACTIONS:
        text = re.sub(pattern, repl, text)
    for pattern, repl in _SPELLINGS:
        text = re.sub(pattern, repl, text)
    text = _TIME.sub(" ", text)
    text = text.replace("&", " and ").replace("+", " and ").replace("/", " or ")
    text = re.sub(r"[.;:!?()\[\]{}\"|…]+", ",", text)
    text = re.sub(r"[^\w,\s'-]+", " ", text)  # symbols and emoji go; letters of any script stay
    text = re.sub(r"(?<!\w)['-]+|['-]+(?!\w)", " ", text)
    return re.sub(r"\s+", " ", text).strip(" ,")


def _forms(base: str) -> set[str]:
    """A verb phrase and its inflections (of the first word): remove, removes, removed, removing."""
    head, _, rest = base.partition(" ")
    tail = f" {rest}" if rest else ""
    irregular = {
        "take": ("took", "taken"),
        "get": ("got", "gotten"),
        "lose": ("lost",),
        "keep": ("kept",),
        "leave": ("left",),
        "bring": ("brought",),
        "give": ("gave", "given"),
        "hear": ("heard",),
        "draw": ("drew", "drawn"),
        "dig": ("dug",),
        "send": ("sent",),
        "show": ("shown",),
        "bury": ("buried",),
    }
    stem = head[:-1] if head.endswith("e") and not head.endswith("ee") else head
    doubled = head + head[-1] if re.fullmatch(r"[^aeiou]*[aeiou][bdgklmnprtz]", head) else stem
    forms = {
        head,
        head + "s",
        head + "es",
        stem + "ed",
        stem + "ing",
        doubled + "ed",
        doubled + "ing",
        *irregular.get(head, ()),
    }
    if head.endswith("y") and head[-2:-1] not in "aeiou":
        forms |= {head[:-1] + "ies", head[:-1] + "ied"}
    return {f + tail for f in forms}


def _entries(text: str) -> list[str]:
    """A lexicon's entries: its multi-word phrases kept whole, the other words one by one."""
    words, entries, i = text.split(), [], 0
    multi = sorted((p.split() for p in _MULTI), key=len, reverse=True)
    while i < len(words):
        n = next((len(p) for p in multi if words[i : i + len(p)] == p), 1)
        entries.append(" ".join(words[i : i + n]))
        i += n
    return entries


def _lexicon(text: str) -> dict[tuple[str, ...], str]:
    """Every form of every entry, as word tuples, mapped to the entry's base form."""
    return {tuple(form.split()): entry for entry in _entries(text) for form in _forms(entry)}


def _phrases(entries: Iterable[str]) -> list[tuple[str, ...]]:
    return sorted((tuple(e.split()) for e in entries), key=len, reverse=True)


_KEEP = _lexicon(KEEP_ACTIONS)
_REMOVE = {**_lexicon(REMOVE_ACTIONS), ("getrid", "of"): "get rid of", ("getrid",): "get rid of"}
# Their past forms ("got a party tonight", "the left channel") tell a story rather than ask.
_AMBIGUOUS = {
    k: v for k, v in _lexicon(AMBIGUOUS_ACTIONS).items() if k[0] not in ("got", "gotten", "took", "taken", "left")
}
_ANNOYING = _lexicon(ANNOYING_ACTIONS)
_ACTIONS: dict[tuple[str, ...], str] = {**_ANNOYING, **_AMBIGUOUS, **_KEEP, **_REMOVE}
_LONGEST = max(len(k) for k in _ACTIONS)
_REMOVE_BASES = frozenset(_REMOVE.values())
_ANNOYING_BASES = frozenset(_ANNOYING.values())
_AMBIGUOUS_BASES = frozenset(_AMBIGUOUS.values())
_CLEAN_ACTIONS = frozenset(("clean", "clean up", "clear up", "tidy up", "fix", "repair"))
_HEARING = frozenset(("hear", "listen to", "let me hear"))
_COMPLAINTS = frozenset(("cannot", "barely", "hardly", "struggle", "difficult", "hard"))
_P_KEEP_MARKERS = _phrases(KEEP_MARKERS)
_P_REMOVE_MARKERS = _phrases(REMOVE_MARKERS)
_P_NEGATIONS = _phrases(NEGATIONS)
_P_REMOVE_PARTICLES = _phrases(REMOVE_PARTICLES)
_P_KEEP_PARTICLES = _phrases(KEEP_PARTICLES)
_P_EXCEPT = _phrases(EXCEPT)
_P_OTHER_SIDE = _phrases(OTHER_SIDE + REMOVED_SIDE)
_P_TRAILING = _phrases(_TRAILING)
_P_POLITE = _phrases(POLITE)
_P_CONTRASTS = _phrases(CONTRASTS)
_P_REDUCE_TO = _phrases(REDUCE_TO)
# Verbs that take "X to do Y" / "X done": "I want my students to play along".
_CAUSATIVE = frozenset((*_DESIRE, "get", "have", "make"))
_PEOPLE = frozenset(
    """
students kids children people everyone everybody anyone someone him her them us me you listeners viewers class
friends family son daughter wife husband mom mum dad parents audience fans clients customers
""".split()
)
_ING_NOUNS = frozenset("everything anything nothing something thing string strings ring king wing swing sting".split())

# Clauses also end before a purpose ("so I can hear ...", "by removing ..."), but not
# after a desire ("I don't want to hear the rain" is one clause).
_PURPOSE_START = re.compile(
    r"(?<!want)(?<!need)(?<!like)(?<!wish)\s+(?=so\s+(?:that\s+)?(?:i|we|you|they|it|he|she|people|one|the|my|only)\b"
    r"|in order to\s|to\s+(?:hear|listen|focus|understand)\b|by\s+\w+ing\b)"
)
_CONJUNCTIONS = frozenset(("and", "but", "then", "while", "plus", "yet", "or"))


def split_clauses(text: str) -> list[list[str]]:
    """Clauses as word lists: at commas, before purposes, and at a conjunction that is
    followed by an action ("remove X and keep Y", but not "the bass and drums")."""
    clauses: list[list[str]] = []
    for part in text.split(","):
        for piece in _PURPOSE_START.split(part.strip()):
            clauses.extend(_split_at_conjunctions(piece.split()))
    return [c for c in clauses if c]


def _split_at_conjunctions(words: list[str]) -> list[list[str]]:
    out, start = [], 0
    for i, word in enumerate(words):
        if word not in _CONJUNCTIONS or i <= start:
            continue
        j = i + 1
        while j < len(words) and words[j] in ("then", "also", "just", "please", "i", "we", "you", "to"):
            j += 1
        if j < len(words) and (
            _action_at(words, j)
            or _match(words, j, _P_NEGATIONS)
            or _match(words, j, _P_REMOVE_MARKERS)
            or _match(words, j, _P_KEEP_MARKERS)
        ):
            out.append(words[start:i])
            start = i + 1
    out.append(words[start:])
    return [_drop_leading_conjunction(c) for c in out]


def _drop_leading_conjunction(words: list[str]) -> list[str]:
    return words[1:] if words[:1] and words[0] in _CONJUNCTIONS else words


# --- reading one clause ---------------------------------------------------------------------------


def _match(words: list[str], i: int, phrases: list[tuple[str, ...]]) -> int:
    """Length of the longest of ``phrases`` starting at ``words[i]``, else 0."""
    return next((len(p) for p in phrases if tuple(words[i : i + len(p)]) == p), 0)


def _ends_with(words: list[str], phrases: list[tuple[str, ...]]) -> int:
    return next((len(p) for p in phrases if len(p) <= len(words) and tuple(words[-len(p) :]) == p), 0)


def _action_at(words: list[str], i: int) -> tuple[str, int] | None:
    """(base form, length) of the action word(s) at ``words[i]``."""
    if i > 0 and words[i - 1] in _DETERMINERS:
        return None  # "the muted trumpet", "a clean guitar": an adjective, not an action
    for n in range(min(_LONGEST, len(words) - i), 0, -1):
        base = _ACTIONS.get(tuple(words[i : i + n]))
        if base is not None:
            return base, n
    return None


def _is_negated(prefix: list[str]) -> bool:
    return any(_match(prefix, i, _P_NEGATIONS) for i in range(len(prefix)))


def _negate(side: Side, prefix: list[str]) -> Side:
    return _flip(side) if _is_negated(prefix) else side


def _only_fillers(words: list[str]) -> bool:
    return all(w in FILLERS or w in ("with", "leaving") for w in words)


def _strip_fillers(words: list[str]) -> list[str]:
    i = 0
    while i < len(words) and words[i] in FILLERS and not _match(words, i, _P_KEEP_MARKERS):
        i += 1
    return words[i:]


def read_clause(words: list[str]) -> list[Mention]:
    """The sounds one clause names, each with its side."""
    text = " ".join(words)
    if words[0] in _COURTESIES and not any(_action_at(words, i) for i in range(len(words))):
        return []
    for purpose in _PURPOSE:
        if m := purpose.match(text):
            return _object(m["phrase"].split(), "keep")
    if m := _WISH_GONE.match(text):
        return _mention(m["subject"].split(), "remove")  # "I wish the lawnmower wasn't there"
    if m := _COMPLAINT.match(text):
        # Context, not a request: an explicit one elsewhere wins. The subject is its last phrase
        # ("I recorded this at a wedding and the DJ was too loud": the DJ).
        subject = re.split(r"\s+(?:and|but|so|because|when|while)\s+", m["subject"])[-1]
        return [Mention(p.phrase, "remove", implied=True) for p in _mention(_strip_fillers(subject.split()), None)]
    for i in range(len(words)):
        # Markers that act alone: "no wind", "only the drums", "nothing but the kick".
        marked: tuple[tuple[list[tuple[str, ...]], Side], ...] = (
            (_P_REMOVE_MARKERS, "remove"),
            (_P_KEEP_MARKERS, "keep"),
        )
        for markers, side in marked:
            n = _match(words, i, markers)
            if n and _only_fillers(words[:i]) and words[i + n :] and not _action_at(words, i + n):
                return _object(words[i + n :], _negate(side, words[:i]))
        found = _action_at(words, i)
        if found is None:
            continue
        base, n = found
        prefix, rest = words[:i], words[i + n :]
        if base in _DESIRE and rest[:1] == ["to"]:
            continue  # "i want to remove ...": the action comes later
        if base == "keep" and rest[:1] and rest[0].endswith("ing") and rest[0] not in _ING_NOUNS:
            continue  # "the machine kept going off": going on, not keeping
        subject = _clean(_strip_fillers(prefix))
        if base in _ANNOYING_BASES and subject:
            # "the music drowns out the voice": the subject goes, the object stays.
            return [*_mention(_strip_fillers(prefix), "remove"), *_object(rest, "keep")]
        side = _side_of(base, prefix, rest)
        if base in _DE_VERBS:
            return [Mention(_DE_VERBS[base], side)]  # "de-hum the interview": the hum goes
        if not _clean(rest) and subject and base not in _AMBIGUOUS_BASES:
            # The action last: a predicate about what came before ("the vocals removed", "the piano solo").
            return _object(_strip_fillers(prefix), side)
        return _object(rest, side, action=base)
    # No action: a bare phrase ("the drums", "drums only", "there's a dog barking") names a
    # sound, unless it follows "to" or "can" ("so I can play along"): the user's own activity.
    rest = _strip_fillers(words)
    skipped = words[: len(words) - len(rest)]
    after_modal = bool(skipped) and skipped[-1] in _MODALS
    statement = len(skipped) == 1 and skipped[0] in _SUBJECTS
    if rest and rest[0] not in _DETERMINERS and (after_modal or statement):
        return []
    return _object(rest, None)


def _side_of(base: str, prefix: list[str], rest: list[str]) -> Side:
    """The side an action gives its object, before the object's own words have their say."""
    side: Side
    if base in _REMOVE_BASES or base in _ANNOYING_BASES:
        side = "remove"
    elif base in ("get", "take", "leave"):
        side = _out_side(base, rest)
    elif base in _CLEAN_ACTIONS:
        side = "remove" if any(w in NOISE_WORDS for w in rest) else "keep"
    else:
        side = "keep"
    if base in _HEARING and any(w in _COMPLAINTS for w in prefix):
        return "keep"  # "I can't hear the voice over the music": a complaint, not a refusal
    return _negate(side, prefix)


def _out_side(base: str, rest: list[str]) -> Side:
    """ "get the vocals" keeps; "get the noise out (of this)", "get it gone" remove; "get the dog
    out of the street noise" extracts the dog; "leave out the bass" removes; "leave the drums" keeps."""
    if not {"out", "away", "off"} & set(rest) and not _ends_with(rest, _P_REMOVE_PARTICLES):
        return "keep"
    if base == "leave" or "out" not in rest:
        return "remove"
    after = rest[rest.index("out") + 1 :]
    if after[:1] == ["of"] and not _is_the_recording(after[1:]):
        return "keep"  # "get the rooster out of the street noise"
    return "remove"  # "take the hiss out of this interview"


def _object(words: list[str], side: Side | None, action: str | None = None) -> list[Mention]:
    """The mentions an action's object makes: its own words may turn the side around
    ("everything except X", "X removed") or name the other side ("X from Y")."""
    words = list(words)
    lead = 1 if words[:1] in (["a"], ["an"], ["the"]) else 0
    if words[lead : lead + 1] in (["no"], ["zero"], ["without"]):  # "I want no music", "a no-drums version"
        return _object(words[lead + 1 :], _flip(side or "keep"))
    for i in range(len(words)):
        # "strip it down to the vocals", "cut it down to just the drums": what is left is kept.
        if n := _match(words, i, _P_REDUCE_TO):
            return _object(words[i + n :], "keep")
    side = _particles(words, side, action)
    if action in _CAUSATIVE and "to" in words[1:]:
        agent = words[: words.index("to")]
        if set(agent) & _PEOPLE:
            return []  # "I want my students to play along": their doing, not a sound
        words = agent  # "a bass-less version to practise over": the purpose is not the sound
    if action in _CAUSATIVE and words and words[-1].endswith("ed"):
        return []  # "it will get it flagged": something done to it, not a sound
    for i in range(1, len(words)):
        # "everything except X": the side turns around, X is the sound.
        if n := _match(words, i, _P_EXCEPT):
            head, rest = words[:i], words[i + n :]
            if rest and (head[0] in QUANTIFIERS or _is_generic(_clean(head))):
                return _object(rest, _flip(side or "keep"))
    for i in range(1, len(words)):
        # "X from Y", "X behind Y", "X without Y": Y is on the other side (when it names a sound).
        n = _match(words, i, _P_OTHER_SIDE)
        if not n or i + n >= len(words):
            continue
        head, rest, joined = words[:i], words[i + n :], " ".join(words[i : i + n])
        removed = joined in REMOVED_SIDE
        if removed and (_is_generic(_clean(head)) or set(_clean(head).split()) & MIX_WORDS):
            return _object(rest, _flip(side or "keep"))  # "the song without vocals"
        other = _clean(rest)
        there: Side = "remove" if removed else _flip(side or "keep")
        # "remove the hum behind the voice": the voice is the foreground, as good as asked for;
        # "remove the hum from the vocals" only says where the hum is.
        foreground = there == "keep" and joined in FOREGROUND
        tail = [Mention(other, there, implied=not foreground)]
        return [*_mention(head, side), *(tail if other and not _is_generic(other) else [])]
    if len(words) > 1 and words[-1] == "free":
        return _mention(words[:-1], _flip(side or "keep"))  # "noise free"
    if words[:2] == ["free", "of"]:
        return _mention(words[2:], _flip(side or "keep"))
    return _mention(words, side)


def _particles(words: list[str], side: Side | None, action: str | None) -> Side | None:
    """Strip trailing particles from ``words`` (in place) and return the side they leave.

    "want the traffic gone" removes; "cut the guitar out" stays a removal; "pull the
    vocals out" stays an extraction; "drums only" keeps."""
    verb = (action or "").split(" ")[0]
    while words:
        if n := _ends_with(words, _P_POLITE):
            del words[-n:]
            continue
        if n := _ends_with(words, _P_REMOVE_PARTICLES):
            tail = words[-n:]
            del words[-n:]
            if tail == ["out"] and verb in _EXTRACT_OUT:
                continue
            if action is None:
                side = "remove"
            elif action not in _REMOVE_BASES and action not in ("get", "take", "leave"):
                side = _flip(side) if side else "remove"  # "I want the hum gone"
            continue
        if n := _ends_with(words, _P_KEEP_PARTICLES):
            if words[-n:] in (["in"], ["up"]) and action not in ("keep", "leave", "turn up", "bring up"):
                return side
            del words[-n:]
            side = side or "keep"
            continue
        return side
    return side


def _mention(words: list[str], side: Side | None) -> list[Mention]:
    """The mention a phrase makes; version words stand for the sound they leave out or keep."""
    phrase = _clean(words)
    if not phrase:
        return []
    here: Side = side or "keep"
    version = _version(phrase)
    if version is None:
        return [Mention(phrase, side)]
    sound, removed, rest = version
    named = Mention(sound, _flip(here) if removed else here)
    rest = _clean(rest)
    if not rest or _is_generic(rest.split()[0]) or set(rest.split()) & MIX_WORDS:
        return [named]  # "a drumless mix for practice", "a guitarless backing track": the version is the request
    if sound in rest:
        return [Mention(rest, side)]  # "split the vocals and the instrumental"
    # "noise-free speech": the version word qualifies another sound, which keeps the side.
    return [Mention(rest, side), named]


def _version(phrase: str) -> tuple[str, bool, str] | None:
    """(sound, whether the version removes it, the phrase's other words) for version words:
    "instrumental" -> vocals removed; "drumless" -> drums removed; "a piano minus-one" -> piano removed."""
    words = phrase.split()
    for k, word in enumerate(words):
        others = " ".join(words[:k] + words[k + 1 :])
        if word in VERSIONS:
            sound, removed = VERSIONS[word]
            if word == "minusone" and k > 0:  # "a piano minus-one"
                return " ".join(words[:k]), True, " ".join(words[k + 1 :])
            after = words[k + 1 :]
            while after and _is_generic(after[0]):
                after = after[1:]
            if word == "minusone" and after[:1] in (["for"], ["of"], ["without"]):
                return _clean(after[1:]), True, ""  # "a minus-one (version) for trumpet"
            return sound, removed, others
        stem = re.fullmatch(r"(.+?)-?(?:less|free)", word)
        if stem and stem[1] in SOUND_STEMS:
            s = stem[1]
            return (
                s if s.endswith("s") or s in ("bass", "music", "speech", "noise", "hum", "hiss") else s + "s",
                True,
                others,
            )
    return None


# --- cleaning a phrase ------------------------------------------------------------------------------

_RELATIVE = re.compile(r"(?<=\w)\s+(?:that|which|who|whom|where|when|while|i|we|you)\s+.*$")
# Who or what the result is for: "(a drumless mix) for a drummer to play along to".
_FOR_WHOM = re.compile(
    r"(?<=\w)\s+for\s+(?:a|an|my|our|your|me|us|him|her|them|practice|practising|"
    r"practicing|rehearsal|karaoke|a remix|remixing|sampling)\b.*$"
)
_CONTEXT = re.compile(
    r"(?<=\w)\s+(?:in|on|from|of|throughout|across|during|at|for)\s+(?:the|this|that|my|our|your|a)?\s*"
    r"(?:[\w-]+\s+){0,2}?"
    r"(?:clip|recording|audio|file|track|song|video|mix|sample|tape|podcast|take|stem|section|piece|intro|outro|"
    r"chorus|verse|bridge|beginning|start|end|middle|first half|second half|it|this|there|here|me|us)\b.*$"
)


# Kinds of recording that name no sound: "take the hiss out of this interview" removes the hiss.
RECORDING_WORDS = frozenset(
    """
recording clip video audio file track song mix tape podcast interview lecture memo meeting call voicemail
conversation broadcast episode livestream footage film movie vlog session message sermon presentation webinar
demo rehearsal show concert gig performance
""".split()
)


def _is_the_recording(words: list[str]) -> bool:
    """ "this", "the rest", "this interview", "the meeting recording": the recording itself (or
    the rest of it), not a sound: generic words, or a phrase whose head is a kind of recording."""
    phrase = _clean(words)
    return _is_generic(phrase) or phrase.split()[-1] in RECORDING_WORDS  # an empty phrase is generic


def _clean(words: list[str] | str) -> str:
    """The words that name the sound: no articles, no politeness, no "in this clip"."""
    text = " ".join(words) if isinstance(words, list) else words
    text = _FOR_WHOM.sub("", _RELATIVE.sub("", _CONTEXT.sub("", text))).strip()
    tokens = text.split()
    while True:
        before = len(tokens)
        while tokens and tokens[0] in _LEADING:
            tokens = tokens[1:]
        n = _ends_with(tokens, _P_TRAILING)
        if n and len(tokens) > n:
            tokens = tokens[:-n]
        while tokens and tokens[-1] in ("and", "or", "but", "with", "of", "to", "the", "a", "so", "is", "are"):
            tokens = tokens[:-1]
        if len(tokens) == before:
            return " ".join(tokens)


def is_vague(phrase: str) -> bool:
    """True when no word of ``phrase`` names a particular sound ("noise", "the bad stuff")."""
    return all(w in VAGUE_WORDS for w in phrase.replace("-", " ").split())


def _is_generic(phrase: str) -> bool:
    """True for "the rest", "everything else", "this recording": the other side, not a sound."""
    return all(
        w in GENERIC_WORDS or w in _DETERMINERS or w in ("of", "in", "around") for w in phrase.replace("-", " ").split()
    )


# --- the whole prompt -------------------------------------------------------------------------------


def mentions(text: str) -> list[Mention]:
    """Every sound the prompt names, in order, with its side; "it" bound to the sound before it."""
    out: list[Mention] = []
    for clause in split_clauses(normalize(text)):
        if _match(clause, 0, _P_CONTRASTS) and out and out[-1].side is None:
            out[-1] = Mention(out[-1].phrase, "keep")  # "the speaker, not the music"
        for mention in read_clause(clause):
            if mention.phrase in PRONOUNS:
                named = next((m for m in reversed(out) if not _is_generic(m.phrase)), None)
                if named is None:
                    continue
                out.remove(named)
                mention = Mention(named.phrase, mention.side or named.side)
            out.append(mention)
    return out


def parse(text: str) -> Parse:
    """Read ``text``: the first sound asked to be kept, else the first asked to be removed. A sound
    named with no action counts as kept ("the drums"), but only when nothing is asked for."""
    found = tuple(mentions(text))
    specific = [m for m in found if not _is_generic(m.phrase) and not is_vague(m.phrase)]
    # Asked for beats implied by context beats merely named ("It's an old cassette."); then
    # keeping beats removing ("remove X, keep Y").
    ranked = sorted(specific, key=lambda m: (m.side is None, m.implied, m.side == "remove"))
    if not ranked:
        return Parse(None, any(m.side == "remove" for m in found), None, found)
    target = ranked[0]
    side = target.side or "keep"
    other = next((m.phrase for m in ranked if (m.side or "keep") != side), None)
    return Parse(target.phrase, side == "remove", other, found)
