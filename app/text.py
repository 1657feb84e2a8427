"""Turning tweets, titles and transcripts into comparable terms.

Everything the local engine compares goes through `terms()`: links, @mentions, the
`RT @user:` prefix, emoji and stop words (English function words, the words of social
media and the calendar, common European languages, internet abbreviations) are dropped,
hyphenated words are split, and a light suffix stemmer makes `indexes`/`index` and
`parsing`/`parser`/`parse` meet.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

from lemminflect import getAllLemmas
from wordfreq import zipf_frequency

_URL = re.compile(r"(?:https?://|www\.)\S+|\bt\.co/\S+", re.IGNORECASE)
_RETWEET = re.compile(r"^\s*RT @\w+:\s*")
_MENTION = re.compile(r"(?<!\w)@\w+")
_OPENING_MENTIONS = re.compile(r"^(?:\s*@\w+)+")  # the accounts a reply is addressed to
_WORD = re.compile(r"[^\W_](?:[\w']*[^\W_])?")
_HASHTAG = re.compile(r"#\w+")
_COMPOUND = re.compile(r"[^\W_](?:[\w']*[^\W_])?(?:-[^\W_](?:[\w']*[^\W_])?)*")  # "Earth-sized" is one word
_PUNCTUATION = re.compile(r"[^\w\s'’-]+|\s[-–—]+\s")
_ACCOUNT = re.compile(r"(?<![\w/])@(\w{1,15})\b|\b(?:twitter|x)\.com/(\w{1,15})/status/", re.IGNORECASE)
_VOWEL = re.compile(r"[aeiouy]")


def word_set(text: str) -> frozenset[str]:
    """The whitespace-separated words of a literal, as a set (keeps long word lists readable)."""
    return frozenset(text.split())


ENGLISH_STOP_WORDS = word_set(
    """
    a about above across after again against all almost along already also although always am among an and another
    any anybody anyone anything anyway anywhere are aren't around as at away back be became because become been
    before behind being below beside besides between beyond both but by came can can't cannot could couldn't did
    didn't do does doesn't doing don't done down during each eg either else enough etc even ever every everybody
    everyone everything few for from further get gets getting go goes going gone got gotten had hadn't has hasn't
    have haven't having he he'd he'll he's her here here's hers herself him himself his how how's however i i'd
    i'll i'm i've ie if in into is isn't it it'd it'll it's its itself just let let's like likely made make makes
    making many may maybe me might mine more most mostly much must my myself neither never no nobody none nor not
    nothing now of off often oh ok okay on once one ones only onto or other others otherwise ought our ours
    ourselves out over own per perhaps please pretty quite rather really same shall she she'd she'll she's should
    shouldn't since so some somebody someone something sometimes somewhat soon still such than that that's the
    their theirs them themselves then there there's these they they'd they'll they're they've thing things this
    those though through thus till to too toward towards under until up upon us very via was wasn't we we'd we'll
    we're we've were weren't what what's whatever when whenever where whereas wherever whether which while who
    who's whoever whole whom whose why will with within without won't would wouldn't yeah yes yet you you'd
    you'll you're you've your yours yourself yourselves
    lol lmao haha hahaha omg wow yay ugh hmm btw imo imho tbh fyi idk pls plz thx rt amp via
    """
)
# The vocabulary of the medium itself and of the calendar: what a post is and when, never what it is about.
SOCIAL_MEDIA_WORDS = word_set(
    """
    post posts posted posting tweet tweets tweeted thread threads retweet retweets reply replies replied quote quoted
    repost reposted link links bookmark bookmarked follow following followers timeline dm dms like likes liked
    today tonight yesterday tomorrow week weeks weekend month months year years ago morning evening night
    """
)
OTHER_STOP_WORDS = word_set(
    """
    de la el los las un una unos unas y o que en con por para del al es son se su sus lo le les como mas pero
    muy ya hoy este esta esto eso hay fue ser yo tu mi
    der die das den dem des ein eine einer eines und oder ist sind nicht mit von zu im auf für noch nur jetzt
    auch wie was ich du er sie wir ihr es am um so
    le les une et ou est sont pas avec pour dans sur qui ce cette il elle nous vous ils je tu au aux du
    il lo gli uno della delle che non per con una sono ma più
    het een en van ik je dat niet met op te zijn wat ook maar
    """
)
STOP_WORDS = ENGLISH_STOP_WORDS | SOCIAL_MEDIA_WORDS | OTHER_STOP_WORDS


def clean_text(text: str) -> str:
    """Readable text without links, mentions or the retweet prefix: what a post says, for reading its words."""
    return _without(text, _MENTION)


def quotable(text: str) -> str:
    """A post as it reads quoted back to its author: without links, the retweet prefix or the accounts a reply
    opens with, but with a mention inside a sentence ("the fix, according to @ana: cool it slowly"), where
    leaving it out would leave a hole."""
    return _without(text, _OPENING_MENTIONS)


def _without(text: str, mentions: re.Pattern[str]) -> str:
    text = _RETWEET.sub("", html.unescape(text))
    text = _URL.sub(" ", text)
    text = mentions.sub(" ", text)
    return " ".join(text.split())


def words(text: str) -> list[str]:
    """Lower-case words of a cleaned text: letters and digits of any script, hyphens split."""
    cleaned = clean_text(text).lower().replace("#", " ").replace("’", "'")
    found = []
    for word in _WORD.findall(cleaned):
        if word.endswith("'s"):
            word = word[:-2]
        found.append(word)
    return found


@lru_cache(maxsize=1 << 16)
def stem(word: str) -> str:
    """A light English suffix stemmer: plurals, -ing and -ed, never below three letters."""
    if len(word) <= 3 or not word.isalpha():
        return word
    for suffix, replacement in (("ies", "y"), ("sses", "ss"), ("xes", "x"), ("ches", "ch"), ("shes", "sh")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 2:
            return word[: -len(suffix)] + replacement
    if word.endswith("s") and not word.endswith(("ss", "us", "is", "ous")):
        word = word[:-1]
    for suffix in ("ing", "ed"):
        base = word[: -len(suffix)]
        if word.endswith(suffix) and len(base) >= 3 and _VOWEL.search(base):
            if len(base) >= 4 and base[-1] == base[-2] and base[-1] not in "lsz":
                base = base[:-1]
            return base.rstrip("e") if base.endswith("e") and len(base) > 3 else base
    return word.rstrip("e") if word.endswith("e") and len(word) > 4 else word


def term_forms(text: str) -> list[tuple[str, str]]:
    """(stemmed term, word as written) for each content word of a text, in order."""
    return [
        (stem(word), word) for word in words(text) if word not in STOP_WORDS and len(word) >= 2 and not word.isdigit()
    ]


def surprisal(text: str) -> dict[str, float]:
    """Each content term of a text, weighted by how rarely English uses the word (its surprisal, in wordfreq's
    Zipf units below SURPRISAL_CEILING, at least MIN_SURPRISAL): two texts sharing "finally" or "says" share a
    habit of speech, two sharing "kiln" share a subject."""
    weights: dict[str, float] = {}
    for term, word in term_forms(text):
        weights[term] = max(weights.get(term, 0.0), _word_surprisal(word.lower()))
    return weights


@lru_cache(maxsize=1 << 16)
def _word_surprisal(word: str) -> float:
    return max(MIN_SURPRISAL, SURPRISAL_CEILING - zipf_frequency(word, "en"))


def word_runs(text: str) -> list[list[tuple[str | None, str]]]:
    """The words of a cleaned text as written (case kept, hashtags left out, hyphenated compounds whole), in runs
    between punctuation marks, each with its term or None for a stop word: phrases the user actually wrote are
    the runs of terms, and none starts inside a compound ("sized planet" of "Earth-sized planet")."""
    cleaned = _HASHTAG.sub(" ", clean_text(text)).replace("’", "'")
    runs: list[list[tuple[str | None, str]]] = []
    for part in _PUNCTUATION.split(cleaned):
        run: list[tuple[str | None, str]] = []
        for word in _COMPOUND.findall(part):
            if word.lower().endswith("'s"):
                word = word[:-2]
            lower = word.lower()
            content = lower not in STOP_WORDS and len(lower) >= 2 and not lower.isdigit()
            run.append((stem(lower) if content else None, word))
        if run:
            runs.append(run)
    return runs


_SENTENCE_START = re.compile(r"(?:^|[.!?…]['\"’”)]*\s+)$")


def proper_nouns(texts: Iterable[str]) -> set[str]:
    """The terms the texts always write with a capital, at least once inside a sentence ("the tiles of
    Lisbon"): names, which keep their capital in a sentence. A word capitalised only where a sentence starts
    ("Sourdough lesson of the week") is no name; an all-capitals word is an acronym, not counted here."""
    inside: set[str] = set()
    lower: set[str] = set()
    for text in texts:
        cleaned = _HASHTAG.sub(" ", clean_text(text))
        for match in _WORD.finditer(cleaned):
            word = match.group()
            if word.lower() in STOP_WORDS or len(word) < 2 or word.isupper() or not word[0].isalpha():
                continue
            term = stem(word.lower())
            if word[0].islower():
                lower.add(term)
            elif not _SENTENCE_START.search(cleaned[: match.start()]):
                inside.add(term)
    return inside - lower


def accounts(text: str) -> set[str]:
    """The accounts a post names: mentions, the retweeted author and the author of a quoted post's link."""
    return {f"@{(mention or quoted).lower()}" for mention, quoted in _ACCOUNT.findall(html.unescape(text))}


def terms(text: str) -> list[str]:
    """Stemmed content terms of a text, in order (stop words, numbers and one-letter words dropped)."""
    return list(_terms(text))


@lru_cache(maxsize=1 << 14)
def _terms(text: str) -> tuple[str, ...]:
    """Cached: the same posts are compared with every candidate and every transcript of a run."""
    return tuple(term for term, _ in term_forms(text))


EVERYDAY_ZIPF = 4.5  # a word used more than about 30 times per million words is an everyday one
COMMON_ZIPF = 5.5  # ... and one used more than about 300 times per million ("time", "need", "keep") says nothing
SURPRISAL_CEILING = 8.0  # Zipf 8 is a word used once in every ten: none is that common
MIN_SURPRISAL = 0.5


def everyday(phrase: str) -> bool:
    """A name of one everyday word ("Learn", "Water", "Deep") says little; one of several words, or of a rarer
    word ("Seismometer", "Photosynthesis"), names something. Frequencies are wordfreq's, installed with it."""
    found = words(phrase)
    return len(found) == 1 and zipf_frequency(found[0], "en") >= EVERYDAY_ZIPF


def plain_name(name: str) -> bool:
    """A name of one word ("Learn", "Narrow") or of everyday words only ("Few Days"): taken from posts, it is
    usually an incidental word, not what the person would call the subject."""
    found = words(name)
    return len(found) <= 1 or all(everyday(w) for w in found)


def names_a_thing(phrase: str) -> bool:
    """A subject's name is a noun phrase: its last word can be a noun ("Oven spring", "Tide pools"), is a verb's
    -ing form, which names an activity ("Fly fishing", "Baking"), or is one the dictionary does not know
    ("Kombucha", "JWST"). A phrase whose last word can only be a verb or an adjective ("Erupts",
    "Temperature decides", "Volcanic") is a piece of a sentence, not a name. The parts of speech are lemminflect's
    dictionary, installed with it."""
    found = words(phrase)
    if not found:
        return False
    parts = getAllLemmas(found[-1])
    return not parts or "NOUN" in parts or "PROPN" in parts or ("VERB" in parts and found[-1].endswith("ing"))


INITIALISM_LETTERS = (3, 6)  # "GIS", "EPC", "ROVs": shorter ones ("ML") spell too many everyday pairs
INITIALISM_ZIPF = 3.5  # ... and rarer than words people use ("sumo" is one, "gis" is not)


def initialism(term: str) -> bool:
    """The term reads as an initialism ("gis"; terms are stemmed, so "ROVs" is "rov"), not as a word."""
    low, high = INITIALISM_LETTERS
    return low <= len(term) <= high and term.isalpha() and zipf_frequency(term, "en") < INITIALISM_ZIPF


def spelled_out(letters: str, text: str) -> bool:
    """The text names the initialism in full: consecutive words, stop words aside, whose initials spell it
    ("geographic information systems" for "gis"). Everyday filler ("more", "time") never spells one."""
    said = [w for w in words(text) if w not in STOP_WORDS]
    size = len(letters)
    for i in range(len(said) - size + 1):
        run = said[i : i + size]
        if "".join(w[0] for w in run) == letters and not any(common(w) or len(w) < 3 for w in run):
            return True
    return False


def holds_terms(text: str, needed: Iterable[str], present: set[str] | None = None) -> bool:
    """Every needed term is in the text, an initialism ("gis") also when the text spells it out in full, and
    terms of several words also when the text names them by their initials (`initials_of`). `present` are the
    text's terms, when the caller has them already."""
    found = set(terms(text)) if present is None else present
    wanted = list(needed)
    missing = [t for t in wanted if t not in found]
    return all(initialism(t) and spelled_out(t, text) for t in missing) or any(initials_of(t, wanted) for t in found)


def initials_of(term: str, words: Sequence[str]) -> bool:
    """The term is an initialism of the words, two or more ("pc" for "pressure cookers"), or of them with one
    word in front: a name is often the last words of a longer one ("EPC", electric pressure cooker; "GPS",
    global positioning system), which a text may give by its initials alone."""
    letters = "".join(w[0] for w in words if w)
    shaped = term == letters or (len(term) == len(letters) + 1 and term.endswith(letters))
    return len(letters) >= 2 and shaped and initialism(term)  # the word-frequency lookup last: it runs per sentence


def common(word: str) -> bool:
    """One of the few thousand words every text uses whatever it is about ("time", "two", "need", "right")."""
    return zipf_frequency(word, "en") >= COMMON_ZIPF
