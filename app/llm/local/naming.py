"""Interest names from the titles of the videos each interest found: the name people give the subject.

People rarely name a subject when they post about it ("the seafloor keeps spreading from
the middle, a few cm a year"), so a name taken from their words is often an incidental
phrase ("Seafloor", "Few Cm"). The people who title videos do name it: "Plate tectonics -
how oceans open", "Plate tectonics - subduction zones". Once
screening has tied videos to an interest, the phrase that many of those titles share,
and few titles found for other interests do, is the subject's name: class-based TF-IDF
over title phrases (as topic models label their topics), with a phrase's fit to the
interest's own posts as a tie-breaker. A name must be shared by a good part of the
interest's videos, each counted by how well screening found it to fit the interest: talks on a
neighbouring subject that screening kept with a low fit ("Kiln wash" talks for posts on glaze
recipes) are not what the posts are about, and their phrase does not replace
a name the user wrote, nor outranks a phrase the closest talks share. Where the
interest's name is a single word or everyday words taken from the posts, any phrase
two of its titles share names it better.

A title phrase is a run of one to four words between punctuation marks, starting and
ending with a content word; words that describe the video rather than its subject
("lecture", "part", "explained") and the channel's own name never make one. A title that
gives a subject by its initials ("Piloting ROVs") holds the phrase other titles spell
out ("Remotely operated vehicle - ..."), so the subject counts every title that names it.

Descriptions name the broader subject a series of titles leaves out ("Part of our beekeeping
course. This session covers swarm control."): a phrase of their openings that most of the
interest's videos say (in title or description), twice as often as the videos found for all
interests, competes with the titles' phrases on the same score. Only what the description
writes on in lower case counts (names of guests and sponsors are capitalised), and nothing the
same channels write under their videos on other subjects too ("help fund new episodes").

When no phrase is shared by enough of its videos (cryptic titles: "What happens to the
bread in your oven?"), an interest named after one everyday word of the posts ("Finally",
"Kitchen") or after words that name no thing ("Erupts") takes the word among its own
keywords, the person's words, that is nearest in meaning to its videos' titles and
descriptions ("Gluten" for posts on a loaf that finally rose, over videos on dough strength
and steam): the word of theirs that says what the videos they would want are about.
Then the field of study nearest in meaning to its words and videos (`fields`: "Volcanology"
for posts on a smoking crater over "What happens in the hour before an eruption?") takes
the place of that name when the sentence encoder puts it clearly nearer: the name a person
gives a subject when neither they nor the titles wrote it. Nearer to what the videos are
about, for a name of one word or of everyday words ("Bones" gives way to "Paleontology" over
talks on fossils, "Volcanoes" stays over talks on eruptions); nearer to the videos and the
person's words together, for a name of several words they wrote. A craft, a game or a sport
that no field covers keeps the person's word; a phrase the descriptions share takes its place
when it is nearer than that word to what the videos are about ("Beekeeping" over "Brood frames").
Otherwise an interest keeps its own name.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from app.llm.local.embeddings import embed, unit
from app.llm.local.encoder import encode
from app.llm.local.fields import nearest_field
from app.schemas import Candidate, Interest
from app.text import everyday, initialism, names_a_thing, plain_name, terms, word_runs, word_set

MAX_WORDS = 4
MIN_TITLES = 2  # a phrase in one title only is that video's subject, not the interest's
MIN_SHARE = 0.4  # ... and in this share of them: a name describes much of what it covers
LENGTH_BONUS = 0.5  # per extra content word: "variable star light curves" over "light curves"
FIT_WEIGHT = 0.5  # how much the phrase's closeness to the interest's own words counts
DESCRIPTION_CHARS = 500  # a description's opening says what the video is about; links and credits follow
# A phrase of the descriptions names an interest only when the interest's videos say it (in title or description)
# this many times as often as the videos found for all interests do: a course's or a channel's boilerplate ("notes
# and code are on our website") is said under every subject.
MIN_LIFT = 2.0
DESCRIBED_SHARE = 0.5  # ... and more than half the interest's videos say it: a broader subject than a title's
# A field of study names an interest whose titles share no phrase when the sentence encoder puts it this near
# (cosine) to the interest's words and videos, and nearer than its name by FIELD_MARGIN (see `_field`). Fields that
# merely share a word's sense with the subject (a field of medicine for posts on sewing "stitches") sit from
# 0.35 to 0.44; the field a person would name reaches 0.45 to 0.6.
MIN_FIELD_MATCH = 0.45
FIELD_MARGIN = 0.02
FIELD_KEYWORDS = 10  # the interest's own words that stand for its posts
MIN_KEYWORD_LETTERS = 3  # keywords are lower case: a shorter one ("qe", "cd") is an initialism that lost its case
# Words about the video as an object, its format or its place in a series: never what it is about.
VIDEO_WORDS = word_set(
    """
    video videos clip clips short shorts lecture lectures lesson lessons course courses class tutorial tutorials
    talk talks episode episodes ep part chapter chapters series season vol volume session seminar keynote webinar
    podcast interview full official live stream livestream highlights trailer teaser recap summary review
    explained explainer explanation introduction intro overview guide basics beginner beginners advanced
    minute minutes hour hours new latest best top ultimate complete easy simple quick visual visually
    """
)


_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")  # where a description's sentences and lines end
_Proposal = tuple[float, str, str, tuple[str, ...]]  # score, the interest's name, the new name, its terms


@dataclass
class _Phrase:
    key: tuple[str, ...]  # its content terms, in order
    forms: Counter[str]  # as written in the titles
    videos: int = 0  # videos of the interest holding it (in their titles, or titles and descriptions)
    fit: float = 0.0  # ... and the sum of their videos' screening fit (`Candidate.fit`)


def topic_names(interests: Sequence[Interest], kept: Sequence[Candidate], found: Sequence[Candidate]) -> dict[str, str]:
    """A better name for each interest whose screened videos share a title phrase (old name -> new name).

    `kept` are the screened-in videos, each tied to an interest; `found` are all the
    videos the searches found (the background that makes a phrase distinctive). Names
    are unique: when two interests would take the same phrase, or one a piece of the other's, the one it fits
    best does.
    """
    videos = {c.video_id: c for c in [*found, *kept]}
    phrases_of = dict(zip(videos, _spelled_out([_title_phrases(c) for c in videos.values()]), strict=True))
    background = list(phrases_of.values())
    df = Counter(key for phrases in background for key in phrases)
    total = max(len(background), 1)
    said_of = {
        video_id: {**_described(c), **phrases_of[video_id]} for video_id, c in videos.items()
    }  # title and description phrases: what the video is about, in its author's words
    said_df = Counter(key for phrases in said_of.values() for key in phrases)
    catalog = list(videos.values())
    proposals: list[_Proposal] = []
    described: dict[str, list[_Proposal]] = {}
    for interest in interests:
        own_videos = [c for c in kept if c.interest == interest.name]
        if len(own_videos) < MIN_TITLES:
            continue
        # One word from the posts ("Learn", "Water", "Deep"), everyday words ("Few Days") or words that name no
        # thing ("Volcanic") rarely name a subject: any phrase several titles share does better. Other names of the
        # user's give way only to a phrase much of the interest shares, by count and by screening fit.
        weak = plain_name(interest.name) or not names_a_thing(interest.name)
        needed = MIN_TITLES if weak else max(MIN_TITLES, math.ceil(MIN_SHARE * len(own_videos)))
        total_fit = sum(c.fit for c in own_videos)
        titled = [
            p
            for p in _count(own_videos, phrases_of).values()
            if p.videos >= needed and not everyday(_written(p)) and (weak or p.fit >= MIN_SHARE * total_fit)
        ]
        # Descriptions name the broader subject a series of titles leaves out ("Part of our beekeeping course"):
        # a phrase most of the interest's videos say in title or description, and other subjects' videos seldom do.
        shared = max(MIN_TITLES, math.floor(DESCRIBED_SHARE * len(own_videos)) + 1)
        keys = {p.key for p in titled}
        broader = [
            p
            for p in _count(own_videos, said_of).values()
            if p.key not in keys
            and p.videos >= shared
            and p.videos / len(own_videos) >= MIN_LIFT * said_df[p.key] / total
            and p.fit >= MIN_SHARE * total_fit
            and not everyday(_written(p))
            and names_a_thing(_written(p))
            and not _boilerplate(p.key, own_videos, catalog, said_of)
        ]
        own = set(terms(interest.name))
        if len(own) > 1 and any(set(p.key) <= own for p in [*titled, *broader]):
            continue  # a phrase the videos confirm is a name already ("Glacier ridges", their "Glacier")
        proposals += _proposals(interest, own_videos, titled, df, total)
        described[interest.name] = _proposals(interest, own_videos, broader, said_df, total)
    titled_names = {old for _, old, _, _ in proposals}
    for interest in interests:
        if interest.name in titled_names:
            proposals += described.get(interest.name, [])  # the broader subject competes with the titles' phrase
            continue
        its_videos = [c for c in kept if c.interest == interest.name]
        found_word = None
        if everyday(interest.name) or not names_a_thing(interest.name):
            found_word = _nearest_keyword(interest, its_videos, interests)
        otherwise = found_word[0] if found_word else interest.name
        named = _field(interest, its_videos, otherwise)
        if named is not None:
            proposals.append((0.0, interest.name, *named))  # after every title phrase
        elif (described_name := _apter(its_videos, otherwise, described.get(interest.name, []))) is not None:
            proposals.append(described_name)
        elif found_word is not None:
            proposals.append((0.0, interest.name, *found_word))
    names: dict[str, str] = {}
    taken: list[set[str]] = []
    for _, old, new, key in sorted(proposals, key=lambda p: (-p[0], p[1], p[2])):
        if old in names:
            continue
        # A piece of a name already given or kept, or a name that holds one, reads as the same subject twice
        # ("Tide pools" beside "Tide pools of Maine"). The very name another interest keeps merges the two.
        proposed = set(key)
        staying = [set(terms(i.name)) for i in interests if i.name not in names and i.name != old]
        if any(proposed <= given or given <= proposed for given in taken) or any(
            proposed < own or own < proposed for own in staying
        ):
            continue
        names[old] = new
        taken.append(proposed)
    return {old: new for old, new in names.items() if new.casefold() != old.casefold()}


def _nearest_keyword(
    interest: Interest, videos: Sequence[Candidate], interests: Sequence[Interest]
) -> tuple[str, tuple[str, ...]] | None:
    """The interest's one-word keyword (no everyday word, no other interest's name, none that lost its capitals)
    nearest in meaning to its videos' titles and descriptions, when nearer than its name: (the word as a name,
    its terms), or None."""
    if len(videos) < MIN_TITLES:
        return None
    others = {tuple(terms(i.name)) for i in interests if i.name != interest.name}
    words = [
        k
        for k in interest.keywords
        if len(terms(k)) == 1
        and not everyday(k)
        and names_a_thing(k)
        and not _lost_case(k)
        and tuple(terms(k)) not in others
    ]
    if not words:
        return None
    about = embed([f"{c.title}. {c.description}" for c in videos]).mean(axis=0)
    near = embed([interest.name.lower(), *words]) @ about
    best = int(np.argmax(near[1:]))
    if near[1 + best] <= near[0]:
        return None
    word = words[best]
    return word[:1].upper() + word[1:], tuple(terms(word))


def _field(interest: Interest, videos: Sequence[Candidate], name: str) -> tuple[str, tuple[str, ...]] | None:
    """The field of study nearest in meaning to the interest's own words and its videos' titles and descriptions,
    when it is near (MIN_FIELD_MATCH) and nearer than `name`, the name the interest would have otherwise: (the
    field, its terms), or None. A subject no field covers (a craft, a game, a sport) keeps its name."""
    if len(videos) < MIN_TITLES:
        return None
    own = encode([", ".join([interest.name, *interest.keywords[:FIELD_KEYWORDS]])])[0]
    seen = _seen(videos)
    about = unit(seen + own)
    field, match = nearest_field(about)
    # The interest's own words hold its name, so beside them any name looks apt. A name of one word, or of
    # everyday words, is often incidental: the videos alone judge it. A name of several words the person wrote
    # is theirs: judged with their words, it gives way only to a field clearly nearer to both.
    judge = seen if plain_name(name) else about
    field_vector, name_vector = encode([field, name])
    if match < MIN_FIELD_MATCH or float(field_vector @ judge) <= float(name_vector @ judge) + FIELD_MARGIN:
        return None
    return field, tuple(terms(field))


def _apter(videos: Sequence[Candidate], name: str, proposals: Sequence[_Proposal]) -> _Proposal | None:
    """The best of the proposals, when nearer in meaning than `name` to what the videos are about (by
    FIELD_MARGIN)."""
    if not proposals:
        return None
    best = max(proposals, key=lambda p: p[0])
    seen = _seen(videos)
    new, old = encode([best[2], name])
    return best if float(new @ seen) > float(old @ seen) + FIELD_MARGIN else None


def _seen(videos: Sequence[Candidate]) -> np.ndarray:
    """What the videos are about: the mean meaning of their titles and descriptions, unit length."""
    return unit(encode([f"{c.title}. {c.description}" for c in videos]).mean(axis=0))


def _lost_case(word: str) -> bool:
    """Keywords are lower case: a short one ("qe", "cd") or one that reads as an initialism ("gis") has lost the
    capitals it was written with, and would make a wrong name."""
    return len(word) < MIN_KEYWORD_LETTERS or initialism(word)


def _proposals(
    interest: Interest,
    videos: Sequence[Candidate],
    phrases: Sequence[_Phrase],
    df: Counter[tuple[str, ...]],
    total: int,
) -> list[_Proposal]:
    """Each phrase as a name for the interest, scored: its share of the videos, how distinctive it is among all
    `total` videos found (`df`: how many hold each phrase) and how close to the interest's own words."""
    if not phrases:
        return []
    total_fit = sum(c.fit for c in videos)
    proposals = []
    for phrase, fit in zip(phrases, _fits(interest, [_written(p) for p in phrases]), strict=True):
        distinct = math.log(1 + total / df[phrase.key])
        # The phrase's share of the interest: half by videos, half by how well screening found them to fit, so
        # that two titles among the loosest the interest kept do not outrank two among its closest.
        counted_share = phrase.videos / len(videos)
        share = (counted_share + (phrase.fit / total_fit if total_fit else counted_share)) / 2
        score = share * distinct * (1 + LENGTH_BONUS * (len(phrase.key) - 1))
        proposals.append((score * (1 + FIT_WEIGHT * fit), interest.name, _written(phrase), phrase.key))
    return proposals


def _boilerplate(
    key: tuple[str, ...],
    own: Sequence[Candidate],
    videos: Sequence[Candidate],
    said_of: dict[str, dict[tuple[str, ...], str]],
) -> bool:
    """Whether the phrase is the channel's words, not the subject's: its channels say it nearly as often in their
    other videos (MIN_LIFT), or most of the interest's videos that say it do so in the very same sentence ("Help
    fund future projects"), a footer pasted under every upload."""
    saying = [c for c in own if key in said_of[c.video_id]]
    sentences = Counter(
        " ".join(sentence.lower().split())
        for c in saying
        for sentence in _SENTENCE.split(c.description[:DESCRIPTION_CHARS])
        if key in _phrases(sentence, c.channel)
    )
    if sentences and sentences.most_common(1)[0][1] * 2 > len(saying):
        return True
    mine = {c.video_id for c in own}
    channels = {c.channel for c in own}
    others = [c for c in videos if c.channel in channels and c.video_id not in mine]
    if not others:
        return False
    other_rate = sum(1 for c in others if key in said_of[c.video_id]) / len(others)
    return len(saying) / len(own) < MIN_LIFT * other_rate


def _count(
    videos: Sequence[Candidate], phrases_of: dict[str, dict[tuple[str, ...], str]]
) -> dict[tuple[str, ...], _Phrase]:
    """Each phrase the videos hold, with how many hold it, as written, and their screening fit."""
    counted: dict[tuple[str, ...], _Phrase] = {}
    for video in videos:
        for key, form in phrases_of[video.video_id].items():
            phrase = counted.setdefault(key, _Phrase(key, Counter()))
            phrase.forms[form] += 1
            phrase.videos += 1
            phrase.fit += video.fit
    return counted


def _described(candidate: Candidate) -> dict[tuple[str, ...], str]:
    """The phrases of a description's opening that run on in lower case ("chat about glaze chemistry"): a
    description capitalises names (people, sponsors: "Dr. Ana Lindqvist", "Sponsor: Parcelbox"), which say who made
    the video, not what it is about."""
    said = _phrases(candidate.description[:DESCRIPTION_CHARS], candidate.channel)
    return {key: form for key, form in said.items() if any(w[:1].islower() and terms(w) for w in form.split())}


def _title_phrases(candidate: Candidate) -> dict[tuple[str, ...], str]:
    """The phrases of a title (content terms -> words as written), the channel's own words left out."""
    return _phrases(candidate.title, candidate.channel)


def _phrases(text: str, channel_name: str) -> dict[tuple[str, ...], str]:
    """The phrases of a text (content terms -> words as written), the channel's own words left out."""
    channel = set(terms(channel_name))
    found: dict[tuple[str, ...], str] = {}
    for run in word_runs(text):
        # a run splits further at the video's own words: a phrase never runs across them
        pieces: list[list[tuple[str | None, str]]] = [[]]
        for term, word in run:
            if term in channel or word.lower() in VIDEO_WORDS:
                pieces.append([])
            else:
                pieces[-1].append((term, word))
        for piece in pieces:
            for start, (first, _) in enumerate(piece):
                for end in range(start, min(start + MAX_WORDS, len(piece))) if first is not None else ():
                    key = tuple(t for t, _ in piece[start : end + 1] if t is not None)
                    if piece[end][0] is not None and len(key) == len(set(key)):
                        found.setdefault(key, " ".join(w for _, w in piece[start : end + 1]))
    return found


def _spelled_out(titles: Sequence[dict[tuple[str, ...], str]]) -> list[dict[tuple[str, ...], str]]:
    """Titles name a subject by its initials ("Piloting ROVs") as often as in full ("Remotely operated
    vehicle - ..."): a title holding the initialism of a phrase that other titles spell out holds that phrase too,
    so the subject's name counts every title that gives it, either way."""
    spelled: Counter[tuple[str, tuple[str, ...]]] = Counter()
    forms: dict[tuple[str, ...], str] = {}
    for title in titles:
        for key, form in title.items():
            letters = "".join(term[0] for term in key)
            if len(key) > 1 and initialism(letters):
                spelled[letters, key] += 1
                forms.setdefault(key, form)
    full: dict[str, tuple[str, ...]] = {}
    for (letters, key), _ in spelled.most_common():
        full.setdefault(letters, key)  # the way most titles spell it out
    return [
        {**title, **{full[k[0]]: forms[full[k[0]]] for k in title if len(k) == 1 and k[0] in full}} for title in titles
    ]


def _written(phrase: _Phrase) -> str:
    """The phrase as most titles write it, with a capital first letter and shouting toned down."""
    text = phrase.forms.most_common(1)[0][0]
    if text.isupper() and len(text) > 4:
        text = text.capitalize()
    return text[:1].upper() + text[1:]


def _fits(interest: Interest, phrases: Sequence[str]) -> list[float]:
    """How close each phrase is in meaning to the interest's own words (0 when unrelated)."""
    own = " ".join([interest.name, interest.description, *interest.keywords])
    vectors = embed([own, *phrases])
    return [max(0.0, float(v)) for v in np.asarray(vectors[1:] @ vectors[0])]
