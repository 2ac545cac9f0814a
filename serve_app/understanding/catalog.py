"""The sound concepts prompts are mapped to, shared by every backend.

Each concept has example phrases; a prompt's phrase is matched to the concept
whose examples it is closest to in a sentence-embedding space, so phrasings
nobody listed ("the yapping puppy", "that annoying ringtone") still land on
the right concept. The first ``OWN_NAMES`` examples of a concept are names of
the concept itself; the rest are sounds of its family ("hi-hat" is drums, but
not what "drums" means), so a reading can tell the two apart. Add a concept, or an example to one, here: nothing else
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
    _c(
        "speech",
        "voice",
        "speech",
        "speech; the speaker; a person talking; the main speaker; voice; spoken words; narrator; dialogue; "
        "a man speaking; a woman speaking; the presenter; conversation; interview; podcast host; announcer; "
        "someone speaking; a voice reading aloud; lecturer; commentator; reporter; the interviewer; the guest; "
        "a child talking; whispering; talking; spoken dialogue; the voice-over; the host; sermon; lecture; "
        "a talk; monologue; a toast; announcement; voicemail; presentation; what they are saying; the words",
    ),
    _c(
        "singing_voice",
        "voice",
        "singing voice",
        "lead vocals; the singer; singing voice; vocals; the vocal track; vocalist; choir; backing vocals; "
        "the singer's voice; a cappella singing; rapper; the vocal melody; singing; lead singer; harmonies; "
        "chorus vocals; soprano; the vocal line; rap vocals; crooning",
    ),
    _c(
        "music",
        "music",
        "music",
        "music; background music; the accompaniment; backing track; the instrumental; the band; "
        "the song without vocals; karaoke track; soundtrack; the music bed; the instruments; orchestra; "
        "film score; a radio playing music; the arrangement; the backing band",
    ),
    _c(
        "drums",
        "instrument",
        "drums",
        "drums; percussion; drum kit; the beat; kick drum; snare drum; hi-hat; cymbals; toms; drum loop; "
        "bongos; drummer; bass drum; tom-toms; tambourine; shaker; cowbell; congas; tabla; djembe; timpani; "
        "cajon; drum machine; ride cymbal; crash cymbal; rimshot; drum fill; woodblock; maracas; castanets",
    ),
    _c(
        "bass",
        "instrument",
        "bass",
        "bass; bass guitar; the bass line; double bass; upright bass; slap bass; synth bass; bassist; "
        "electric bass; fretless bass; contrabass; sub bass; walking bass",
    ),
    _c(
        "piano",
        "instrument",
        "piano",
        "piano; the piano part; grand piano; electric piano; keys; keyboard; rhodes; harpsichord; pianist; "
        "marimba; xylophone; vibraphone; upright piano; celesta; glockenspiel; clavinet; toy piano; "
        "piano chords; honky-tonk piano",
    ),
    _c(
        "guitar",
        "instrument",
        "guitar",
        "guitar; acoustic guitar; electric guitar; rhythm guitar; lead guitar; guitar solo; strumming; "
        "ukulele; banjo; guitarist; mandolin; sitar; twelve-string guitar; slide guitar; distorted guitar; "
        "guitar riff; fingerpicked guitar; power chords; clean guitar; lute",
    ),
    _c(
        "strings",
        "instrument",
        "strings",
        "strings; violin; viola; cello; string section; string quartet; fiddle; orchestral strings; harp; "
        "violins; cellos; violin solo; pizzicato strings; string ensemble; erhu; bowed strings",
    ),
    _c(
        "brass",
        "instrument",
        "brass",
        "brass; trumpet; trombone; french horn; tuba; brass section; horns; horn section; trumpets; cornet; "
        "flugelhorn; bugle; sousaphone; euphonium; muted trumpet",
    ),
    _c(
        "woodwinds",
        "instrument",
        "woodwinds",
        "woodwinds; woodwind instrument; flute; clarinet; oboe; saxophone; bassoon; recorder; piccolo; harmonica; "
        "accordion; bagpipes; sax; alto saxophone; tenor sax; pan flute; ocarina; tin whistle; english horn; "
        "melodica; penny whistle",
    ),
    _c(
        "organ_synth",
        "instrument",
        "organ or synthesizer",
        "organ; synthesizer; synth; synth pad; synth lead; hammond organ; church organ; electronic keyboard pad; "
        "pipe organ; electric organ; analog synth; arpeggiator; moog; electronic synth sounds",
    ),
    _c(
        "crowd",
        "noise",
        "crowd and babble",
        "crowd noise; babble; chatter; background chatter; people talking in the background; background conversations; "
        "audience; cafe noise; restaurant ambience; murmur of voices; cheering crowd; applause; "
        "audience applause; cheering; stadium crowd; party chatter; classroom noise; background voices; "
        "a crowd laughing; clapping audience; children playing; kids shouting; playground noise; laugh track; "
        "sitcom laughter; audience laughing",
    ),
    _c(
        "traffic",
        "noise",
        "traffic, engines and machines",
        "traffic; traffic noise; street noise; street recording; cars passing; engine noise; road noise; "
        "city ambience; construction noise; engine; "
        "lawnmower; leaf blower; vacuum cleaner; drill; chainsaw; generator; machinery; washing machine; "
        "tractor; combine harvester; farm machinery; boat engine; factory noise; power tool; blender; "
        "hair dryer; sewing machine; printer",
    ),
    # One vehicle that comes and goes is an event (what rises above the background); traffic, the
    # steady drone of many, is a background (docs/quality.md).
    _c(
        "vehicle",
        "event",
        "vehicles",
        "vehicle; a vehicle passing; a car passing by; a passing car; car; a car driving past; "
        "car engine starting; motorcycle; motorbike; helicopter; airplane; airplane overhead; jet overhead; "
        "a plane flying over; train; a train passing; train arriving; truck; bus; tram; subway train; "
        "car brakes screeching; tires screeching; a car engine revving; racing car; scooter; rocket launch; "
        "speedboat; boat; ship; ferry; van; lorry; bulldozer; excavator",
    ),
    _c(
        "wind",
        "noise",
        "wind",
        "wind; wind noise; gusts of wind; breeze; wind rumble on the microphone; windy; howling wind; "
        "wind buffeting the microphone; gale",
    ),
    _c(
        "rain",
        "noise",
        "rain and water",
        "rain; rain noise; rainfall; downpour; running water; waves; dripping water; shower; stream; river; "
        "waterfall; ocean waves; splashing; a tap running; drizzle; rain on the roof; water flowing",
    ),
    _c(
        "hum",
        "noise",
        "hum and buzz",
        "hum; mains hum; electrical buzz; 50 hz hum; 60 hz hum; ground loop hum; buzzing; buzz; electrical hum; "
        "transformer buzz; fluorescent light buzz; refrigerator hum; amplifier hum; low hum",
    ),
    _c(
        "hiss",
        "noise",
        "hiss and broadband noise",
        "hiss; static; white noise; background noise; noise; tape hiss; fan noise; air conditioner; "
        "hvac noise; microphone noise; radio static; pink noise; computer fan; room tone; electrical noise; "
        "air conditioning; noise floor",
    ),
    _c(
        "dog",
        "event",
        "dog",
        "dog barking; barking dog; dog; bark; puppy; howling; growling dog; dogs barking; puppy whining; "
        "yelping dog; wolf howling; dog whimpering",
    ),
    _c(
        "bird",
        "event",
        "birds",
        "birds; birdsong; bird chirping; tweeting; crow cawing; seagulls; songbird; cuckoo; owl hooting; "
        "woodpecker; rooster crowing; pigeons cooing; ducks quacking; parrot; sparrows; blackbird singing; "
        "robin; geese honking; hawk screech; gulls; chicken clucking; hen; chicks peeping; turkey gobbling; "
        "penguin; eagle; peacock; swan; magpie; canary; ostrich",
    ),
    _c("cat", "event", "cat", "cat; cat meowing; meow; kitten; purring cat; cats; cat hissing; kitten mewing"),
    _c(
        "animal",
        "event",
        "other animals",
        "cow mooing; horse neighing; sheep bleating; goat; pig oinking; frog croaking; crickets chirping; "
        "insects buzzing; bees; lion roaring; elephant trumpeting; monkey; donkey braying; farm animals; "
        "cicadas; wolf; bear growling; whale song; dolphins; seals; tiger growling; snake hissing; fox; "
        "rabbit; mouse squeaking; hamster; mosquito; fly; grasshopper; camel; zebra; giraffe; kangaroo; "
        "hippo; rhino; gorilla; alligator; crocodile; dinosaur roar; walrus; deer; llama; panda; koala; otter; "
        "bee buzzing; wasp; hornet; bat; fish; crab; animals; animal calls",
    ),
    # Sounds a person makes that are not words: they come and go like calls (docs/quality.md).
    _c(
        "human",
        "event",
        "laughter, crying and other human sounds",
        "laughter; crying; screaming; coughing; a person laughing; "
        "a man laughing; a woman laughing; giggling; a child giggling; sobbing; "
        "a baby crying; a crying baby; a baby babbling; a scream; a woman screaming; a shriek; "
        "a cough; sneezing; a sneeze; snoring; yawning; burping; hiccups; heavy breathing; "
        "panting; gasping; sighing; clearing the throat; groaning; moaning",
    ),
    _c(
        "alarm",
        "event",
        "alarms, bells and phones",
        "alarm; siren; phone ringing; ringtone; doorbell; bell; beeping; smoke alarm; church bells; "
        "notification sound; car horn; alarm clock; timer beeping; microwave beep; kettle whistling; whistle; "
        "bicycle bell; car alarm; fire alarm; police siren; ambulance siren; buzzer; chime; gong; "
        "telephone; clock chiming; horn honking; foghorn; air horn; ship horn; wind chimes; train whistle",
    ),
    _c(
        "knock",
        "event",
        "knocks and impacts",
        "knocking; knock on the door; door knocks; footsteps; banging; impact; hammering; door slam; "
        "clapping; tapping; something falling; typing on a keyboard; clicks; door closing; glass breaking; "
        "dishes clattering; clock ticking; keys jingling; coins dropping; chopping; thumps; snapping fingers; "
        "hand claps; mouse clicks; footsteps on gravel; hammer blows; gunshot; gunfire; explosion; a bang; "
        "balloon popping; cork popping; plate breaking; cutlery clinking; a slap; a punch; paper crumpling; "
        "camera shutter; car crash; fireworks",
    ),
)

OWN_NAMES = 4

# Kinds of thing a phrase may name, for a phrase no example is close to: an animal the examples do
# not list ("the antelope", "the platypus") is still nearer "an animal" than any other kind here. A
# kind with a concept serves it; the others are there to be nearer (a machine, an instrument, ...).
KINDS: dict[str, str | None] = {
    "an animal": "animal",
    "a wild animal": "animal",
    "a mammal": "animal",
    "an insect": "animal",
    "a reptile": "animal",
    "a sea creature": "animal",
    "a farm animal": "animal",
    "a bird": "bird",
    **dict.fromkeys(
        (
            "a machine",
            "a musical instrument",
            "a person",
            "a tool",
            "a vehicle",
            "an object",
            "a place",
            "food",
            "a word",
            "furniture",
            "an appliance",
            "a sound effect",
            "a part of a recording",
            "a body sound",
            "weather",
        )
    ),
}

# The open concept, chosen when no listed concept is close enough.
OTHER = Concept("other", "other", "other sound", ())

BY_NAME: dict[str, Concept] = {c.name: c for c in (*CONCEPTS, OTHER)}
