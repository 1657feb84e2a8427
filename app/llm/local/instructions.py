"""Custom instructions, read without a model.

The local engine understands exclusions ("no more videos about golf", "nothing
about crypto", "no X"), level ("I'm a beginner", "advanced only"), clip length
("short clips", "longer clips"), how long a video may be ("nothing longer than 20
minutes", "only videos over 10 minutes") and preferences ("prefer talks over podcasts").
Every clause it cannot act on is reported back, so the run log can say what was
applied and what was not.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from app.text import STOP_WORDS, holds_terms, stem, terms, words

Level = Literal["beginner", "advanced"]
ClipLength = Literal["short", "long"]

_CLAUSES = re.compile(r"[;!?\n]+|\.+(?!\d)|\s[—–-]\s|,\s*(?:but|and|also)\s+|\s+but\s+", re.IGNORECASE)  # "1.5" is one
_MEDIA = r"(?:videos?|clips?|content|stuff|recommendations?|things|talks?|posts?)"
_EXCLUSION = re.compile(
    rf"""(?:
        \b(?:no|nothing|none|zero)\s+(?:more\s+|further\s+)?(?:{_MEDIA}\s+)?(?:about|on|of|regarding|related\s+to|with)?\s*
      | \b(?:stop|quit)\s+(?:showing|recommending|suggesting|sending)\s+(?:me\s+)?(?:any\s+)?(?:more\s+)?
            (?:{_MEDIA}\s+)?(?:about|on|of)?\s*
      | \b(?:don'?t|do\s+not|never)\s+(?:show|recommend|suggest|send|give|want)\s+(?:me\s+)?(?:any\s+)?(?:more\s+)?
            (?:{_MEDIA}\s+)?(?:about|on|of)?\s*
      | \b(?:avoid|skip|exclude|without|block)\s+(?:any\s+)?(?:{_MEDIA}\s+)?(?:about|on|of)?\s*
      | \bnot\s+interested\s+in\s+(?:{_MEDIA}\s+(?:about|on|of)\s+)?
      | \b(?:a\s+)?break\s+from\s+
      | \benough\s+(?:of\s+|with\s+)?(?!(?:of|with)\b)
      | \b(?:less|fewer)\s+(?:{_MEDIA}\s+(?:about|on|of)\s+)?
      | \b(?:i'?m|i\s+am)\s+(?:done|tired|sick|bored)\s+(?:with|of)\s+
    )(?P<topic>[^,]+)""",
    re.IGNORECASE | re.VERBOSE,
)
# Words that end a topic phrase: "golf for a while", "crypto anymore", "politics please", "poker this month".
_TOPIC_TAIL = re.compile(
    rf"\s+(?:{_MEDIA}|for\s+(?:a\s+while|now|the\s+moment|some\s+time|a\s+bit|a\s+few\s+\w+)|lately|any\s*more|please|right\s+now|these\s+days|"
    r"(?:this|next)\s+(?:week|weekend|month|year|season)|today|tonight|"
    r"at\s+the\s+moment|at\s+all|again|thanks?|thank\s+you|because\b.*|since\b.*|as\b.*|so\b.*|i'?m\b.*)$",
    re.IGNORECASE,
)
# "give golf a rest", "give the crypto stuff a break": the topic sits inside the phrase.
_REST = re.compile(
    r"\b(?:give|giving)\s+(?P<topic>.+?)\s+a\s+(?:rest|break|pause|breather)\b|"
    r"\bhad\s+(?:my|enough)\s+(?:fill\s+)?of\s+(?P<had>[^,]+)",
    re.IGNORECASE,
)
_TOPIC_LEAD = re.compile(rf"^(?:the|any|anything|everything|more|{_MEDIA}|about|on|of)\s+", re.IGNORECASE)
# How long a video may be: "nothing longer than 20 minutes", "no videos over an hour", "only videos under 15 min",
# "nothing shorter than 5 minutes", "at least 10 minutes". A bound is an upper one when it caps the length
# ("under", "at most") or rules out what runs past it ("no ... over"), a lower one the other way round.
_AMOUNT = r"(?P<amount>(?:\d+(?:\.\d+)?|an?|one|two|three)(?P<half>\s+and\s+a\s+half)?|half\s+an?)"
_UNIT = r"(?P<unit>h(?:ours?|rs?)?|min(?:ute)?s?|m)\b"
_CAP = r"no\s+(?:more|longer)\s+than|shorter\s+than|less\s+than|under|below|within|at\s+most|up\s+to|max(?:imum)?"
_PAST = r"longer\s+than|more\s+than|over|above|past|beyond|at\s+least|min(?:imum)?"
_DURATION = re.compile(
    rf"\b(?P<bound>{_CAP}|{_PAST})\s+{_AMOUNT}[\s-]*{_UNIT}(?P<after>\s+and\s+a\s+half)?(?:\s+long)?", re.IGNORECASE
)
_NEGATED = re.compile(r"\b(?:no|nothing|none|avoid|skip|don'?t|do\s+not|never|not)\b", re.IGNORECASE)
_TIME_UNIT = re.compile(r"\b(?:minutes?|mins?|hours?|hrs?|seconds?|secs?)\b", re.IGNORECASE)
_NUMBER_WORDS = {"a": 1.0, "an": 1.0, "one": 1.0, "two": 2.0, "three": 3.0}
_NOT_BEGINNER = re.compile(
    r"\b(?:not\s+(?:a\s+)?(?:beginner|newbie|novice)|no\s+(?:basics|beginner)|skip\s+the\s+basics)"
)
_ADVANCED = re.compile(r"\b(?:advanced|expert|in[- ]depth|deep[- ]dives?|experienced|technical\s+depth|graduate)")
_BEGINNER = re.compile(
    r"\b(?:beginners?|beginner[- ]friendly|newbie|novice|new\s+to|just\s+starting|starting\s+out|gentle|introduct\w*|"
    r"intro\b|basics|fundamentals|101|eli5|easy|simple|not\s+too\s+technical)"
)
_SHORT = re.compile(
    r"\b(?:short(?:er)?|brief|quick|bite[- ]sized)\s+(?:clips?|videos?|segments?|ones)"
    r"|\bkeep\s+(?:it|them|clips)\s+short"
)
_LONG = re.compile(r"\b(?:long(?:er)?|full|extended)\s+(?:clips?|segments?|ones)|\bkeep\s+(?:it|them|clips)\s+long")
_PREFER = re.compile(
    r"\b(?:prefer|favou?r|more)\s+(?P<liked>[^,]+?)(?:\s+(?:over|to|than|instead\s+of)\s+(?P<other>[^,]+))?$"
)
# Clauses that only explain ("I'm burned out on it") carry no request of their own.
_REQUEST = re.compile(
    r"\b(?:no|nothing|none|stop|don'?t|do\s+not|never|avoid|skip|exclude|without|prefer|more|less|only|please|want|"
    r"show|give|focus|keep|make|beginner|advanced|short|long|break)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class InstructionPlan:
    """What the local engine will do with a user's custom instructions."""

    exclusions: tuple[str, ...] = ()
    level: Level | None = None
    clip_length: ClipLength | None = None
    max_duration_s: float | None = None  # videos longer than this are left out
    min_duration_s: float | None = None  # ... and shorter than this
    preferred: tuple[str, ...] = ()
    avoided: tuple[str, ...] = ()
    applied: list[str] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)

    def exclusion_terms(self) -> list[list[str]]:
        """Each exclusion as the stemmed terms a text must all contain to be about it."""
        return [t for t in (terms(phrase) for phrase in self.exclusions) if t]

    def excludes(self, text: str, tokens: set[str] | None = None) -> str | None:
        """The exclusion phrase a text falls under, or None: the text holds its terms, an initialism ("GIS") also
        when spelled out ("geographic information systems"). `tokens` are the text's terms, when known."""
        present = set(terms(text)) if tokens is None else tokens
        for phrase, needed in zip(self.exclusions, self.exclusion_terms(), strict=False):
            if needed and holds_terms(text, needed, present):
                return phrase
        return None

    def out_of_bounds(self, duration_s: float | None) -> str | None:
        """ "longer than 20 minutes" or "shorter than 10 minutes" when the instructions leave out a video of this
        length, else None (also when its length is unknown)."""
        if duration_s is None:
            return None
        if self.max_duration_s is not None and duration_s > self.max_duration_s:
            return f"longer than {spoken_duration(self.max_duration_s)}"
        if self.min_duration_s is not None and duration_s < self.min_duration_s:
            return f"shorter than {spoken_duration(self.min_duration_s)}"
        return None

    def abbreviations(self, texts: Sequence[str]) -> dict[str, str]:
        """The abbreviations the texts use for an excluded topic (each with its exclusion phrase): the initials of
        the topic's words as the texts say them, with up to two words before ("global positioning system" ->
        "gps", "ps"). Talks and titles name a topic in full once and abbreviate it from then on; `abbreviated`
        finds them in a text, in singular and plural ("gpss")."""
        found: dict[str, str] = {}
        for phrase, needed in zip(self.exclusions, self.exclusion_terms(), strict=False):
            for text in texts:
                spoken = [w for w in words(text) if w not in STOP_WORDS]
                stems = [stem(w) for w in spoken]
                for i in range(len(stems) - len(needed) + 1):
                    if stems[i : i + len(needed)] != needed:
                        continue
                    for lead in range(0, 3):
                        if i - lead < 0:
                            break
                        initials = "".join(w[0] for w in spoken[i - lead : i + len(needed)])
                        if len(initials) >= 2:
                            found.setdefault(initials, phrase)
        return found


def abbreviated(said: Sequence[str], abbreviations: Mapping[str, str]) -> str | None:
    """The excluded topic the first abbreviation among the words stands for (singular or plural), or None."""
    for word in said:
        phrase = abbreviations.get(word) or (abbreviations.get(word[:-1]) if word.endswith("s") else None)
        if phrase:
            return phrase
    return None


@lru_cache(maxsize=256)
def parse_instructions(text: str) -> InstructionPlan:
    """Split instructions into clauses and read each one; nothing here ever raises."""
    exclusions: list[str] = []
    preferred: list[str] = []
    avoided: list[str] = []
    level: Level | None = None
    clip_length: ClipLength | None = None
    bounds: dict[str, float] = {}
    applied: list[str] = []
    unsupported: list[str] = []
    for raw in _CLAUSES.split(text or ""):
        clause = " ".join(raw.split()).strip(" ,")
        if not clause:
            continue
        understood = False
        for side, seconds in _durations(clause):
            tighter = min if side == "max" else max  # two caps: the lower one holds
            bounds[side] = tighter(bounds.get(side, seconds), seconds)
            understood = True
        clause = " ".join(_DURATION.sub(" ", clause).split()).strip(" ,")  # "nothing longer than ..." names no topic
        lowered = clause.lower()
        leveled = bool(_NOT_BEGINNER.search(lowered) or _ADVANCED.search(lowered) or _BEGINNER.search(lowered))
        found = [m.group("topic") for m in _EXCLUSION.finditer(_NOT_BEGINNER.sub(" ", clause))]
        found += [m.group("topic") or m.group("had") for m in _REST.finditer(clause)]
        for raw_topic in found:
            topic = _topic(raw_topic)
            if not topic or topic.casefold() in {t.casefold() for t in [*exclusions, *avoided]}:
                continue
            if re.fullmatch(_MEDIA, topic, re.IGNORECASE):  # "no videos shorter than ...": about no topic
                continue
            if _TIME_UNIT.search(topic):  # a length this reader could not make out is no topic either
                continue
            if leveled:  # "beginner-friendly, no heavy proofs": how a video explains, not what it is about
                avoided.append(topic)
                applied.append(f'preferring videos without "{topic}"')
            else:
                exclusions.append(topic)
                applied.append(f'excluding videos about "{topic}"')
            understood = True
        if _NOT_BEGINNER.search(lowered) or _ADVANCED.search(lowered):
            if level != "advanced":
                applied.append("preferring advanced, in-depth videos")
            level, understood = "advanced", True
        elif _BEGINNER.search(lowered):
            if level != "beginner":
                applied.append("preferring beginner-friendly introductions")
            level, understood = "beginner", True
        if _SHORT.search(lowered):
            clip_length, understood = "short", True
            applied.append("keeping clips short (30-60 s)")
        elif _LONG.search(lowered):
            clip_length, understood = "long", True
            applied.append("allowing longer clips (up to 3 minutes)")
        preference = _PREFER.search(lowered) if not understood else None
        if preference:
            liked, other = _topic(preference.group("liked")), _topic(preference.group("other") or "")
            if liked:
                preferred.append(liked)
                applied.append(f'preferring "{liked}"' + (f' over "{other}"' if other else ""))
                understood = True
            if other:
                avoided.append(other)
        if not understood and _REQUEST.search(clause):
            unsupported.append(clause)
    if "max" in bounds:
        applied.append(f"leaving out videos longer than {spoken_duration(bounds['max'])}")
    if "min" in bounds:
        applied.append(f"leaving out videos shorter than {spoken_duration(bounds['min'])}")
    return InstructionPlan(
        exclusions=tuple(exclusions),
        level=level,
        clip_length=clip_length,
        max_duration_s=bounds.get("max"),
        min_duration_s=bounds.get("min"),
        preferred=tuple(preferred),
        avoided=tuple(avoided),
        applied=applied,
        unsupported=unsupported,
    )


def _topic(phrase: str) -> str:
    """The topic words of a captured phrase, without trailing politeness or leading filler."""
    topic = " ".join(phrase.split()).strip(" .,'\"")  # as written: "GIS" stays "GIS" in what the user reads
    for _ in range(3):
        topic = _TOPIC_TAIL.sub("", topic).strip()
        topic = _TOPIC_LEAD.sub("", topic).strip()
    return topic if terms(topic) else ""


def _durations(clause: str) -> list[tuple[str, float]]:
    """The video-length bounds a clause sets: ("max" or "min", seconds) for each one it states."""
    found = []
    for match in _DURATION.finditer(clause):
        amount = match["amount"].lower().removesuffix(match["half"] or "")
        value = 0.5 if amount.startswith("half") else _NUMBER_WORDS.get(amount) or float(amount)
        value += 0.5 if match["half"] or match["after"] else 0.0  # "4 and a half minutes", "an hour and a half"
        seconds = value * (3600.0 if match["unit"].lower().startswith("h") else 60.0)
        caps = re.fullmatch(_CAP, match["bound"], re.IGNORECASE) is not None
        negated = not match["bound"].lower().startswith("no ") and bool(_NEGATED.search(clause[: match.start()]))
        if seconds > 0:
            found.append(("max" if caps != negated else "min", seconds))
    return found


def spoken_duration(seconds: float) -> str:
    """A length as a person says it: "20 minutes", "1 hour", "1.5 hours"."""
    if seconds >= 3600 and seconds % 1800 == 0:
        hours = seconds / 3600
        return f"{hours:g} hour{'' if hours == 1 else 's'}"
    minutes = seconds / 60
    return f"{minutes:g} minute{'' if minutes == 1 else 's'}"
