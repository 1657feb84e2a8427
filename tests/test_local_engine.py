"""The local engine's five stage operations, on engagement and transcripts built here."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from app.llm.base import LLM
from app.llm.local import LocalEngine, clips, parse_instructions
from app.llm.local import engine as engine_module
from app.llm.local.engine import cite, explanation_text
from app.llm.local.instructions import spoken_duration
from app.llm.local.sentences import Sentence, split_sentences
from app.pipeline.engagement import build_engagement
from app.schemas import (
    Candidate,
    Clip,
    Engagement,
    FeedbackSignal,
    Interest,
    Preferences,
    ScreenDecision,
    Segment,
    TranscriptData,
)
from app.sources.tweet_records import TweetRecord
from app.text import surprisal, terms
from app.validation import validate_clip, validate_explanation

NEWEST = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)

BAKING = [
    "Sourdough starter finally doubled overnight, the levain smells sweet and yeasty",
    "Autolyse for an hour before adding salt makes the sourdough dough so much more extensible",
    "High hydration sourdough at 80 percent water is sticky but the crumb gets open and glossy",
    "Stretch and folds during bulk fermentation build gluten strength without kneading #sourdough",
    "Cold retard of the shaped sourdough loaf overnight gives a tangier crumb and better oven spring",
    "Levain peak timing matters: mix the sourdough dough when the levain has doubled and domed",
]
TELESCOPES = [
    "Collimation of the dobsonian telescope mirror took an hour but Saturn is razor sharp now",
    "Focal ratio explained: a slow f/10 telescope gives more magnification per eyepiece than a fast f/5",
    "Bought a 10 mm eyepiece, the dobsonian telescope finally shows Jupiter cloud bands",
    "Aperture rules everything in a telescope: the dobsonian mirror gathers light, the eyepiece only magnifies",
    "Cooling the telescope mirror for 30 minutes before observing fixes the wobbly image of Saturn",
]
BEES = [
    "Inspected the hive today, the queen is laying a solid brood pattern on five frames #beekeeping",
    "Varroa mites count after the sugar roll: three mites per hundred bees, time to treat the hive",
    "Added a honey super to the hive because the nectar flow started and the brood box is full",
    "Oxalic acid treatment for varroa mites works best when the hive has no capped brood",
    "Spotted the queen with her green dot, the hive is calm and the nectar flow is strong",
]
KNITTING = [  # stale: three years before the newest post
    "Cable stitch pattern on the sweater finally clicked, the cable needle trick is magic",
    "Gauge swatch first, always: my sweater came out two sizes too big without a gauge swatch",
    "Purl stitch tension is looser than my knit stitch, the sweater fabric looks uneven",
]
NOISE = ["lol", "mood", "Pizza night with friends 🍕", "¡Qué día tan bonito hoy!", "this.", "👀", "Game night was fun"]


def record(tweet_id: int, text: str, *, days_ago: float, kind: str = "tweet") -> TweetRecord:
    return TweetRecord(
        tweet_id=str(tweet_id),
        kind=kind,  # type: ignore[arg-type]
        text=text,
        created_at=NEWEST - timedelta(days=days_ago),
        url=None,
    )


def user_records() -> list[TweetRecord]:
    records: list[TweetRecord] = []
    next_id = 1000

    def add(texts: list[str], first_day: float, step: float, kind: str = "tweet") -> None:
        nonlocal next_id
        for i, text in enumerate(texts):
            records.append(record(next_id, text, days_ago=first_day + i * step, kind=kind))
            next_id += 1

    add(BAKING, 1, 6)
    add(TELESCOPES, 2, 7)
    add(BEES[:3], 3, 9)
    add(BEES[3:], 5, 9, kind="like")
    add(KNITTING, 3 * 365, 20)
    add(NOISE, 4, 5)
    records.append(record(next_id, "", days_ago=2, kind="like"))  # a like without text
    return records


@pytest.fixture
def engine() -> LocalEngine:
    return LocalEngine()


@pytest.fixture
def engagement() -> list[Engagement]:
    return build_engagement(user_records())


def interest_about(interests: list[Interest], word: str) -> Interest:
    matches = [i for i in interests if any(word in k.lower() for k in [i.name, *i.keywords])]
    assert matches, f"no interest about {word!r} in {[i.name for i in interests]}"
    return matches[0]


# --- interests -------------------------------------------------------------------------------


def test_engine_satisfies_the_llm_protocol(engine: LocalEngine) -> None:
    backend: LLM = engine
    assert backend.name == "local"


def test_interests_are_the_current_topics_with_grounded_evidence(
    engine: LocalEngine, engagement: list[Engagement]
) -> None:
    interests = engine.infer_interests(engagement, Preferences())
    assert 3 <= len(interests) <= 8
    by_id = {e.tweet_id: e for e in engagement}
    for word in ("sourdough", "telescope", "hive"):
        interest_about(interests, word)
    for interest in interests:
        assert interest.name and interest.description and interest.keywords
        assert 2 <= len(interest.evidence_tweet_ids) <= 5
        assert all(by_id[t].text.strip() for t in interest.evidence_tweet_ids)
        assert 0 < interest.weight <= 1
        assert "\n" not in interest.description
    assert [i.weight for i in interests] == sorted((i.weight for i in interests), reverse=True)
    everything = " ".join(k.lower() for i in interests for k in [i.name, *i.keywords])
    assert "knit" not in everything and "sweater" not in everything  # stale
    assert "pizza" not in everything and "lol" not in everything  # noise


def test_likes_count_as_evidence(engine: LocalEngine, engagement: list[Engagement]) -> None:
    bees = interest_about(engine.infer_interests(engagement, Preferences()), "hive")
    kinds = {e.tweet_id: e.kind for e in engagement}
    assert "like" in {kinds[t] for t in bees.evidence_tweet_ids}


def test_recent_engagement_outweighs_stale_engagement(engine: LocalEngine) -> None:
    """The same topic is current or stale depending only on when it was posted (against the newest post)."""
    records = [record(1 + i, t, days_ago=400 + i) for i, t in enumerate(BAKING)]
    records += [record(100 + i, t, days_ago=5 + i) for i, t in enumerate(TELESCOPES)]
    interests = engine.infer_interests(build_engagement(records), Preferences())
    assert "telescope" in " ".join(interests[0].keywords).lower()
    if len(interests) > 1:  # kept only to reach the minimum, and far lighter
        assert interests[1].weight < 0.2


def test_an_exclusion_removes_the_topic(engine: LocalEngine, engagement: list[Engagement]) -> None:
    prefs = Preferences(instructions="Please, no more videos about beekeeping for a while.")
    interests = engine.infer_interests(engagement, prefs)
    everything = " ".join(k.lower() for i in interests for k in [i.name, *i.keywords])
    assert "hive" not in everything and "varroa" not in everything
    interest_about(interests, "sourdough")


def test_instructions_that_exclude_every_current_topic_leave_none_of_them(
    engine: LocalEngine, engagement: list[Engagement]
) -> None:
    prefs = Preferences(instructions="no sourdough. nothing about telescopes. no more beekeeping")
    interests = engine.infer_interests(engagement, prefs)
    everything = " ".join(k.lower() for i in interests for k in [i.name, *i.keywords])
    assert not {"sourdough", "levain", "telescope", "eyepiece", "hive", "varroa"} & set(everything.split())


def test_feedback_moves_weights(engine: LocalEngine, engagement: list[Engagement]) -> None:
    before = interest_about(engine.infer_interests(engagement, Preferences()), "hive")
    liked = FeedbackSignal(
        video_id="v1", title="Beekeeping: the hive through the season", channel="Bees", interest=before.name, vote=1
    )
    disliked = liked.model_copy(update={"vote": -1, "reason": "off_topic"})
    up = interest_about(engine.infer_interests(engagement, Preferences(feedback=[liked] * 2)), "hive")
    down = interest_about(engine.infer_interests(engagement, Preferences(feedback=[disliked] * 2)), "hive")
    assert down.weight < before.weight < up.weight or (before.weight == 1.0 and down.weight < 1.0 == up.weight)


@pytest.mark.parametrize(
    "texts",
    [[], ["lol"], ["Sourdough starter bubbling", "sourdough starter smells great", "lol"]],
    ids=["empty", "one-word", "three-posts"],
)
def test_too_little_data_gives_few_interests_and_no_error(engine: LocalEngine, texts: list[str]) -> None:
    interests = engine.infer_interests(
        build_engagement([record(i + 1, t, days_ago=i) for i, t in enumerate(texts)]), Preferences()
    )
    assert len(interests) <= 1
    for interest in interests:
        assert 2 <= len(interest.evidence_tweet_ids) <= 5


# --- queries ---------------------------------------------------------------------------------


def test_two_to_four_queries_per_interest_from_its_terms(engine: LocalEngine, engagement: list[Engagement]) -> None:
    interests = engine.infer_interests(engagement, Preferences())
    queries = engine.write_queries(interests, Preferences())
    for interest in interests:
        own = [q.query for q in queries if q.interest == interest.name]
        assert 2 <= len(own) <= 4, own
        vocabulary = " ".join([interest.name, *interest.keywords]).lower()
        for query in own:
            assert set(query.lower().split()) <= set(re.findall(r"[\w']+", vocabulary))


def test_beginner_level_shapes_queries(engine: LocalEngine, engagement: list[Engagement]) -> None:
    interests = engine.infer_interests(engagement, Preferences())
    queries = engine.write_queries(interests, Preferences(instructions="I'm a beginner"))
    assert any("beginners" in q.query for q in queries)


# --- screening -------------------------------------------------------------------------------


def bread_interest() -> Interest:
    return Interest(
        name="Sourdough levain",
        description="Posts about sourdough.",
        weight=1.0,
        evidence_tweet_ids=["1", "2"],
        keywords=["sourdough levain", "sourdough", "levain", "hydration", "autolyse", "crumb", "gluten"],
    )


def candidate(video_id: str, title: str, **fields: object) -> Candidate:
    defaults: dict[str, object] = {"channel": "Bread Lab", "description": "", "duration_s": 900}
    defaults.update(fields)
    return Candidate(video_id=video_id, title=title, **defaults)  # type: ignore[arg-type]


def decisions_by_id(engine: LocalEngine, candidates: list[Candidate], prefs: Preferences) -> dict[str, ScreenDecision]:
    decisions = engine.screen(candidates, [bread_interest()], prefs)
    assert [d.video_id for d in decisions] == [c.video_id for c in candidates]
    return {d.video_id: d for d in decisions}


def test_screen_keeps_substance_and_drops_clickbait_with_reasons(engine: LocalEngine) -> None:
    candidates = [
        candidate("lecture", "Sourdough Hydration and Autolyse Explained (Lecture 3)"),
        candidate("talk", "The science of the levain: a talk on sourdough fermentation"),
        candidate("bait", "I Ate ONLY Sourdough for 24 Hours *my stomach exploded* 😱", description="CHALLENGE!!!"),
        candidate("prank", "Sourdough PRANK on my roommate (gone wrong) 😂"),
        candidate("react", "Baker reacts to the WORST sourdough fails!!!"),
        candidate("gossip", "Sourdough drama: the bakery gossip storytime 🍿"),
        candidate("short", "Sourdough levain hydration in 20 seconds", duration_s=20),
        candidate("hidden", "Sourdough crumb and hydration", channel="Loud Bakes"),
        candidate("seen", "Sourdough autolyse basics"),
        candidate("offtopic", "Changing the oil of a motorcycle engine"),
    ]
    prefs = Preferences(hidden_channels=["loud bakes"], seen_video_ids=["seen"])
    decisions = decisions_by_id(engine, candidates, prefs)
    kept = {vid for vid, d in decisions.items() if d.keep}
    assert kept == {"lecture", "talk"}
    for decision in decisions.values():
        assert decision.reason
    assert decisions["lecture"].interest == "Sourdough levain"
    assert decisions["lecture"].score > 0
    assert "hidden" in decisions["hidden"].reason
    assert "shown" in decisions["seen"].reason
    assert "short" in decisions["short"].reason
    assert "clickbait" in decisions["bait"].reason


def hive_interest() -> Interest:
    keywords = ["brood pattern", "queen", "varroa mites", "nectar flow", "honey super", "frames"]
    update = {"name": "Hive inspections", "description": "Posts about beekeeping.", "keywords": keywords}
    return bread_interest().model_copy(update=update | {"evidence_tweet_ids": ["3", "4"]})


def test_screen_keeps_a_title_near_an_interest_in_meaning_though_it_shares_no_word(engine: LocalEngine) -> None:
    titles = {
        "swarm": "How a honeybee colony decides where to swarm",
        "varroa": "Treating varroa mites in the autumn",
        "crumb": "An open crumb with high hydration",
        "oil": "Changing the oil of a motorcycle engine",
        "tax": "Tax returns for freelancers",
        "laptops": "Budget gaming laptops compared",
        "chords": "Guitar chords for your first song",
    }
    candidates = [candidate(video_id, title) for video_id, title in titles.items()]
    decisions = {d.video_id: d for d in engine.screen(candidates, [bread_interest(), hive_interest()], Preferences())}
    swarm = decisions["swarm"]
    assert swarm.keep and swarm.interest == "Hive inspections"
    assert swarm.reason == "close in meaning to your interest in Hive inspections"
    assert 0 < swarm.score < decisions["varroa"].score  # the least of the matches by words
    assert decisions["varroa"].keep and decisions["crumb"].keep
    assert not any(decisions[v].keep for v in ("oil", "tax", "laptops", "chords"))
    # Nearness is judged against the other videos words turned away: with too few of them, words decide alone.
    few = {d.video_id: d for d in engine.screen(candidates[:4], [bread_interest(), hive_interest()], Preferences())}
    assert not few["swarm"].keep and few["swarm"].reason == "does not match any of your interests"


def test_screen_lets_nothing_in_by_meaning_when_every_video_words_turned_away_is_off_subject(
    engine: LocalEngine,
) -> None:
    titles = [
        "Changing the oil of a motorcycle engine",
        "Tax returns for freelancers",
        "Budget gaming laptops compared",
        "Guitar chords for your first song",
        "Repairing a bike chain at the roadside",
        "Filing cabinets for a small office",
    ]
    candidates = [candidate(f"off{i}", title) for i, title in enumerate(titles)]
    decisions = engine.screen(candidates, [bread_interest(), hive_interest()], Preferences())
    assert not [d.video_id for d in decisions if d.keep]  # one of them always stands out; none is near


def test_screen_does_not_favour_recency(engine: LocalEngine) -> None:
    old = candidate("old", "Sourdough hydration explained", published_at=datetime(2012, 1, 1).date())
    new = candidate("new", "Sourdough hydration explained", published_at=datetime(2025, 1, 1).date())
    decisions = decisions_by_id(engine, [old, new], Preferences())
    assert decisions["old"].score == decisions["new"].score


def test_screen_applies_exclusions_and_preferences(engine: LocalEngine) -> None:
    candidates = [
        candidate("rye", "Rye sourdough hydration and levain"),
        candidate("talk", "Sourdough levain hydration, a conference talk"),
        candidate("podcast", "Sourdough levain hydration, a podcast episode"),
    ]
    prefs = Preferences(instructions="No more rye videos. I prefer talks over podcasts.")
    decisions = decisions_by_id(engine, candidates, prefs)
    assert not decisions["rye"].keep and "rye" in decisions["rye"].reason
    assert decisions["talk"].score > decisions["podcast"].score


def test_screen_reads_an_excluded_topic_under_the_abbreviation_another_video_spells_out(engine: LocalEngine) -> None:
    candidates = [
        candidate("spelled", "Wild yeast starters (WYS) for sourdough levain"),
        candidate("short", "Sourdough levain hydration: why my WYS doubles overnight"),
        candidate("plain", "Sourdough levain hydration, a conference talk"),
        candidate("word", "Sourdough levain hydration: the WYSIWYG of bread"),
    ]
    prefs = Preferences(instructions="give wild yeast starters a rest")
    decisions = decisions_by_id(engine, candidates, prefs)
    assert not decisions["spelled"].keep and not decisions["short"].keep
    assert "wild yeast starters" in decisions["short"].reason
    assert decisions["plain"].keep and decisions["word"].keep  # a longer word that begins the same is no abbreviation
    # The topic's own initials name it even where no video spells them out; a word beginning with them does not.
    alone = decisions_by_id(engine, candidates[1:], prefs)
    assert not alone["short"].keep and alone["plain"].keep and alone["word"].keep


def test_disliked_videos_pull_similar_ones_down(engine: LocalEngine) -> None:
    candidates = [candidate("a", "Sourdough hydration explained"), candidate("b", "Sourdough levain explained")]
    feedback = [
        FeedbackSignal(
            video_id="x", title="Sourdough hydration", channel="Bread Lab", interest="", vote=-1, reason=None
        )
    ]
    plain = decisions_by_id(engine, candidates, Preferences())
    judged = decisions_by_id(engine, candidates, Preferences(feedback=feedback))
    assert judged["a"].score < plain["a"].score


# --- clips -----------------------------------------------------------------------------------

FILLER = [
    "Hello and welcome back to the channel, sourdough friends.",
    "Sourdough is my favourite thing to bake, honestly sourdough is life.",
    "Before we start, this video is brought to you by our sponsor, use the code in the description.",
    "Smash that like button and subscribe for more sourdough videos.",
    "My cat knocked a bag of flour off the counter this morning, so the kitchen is white.",
    "A question from the chat: where did I buy this bowl? The link is below.",
    "People always ask me about sourdough, and I love talking about sourdough.",
    "Funny story, I once dropped a whole sourdough loaf on the train.",
    "We will get to the sourdough part in a minute, first some news about the channel.",
    "I got a new oven last month and it is fine, just fine.",
]
GOLDEN = [
    "The autolyse is a rest where only flour and water sit together before the salt and levain go in.",
    "During that rest the enzymes break starch into sugars and the gluten network starts forming on its own.",
    "That is why an autolyse makes a high hydration dough more extensible and easier to stretch.",
    "Hydration is simply the weight of water divided by the weight of flour in the dough.",
    "At eighty percent hydration the dough is sticky, but the crumb turns open and glossy after baking.",
    "If the dough tears during stretch and folds, give the autolyse more time rather than adding flour.",
    "Higher hydration also needs a stronger levain, so mix when the levain has doubled and domed.",
]


# A talk's opening: it names every term of the passage to come and explains none of them.
RECAP = [
    "Today: the autolyse, hydration, the levain, gluten, stretch and folds, and an open glossy crumb.",
    "We will see why the autolyse rest of flour and water matters for a high hydration dough.",
    "Then hydration, water and flour, and why a sticky dough gives an open crumb after baking.",
    "Then the levain: mix when it has doubled and domed, and the dough stays extensible.",
    "And if the dough tears in stretch and folds, what to do instead of adding flour.",
    "Plus a word on the starter, bulk fermentation without kneading, a cold retard and oven spring.",
]


def lecture(
    *, auto: bool, opening: Sequence[str] = (), filler: Sequence[str] = FILLER
) -> tuple[list[Segment], tuple[float, float]]:
    """About eleven minutes: an opening, filler (naming the topic often), the dense passage about what the user
    wrote, filler."""
    sentences = [*opening, *list(filler) * 3, *GOLDEN, *list(reversed(filler)) * 3]
    segments: list[Segment] = []
    clock = 0.0
    golden_start = golden_end = 0.0
    words_per_segment = 7
    for index, sentence in enumerate(sentences):
        if index == len(opening) + len(filler) * 3:
            golden_start = clock
        text = re.sub(r"[^\w\s']", "", sentence.lower()) if auto else sentence
        words = text.split()
        chunks = (
            [words[i : i + words_per_segment] for i in range(0, len(words), words_per_segment)] if not auto else [words]
        )
        for chunk in chunks:
            duration = round(len(chunk) * 0.45, 3)
            segments.append(Segment(text=" ".join(chunk), start=round(clock, 3), duration=duration))
            clock = round(clock + duration, 3)
        if index == len(opening) + len(filler) * 3 + len(GOLDEN) - 1:
            golden_end = clock
    if auto:  # re-cut the word stream mid-sentence, as auto captions do
        words = [(w, s) for s in segments for w in s.text.split()]
        segments = []
        clock = 0.0
        for i in range(0, len(words), words_per_segment):
            chunk = [w for w, _ in words[i : i + words_per_segment]]
            duration = round(len(chunk) * 0.45, 3)
            segments.append(Segment(text=" ".join(chunk), start=round(clock, 3), duration=duration))
            clock = round(clock + duration, 3)
    return segments, (golden_start, golden_end)


def sourdough_user() -> list[Engagement]:
    return build_engagement([record(i + 1, t, days_ago=i * 3) for i, t in enumerate(BAKING)])


@pytest.mark.parametrize("auto", [False, True], ids=["manual-captions", "auto-captions"])
def test_clip_holds_the_passage_matching_what_the_user_wrote(engine: LocalEngine, auto: bool) -> None:
    segments, (g0, g1) = lecture(auto=auto)
    transcript = TranscriptData(video_id="vid", language_code="en", is_generated=auto, segments=segments)
    video = candidate("vid", "Sourdough, start to finish", duration_s=int(segments[-1].start + segments[-1].duration))
    users = sourdough_user()
    interest = interest_about(engine.infer_interests(users, Preferences()), "sourdough")
    clip = engine.choose_clip(video, interest, transcript, users, Preferences())
    assert clip is not None
    assert validate_clip(clip, transcript, duration_s=video.duration_s) == []
    overlap = max(0.0, min(clip.end_s, g1) - max(clip.start_s, g0))
    assert overlap >= 0.5 * (clip.end_s - clip.start_s), (clip, (g0, g1))
    sentences = split_sentences(segments)
    assert clip.start_s in {round(s.start, 2) for s in sentences}
    assert clip.end_s in {round(s.end, 2) for s in sentences}
    assert clip.interest == interest.name and clip.score > 0


def test_posts_grouped_under_other_interests_count_half_as_much_in_the_clip_profile() -> None:
    """Grouping posts into interests is imperfect, and a talk often answers a neighbouring post: every post shapes
    the clip, the interest's own twice as much as one on another subject."""
    interest = Interest(
        name="Sourdough",
        description="",
        weight=1.0,
        evidence_tweet_ids=["1"],
        keywords=["sourdough", "levain"],
    )
    own = Engagement(tweet_id="1", kind="tweet", text="my levain peaked early again", weight=1.0)
    other = Engagement(tweet_id="2", kind="tweet", text="swapped the cassette for climbing gears", weight=1.0)
    profile = engine_module.clip_profile(interest, [own, other])
    (levain,), (cassette,) = terms("levain"), terms("cassette")
    assert profile[levain] == pytest.approx(2 * profile[cassette])
    assert profile[cassette] > 0


def test_a_clip_skips_the_opening_that_only_names_what_is_coming(
    engine: LocalEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    segments, (g0, g1) = lecture(auto=True, opening=RECAP)
    transcript = TranscriptData(video_id="vid", language_code="en", is_generated=True, segments=segments)
    users = sourdough_user()
    interest = interest_about(engine.infer_interests(users, Preferences()), "sourdough")

    def clip_overlap() -> float:
        clip = engine.choose_clip(candidate("vid", "Sourdough"), interest, transcript, users, Preferences())
        assert clip is not None
        return max(0.0, min(clip.end_s, g1) - max(clip.start_s, g0)) / (clip.end_s - clip.start_s)

    assert clip_overlap() >= 0.5
    monkeypatch.setattr(clips, "OPENING_PENALTY", 0.0)
    assert clip_overlap() < 0.5  # without the opening's damping, the recap's density of terms wins


@pytest.mark.parametrize(("minutes", "inside", "outside"), [(10, 60.0, 120.0), (60, 150.0, 300.0)])
def test_the_opening_is_a_share_of_the_talk_but_never_more_than_a_few_minutes(
    minutes: int, inside: float, outside: float
) -> None:
    """A lecture's opening is its first 15%; a long podcast's greeting is no longer than a lecture's."""
    sentences = [Sentence(f"sentence {i}", i * 15.0, i * 15.0 + 15.0) for i in range(minutes * 4)]
    blocks = [(i, i) for i in range(len(sentences))]
    opening = clips._in_opening(sentences, blocks)
    assert opening[int(inside // 15)] == 1.0 and opening[int(outside // 15)] == 0.0
    assert opening.sum() * 15.0 <= clips.OPENING_MAX_S


def test_the_same_passage_scores_higher_in_a_talk_about_the_subject_than_in_an_aside(
    engine: LocalEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    users = sourdough_user()
    interest = interest_about(engine.infer_interests(users, Preferences()), "sourdough")
    talks = {"talk": lecture(auto=False)[0], "aside": lecture(auto=False, filler=TELESCOPES + FILLER[2:4])[0]}

    def scores() -> dict[str, float]:
        found = {}
        for name, segments in talks.items():
            transcript = TranscriptData(video_id=name, language_code="en", is_generated=False, segments=segments)
            clip = engine.choose_clip(candidate(name, "Baking"), interest, transcript, users, Preferences())
            assert clip is not None
            found[name] = clip.score
        return found

    assert scores()["talk"] > 1.2 * scores()["aside"]
    monkeypatch.setattr(clips, "TALK_MATCH_SHARE", 0.0)
    assert scores()["talk"] < 1.2 * scores()["aside"]  # the clip alone cannot tell them apart


def test_of_two_talks_that_answer_the_posts_alike_the_one_whose_title_fits_the_interest_scores_higher(
    engine: LocalEngine,
) -> None:
    users = sourdough_user()
    interest = interest_about(engine.infer_interests(users, Preferences()), "sourdough")
    segments, _ = lecture(auto=False)
    transcript = TranscriptData(video_id="v", language_code="en", is_generated=False, segments=segments)
    scores = {}
    for fit in (1.0, 0.3, 0.0):
        clip = engine.choose_clip(candidate("v", "Baking", fit=fit), interest, transcript, users, Preferences())
        assert clip is not None
        scores[fit] = clip.score
    assert scores[1.0] > scores[0.3] > scores[0.0] > 0  # a video kept for its meaning alone still has its clip
    assert scores[0.3] > 0.5 * scores[1.0]  # the passage's answer to the posts counts most


@pytest.mark.parametrize(
    ("instructions", "low", "high"), [("", 60, 120), ("short clips please", 30, 60), ("longer clips", 60, 180)]
)
def test_clip_length_follows_instructions(engine: LocalEngine, instructions: str, low: float, high: float) -> None:
    segments, _ = lecture(auto=False)
    transcript = TranscriptData(video_id="vid", language_code="en", is_generated=False, segments=segments)
    users = sourdough_user()
    interest = interest_about(engine.infer_interests(users, Preferences()), "sourdough")
    prefs = Preferences(instructions=instructions)
    clip = engine.choose_clip(candidate("vid", "Sourdough"), interest, transcript, users, prefs)
    assert clip is not None
    assert low <= clip.end_s - clip.start_s <= high


def test_a_clip_lasts_two_minutes_at_most_though_the_talk_stays_on_point_longer() -> None:
    """A vertical feed plays a minute or two: a passage on point for three minutes gives its best two."""
    on_point = "the starter doubles when the culture of wild yeast and lactic bacteria is warm and fed"
    off_point = "now a word about the weather on the drive in this morning and the traffic"
    said = [off_point] * 30 + [on_point] * 36 + [off_point] * 30  # five-second sentences: 180 s on point
    sentences = [Sentence(text=f"{text} {i}.", start=5.0 * i, end=5.0 * i + 5.0) for i, text in enumerate(said)]
    profile = clips.Profile(dict.fromkeys(terms("sourdough starter wild yeast lactic bacteria culture"), 1.0))

    window = clips.best_window(sentences, profile)

    assert window is not None
    assert 60.0 <= window.end - window.start <= 120.0
    assert window.start >= 150.0 and window.end <= 330.0  # within the passage on point


def test_a_quote_from_automatic_captions_says_more_than_a_fragment(engine: LocalEngine) -> None:
    """Automatic captions cut a thought into guessed pieces of a few words: the quote takes its neighbours too.
    A punctuated sentence stands alone."""
    users = sourdough_user()
    interest = interest_about(engine.infer_interests(users, Preferences()), "sourdough")
    quotes = {}
    for auto in (True, False):
        segments, _ = lecture(auto=auto)
        transcript = TranscriptData(video_id="vid", language_code="en", is_generated=auto, segments=segments)
        clip = engine.choose_clip(candidate("vid", "Sourdough"), interest, transcript, users, Preferences())
        assert clip is not None
        quotes[auto] = clip.quote
    assert len(quotes[True].split()) >= clips.QUOTE_TARGET_WORDS, quotes[True]
    assert len(re.findall(r"[.?!](?:\s|$)", quotes[False])) == 1, quotes[False]


def test_no_clip_from_a_transcript_too_short_or_off_topic(engine: LocalEngine) -> None:
    users = sourdough_user()
    interest = interest_about(engine.infer_interests(users, Preferences()), "sourdough")
    one = TranscriptData(
        video_id="v",
        language_code="en",
        is_generated=True,
        segments=[Segment(text="sourdough levain", start=0, duration=4)],
    )
    assert engine.choose_clip(candidate("v", "Short"), interest, one, users, Preferences()) is None
    unrelated = [
        Segment(text=f"the engine oil needs changing part {i}.", start=i * 4.0, duration=4.0) for i in range(60)
    ]
    other = TranscriptData(video_id="v", language_code="en", is_generated=False, segments=unrelated)
    assert engine.choose_clip(candidate("v", "Oil"), interest, other, users, Preferences()) is None


# --- explanations ----------------------------------------------------------------------------


def test_explanation_cites_the_closest_posts_and_quotes_the_clip(engine: LocalEngine) -> None:
    segments, _ = lecture(auto=False)
    transcript = TranscriptData(video_id="vid", language_code="en", is_generated=False, segments=segments)
    users = sourdough_user()
    interest = interest_about(engine.infer_interests(users, Preferences()), "sourdough")
    video = candidate("vid", "Sourdough, start to finish")
    clip = engine.choose_clip(video, interest, transcript, users, Preferences())
    assert clip is not None
    explanation = engine.explain(clip, video, interest, users, Preferences())
    assert validate_explanation(explanation, user_tweet_ids={e.tweet_id for e in users}) == []
    assert 1 <= len(explanation.tweet_ids) <= 3
    assert clip.quote.rstrip(".") in explanation.text
    cited = {e.tweet_id: e for e in users}[explanation.tweet_ids[0]]
    assert cited.text[:40] in explanation.text  # the post itself, not a count of posts
    assert not re.search(r"\d+ more posts?", explanation.text)
    assert len(set(terms(cited.text)) & set(terms(clip.quote))) >= 2, (cited.text, clip.quote)
    quoted = re.sub(r'"[^"]*"', '""', explanation.text)
    assert 1 <= len(re.findall(r"[.!?](?:\s|$)", quoted)) <= 3, explanation.text


def test_explanations_in_feed_order_never_open_or_go_on_alike_twice_in_a_row() -> None:
    """One engine explains a run's feed item by item: each takes the next wording, whatever the videos' ids."""
    engine = LocalEngine()
    first = Engagement(tweet_id="1", kind="tweet", text="Levain timing decides the whole bake", weight=1.0)
    second = Engagement(tweet_id="2", kind="tweet", text="The levain peaks in three hours in summer", weight=1.0)
    interest = Interest(name="Sourdough", description="", weight=1.0, evidence_tweet_ids=["1", "2"], keywords=[])
    texts = []
    for i in range(12):
        clip = Clip(
            video_id=f"same{i % 2}", interest="Sourdough", start_s=0, end_s=60, quote="the levain peaks", score=1
        )
        video = candidate(clip.video_id, "Levain, start to finish")
        texts.append(engine.explain(clip, video, interest, [first, second], Preferences()).text)
    openings = [t.split('"')[0] for t in texts]  # the words before the first quotation
    endings = [re.sub(r'"[^"]*"', "", t.rsplit(". ", 1)[-1]) for t in texts]  # the second post's sentence
    assert all(a != b for a, b in itertools.pairwise(openings)), openings
    assert all(a != b for a, b in itertools.pairwise(endings)), endings
    assert len(set(openings)) == 4


def test_a_rare_word_shared_with_the_clip_weighs_more_than_an_everyday_one() -> None:
    weights = surprisal("finally the kiln reached cone six")
    assert weights[terms("kiln")[0]] > 1.5 * weights[terms("finally")[0]] > 0


def test_citations_follow_the_clips_rare_words_not_chance_everyday_ones() -> None:
    """A life post sharing "finally" and "test" with the clip, or only the interest's keywords, is no reason for it."""
    glaze = Interest(
        name="Glaze chemistry",
        description="",
        weight=1.0,
        evidence_tweet_ids=["1", "2", "3", "4"],
        keywords=["glaze chemistry", "crazing", "kiln", "finally", "test"],
    )
    posts = [
        Engagement(tweet_id="1", kind="tweet", text="the new kettle finally came, tea in bed tomorrow", weight=1.0),
        Engagement(
            tweet_id="2",
            kind="tweet",
            text="crazing on every mug from the last firing. the glaze must shrink more than the clay body, I think",
            weight=1.0,
        ),
        Engagement(tweet_id="3", kind="tweet", text="eye test at the optician, all fine!!", weight=1.0),
        Engagement(tweet_id="4", kind="like", text="a kiln is just a very patient oven", weight=1.0),
    ]
    clip = "So finally the test tile shows it: the glaze shrinks more than the body on cooling, and that is crazing."
    cited = [e.tweet_id for e in cite(posts, clip, glaze)]
    assert cited == ["2"], cited
    cooling = "and a kiln that cools slowly gives the glaze time to settle before crazing starts"
    assert [e.tweet_id for e in cite(posts, cooling, glaze)][:2] == ["2", "4"]


def test_the_leading_citation_shares_a_telling_word_with_the_clip_where_a_post_does() -> None:
    """A short life post close to the clip only by a chance word ("finally") and the interest's keywords does not
    lead over the post that says what the clip says; a stem shared across an everyday form ("set" in a post,
    "settings" in the clip) weighs as the everyday word."""
    kiln = Interest(
        name="Firing",
        description="",
        weight=1.0,
        evidence_tweet_ids=["1", "2", "3"],
        keywords=["arrived", "finally", "kiln", "firing"],
    )
    noise = Engagement(tweet_id="1", kind="tweet", text="parcel finally arrived", weight=1.0)
    cracked = "my bisque ware cracked again, the water left too fast"
    ware = Engagement(tweet_id="2", kind="tweet", text=cracked, weight=1.0)
    table = Engagement(tweet_id="3", kind="tweet", text="set the table for six", weight=1.0)
    clip = "finally, when the kiln reaches red heat the clay vitrifies, but only once the water has left"
    assert [e.tweet_id for e in cite([noise, ware], clip, kiln)] == ["2"]
    settings = "the kiln settings decide how fast the water leaves the ware"
    assert [e.tweet_id for e in cite([table, ware], settings, kiln)] == ["2"]


def test_among_posts_sharing_words_with_the_clip_the_one_about_its_subject_leads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two posts share telling words with a clip on muscle contraction: a parcel whose tracking signal says it
    arrives, two of the clip's words, and a cramp question, one. Meaning puts the question first, and leaves the
    parcel out."""
    running = Interest(
        name="Running", description="", weight=1.0, evidence_tweet_ids=["2", "3"], keywords=["running", "legs"]
    )
    parcel = Engagement(
        tweet_id="1", kind="tweet", text="my parcel finally arrives tomorrow, the tracking signal says so"
    )
    cramp = Engagement(
        tweet_id="2", kind="tweet", text="why do my calves cramp at mile twenty? the muscle just locks up"
    )
    shoes = Engagement(tweet_id="3", kind="tweet", text="new running shoes, blisters immediately")
    clip = "When the nerve signal arrives, calcium floods the fibres and the muscle contracts. How muscles contract"
    assert cite([parcel, cramp, shoes], clip, running) == [cramp]  # the parcel is no second reason either
    for without_meaning in (("CITE_MEANING", 0.0), ("ALSO_MIN_MEANING", 2.0), ("LEAD_MIN_MEANING", 2.0)):
        monkeypatch.setattr(engine_module, *without_meaning)  # shared words alone would lead with the parcel
    assert cite([parcel, cramp, shoes], clip, running)[0] == parcel


def test_a_post_near_the_clip_in_meaning_leads_over_one_sharing_only_a_chance_word() -> None:
    """No post shares a telling word with a clip on gases but one on a grammar book ("apart"): the question
    about a slow liquid, near the clip in meaning, leads instead."""
    matter = Interest(name="Matter", description="", weight=1.0, evidence_tweet_ids=["1", "2"], keywords=["matter"])
    chance = Engagement(
        tweet_id="1",
        kind="tweet",
        text="the grammar chapter was heavy going, the clusters idea helped me keep them apart",
    )
    honey = Engagement(tweet_id="2", kind="tweet", text="why is honey so slow? its molecules are clingy")
    clip = "Because the particles are so far apart, gases have low density and are highly compressible."
    assert cite([chance, honey], clip, matter)[0] == honey


def test_an_explanation_quotes_a_mention_inside_a_sentence_but_not_the_accounts_a_reply_opens_with() -> None:
    clip = Clip(video_id="v1", interest="Kilns", start_s=0, end_s=60, quote="the kiln cools slowly", score=1.0)
    advice = Engagement(tweet_id="1", kind="tweet", text="fix according to @kiln_kate: cool it slowly overnight")
    reply = Engagement(tweet_id="2", kind="reply", text="@kiln_kate @potter_bo cooled it slowly, no cracks!")
    assert '"fix according to @kiln_kate: cool it slowly overnight"' in explanation_text(clip, [advice])
    text = explanation_text(clip, [reply])
    assert '"cooled it slowly, no cracks!"' in text and "@" not in text


@pytest.mark.parametrize(
    ("kind", "verb", "noun"),
    [
        ("tweet", "You posted", "your post"),
        ("reply", "You replied", "your reply"),
        ("quote", "You quoted", "your quote post"),
        ("retweet", "You reposted", "a post you reposted"),
        ("like", "You liked", "a post you liked"),
    ],
)
def test_explanations_vary_their_opening_and_say_how_the_user_engaged(kind: str, verb: str, noun: str) -> None:
    post = Engagement(tweet_id="1", kind=kind, text="Levain timing decides the whole bake", weight=1.0)  # type: ignore[arg-type]
    texts = [
        explanation_text(
            Clip(video_id=f"v{i}", interest="Sourdough", start_s=0, end_s=60, quote="the levain peaks", score=1.0),
            [post],
        )
        for i in range(8)
    ]
    assert len({t.split()[0] for t in texts}) >= 3  # openings differ from item to item
    assert all("Levain timing decides the whole bake" in t for t in texts)
    assert all(verb.lower() in t.lower() or f" {noun}: " in t or f"from {noun} " in t for t in texts)  # verb or noun
    assert any(f"from {noun} " in t for t in texts), texts  # "Picking up from your reply", never "you replied it"
    assert not any("what you" in t for t in texts), texts  # never "what you quoted a post with"


def test_a_second_cited_post_is_worded_apart_from_item_to_item_and_says_what_it_was() -> None:
    first = Engagement(tweet_id="1", kind="tweet", text="Levain timing decides the whole bake", weight=1.0)
    liked = Engagement(tweet_id="2", kind="like", text="Autolyse first, salt later", weight=1.0)
    texts = [
        explanation_text(
            Clip(video_id=f"video{i}", interest="Sourdough", start_s=0, end_s=60, quote="the levain peaks", score=1.0),
            [first, liked],
        )
        for i in range(16)
    ]
    closings = {t[: t.index('"Autolyse')].rsplit('"', 1)[-1] for t in texts}  # the words leading to the 2nd post
    assert len(closings) >= 3, closings  # not one sentence repeated under every clip
    assert all("a post you liked" in t.lower() and "Autolyse first, salt later" in t for t in texts)
    question = first.model_copy(update={"text": "Why does levain timing decide the whole bake?"})
    asked_twice = explanation_text(
        Clip(video_id="v", interest="Sourdough", start_s=0, end_s=60, quote="the levain peaks", score=1.0),
        [question, liked.model_copy(update={"kind": "reply", "text": "so is it the salt?"})],
    )
    assert "your other question" in asked_twice.lower()


def test_a_long_question_cut_off_before_its_question_mark_is_still_a_question() -> None:
    asked = Engagement(
        tweet_id="1",
        kind="tweet",
        text="Question for people who bake every day: if the levain peaks two hours before the dough is mixed, "
        "what exactly happens to the rise, and is it worth waking up for?",
        weight=1.0,
    )
    clip = Clip(video_id="v0", interest="Sourdough", start_s=0, end_s=60, quote="the levain peaks", score=1.0)
    text = explanation_text(clip, [asked])
    assert "?" not in text.split('"')[1]  # the excerpt stops before the question mark
    assert "you asked" in text.lower() and "takes it up" in text, text
    # the words a question shares with a clip show what the clip is about, not that it settles the question
    worded = [explanation_text(clip.model_copy(update={"video_id": f"v{i}"}), [asked]) for i in range(8)]
    assert len({t.split('"')[2] for t in worded}) >= 3, worded  # the wording turns from clip to clip ...
    assert not any("answer" in t for t in worded), worded  # ... and never claims more than the shared words show
    # a statement shown in the excerpt, with a question only in a later sentence, is no question
    told = asked.model_copy(
        update={
            "text": "Today I learned that a levain which peaks two hours before the dough is mixed still raises "
            "the loaf, only slower, and the crumb comes out tighter. Who knew? Not me."
        }
    )
    text = explanation_text(clip, [told])
    assert "you posted" in text.lower() and "asked" not in text and "question" not in text, text


# --- instructions ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "exclusions", "level", "length"),
    [
        ("Please, no more videos about sailing for a while — I'm burned out on it.", ("sailing",), None, None),
        ("nothing about crypto", ("crypto",), None, None),
        ("no politics please", ("politics",), None, None),
        ("Stop showing me videos about celebrity gossip.", ("celebrity gossip",), None, None),
        ("I'm a beginner in statistics", (), "beginner", None),
        ("beginner-friendly videos please, I like gentle introductions", (), "beginner", None),
        ("advanced only", (), "advanced", None),
        ("I'm not a beginner, skip the basics", (), "advanced", None),
        ("short clips", (), None, "short"),
        ("I'd like longer clips", (), None, "long"),
        ("Give sourdough a rest for a few weeks, I've had my fill of it lately.", ("sourdough",), None, None),
        ("enough crypto for now", ("crypto",), None, None),
        ("less sailing please", ("sailing",), None, None),
        ("No knitting this month, please.", ("knitting",), None, None),
        ("no more golf today", ("golf",), None, None),
        ("skip anything about crypto please", ("crypto",), None, None),
    ],
)
def test_parse_instructions(text: str, exclusions: tuple[str, ...], level: str | None, length: str | None) -> None:
    plan = parse_instructions(text)
    assert plan.exclusions == exclusions
    assert plan.level == level
    assert plan.clip_length == length
    assert plan.applied and not plan.unsupported


@pytest.mark.parametrize(
    ("text", "longest", "shortest", "exclusions"),
    [
        ("no more golf, and nothing longer than 20 minutes", 1200, None, ("golf",)),
        ("no golf, nothing over an hour", 3600, None, ("golf",)),
        ("only videos under 15 min", 900, None, ()),
        ("no more than half an hour", 1800, None, ()),
        ("Nothing longer than 1.5 hours.", 5400, None, ()),
        ("no videos shorter than 5 minutes", None, 300, ()),
        ("at least 10 minutes long please", None, 600, ()),
        ("videos longer than 10 minutes only, but under 2 hours", 7200, 600, ()),
        ("No more woodworking, and nothing longer than 4 and a half minutes.", 270, None, ("woodworking",)),
        ("nothing longer than an hour and a half", 5400, None, ()),
    ],
)
def test_a_video_length_is_a_bound_not_a_topic(
    text: str, longest: float | None, shortest: float | None, exclusions: tuple[str, ...]
) -> None:
    """ "Nothing longer than 20 minutes" says how long a video may be; it excludes no topic called "longer"."""
    plan = parse_instructions(text)
    assert (plan.max_duration_s, plan.min_duration_s) == (longest, shortest)
    assert plan.exclusions == exclusions
    assert not plan.unsupported
    said = " ".join(plan.applied)
    assert longest is None or f"longer than {spoken_duration(longest)}" in said, said
    assert shortest is None or f"shorter than {spoken_duration(shortest)}" in said, said


def test_a_length_the_reader_cannot_make_out_excludes_no_topic() -> None:
    plan = parse_instructions("nothing longer than a couple of minutes")
    assert plan.exclusions == () and plan.max_duration_s is None
    assert plan.unsupported == ["nothing longer than a couple of minutes"]


def test_lengths_read_as_a_person_says_them() -> None:
    assert [spoken_duration(s) for s in (60, 1200, 1800, 3600, 5400, 7200)] == [
        "1 minute",
        "20 minutes",
        "30 minutes",
        "1 hour",
        "1.5 hours",
        "2 hours",
    ]


def test_a_level_with_a_style_to_avoid_excludes_no_topic() -> None:
    """ "No heavy proofs" next to a level says how a video should explain, not which topic to drop."""
    plan = parse_instructions("I'm new to this, so beginner-friendly videos please: intuition first, no heavy proofs.")
    assert plan.level == "beginner"
    assert plan.exclusions == ()
    assert plan.avoided == ("heavy proofs",)
    assert not plan.unsupported


def test_unsupported_instructions_are_reported() -> None:
    plan = parse_instructions("No crypto. Only show videos in French. Make the feed purple.")
    assert plan.exclusions == ("crypto",)
    assert plan.applied == ['excluding videos about "crypto"']
    assert plan.unsupported == ["Only show videos in French", "Make the feed purple"]


def test_engine_exposes_the_plan_it_applies(engine: LocalEngine) -> None:
    plan = engine.plan(Preferences(instructions="no more videos about sailing; prefer talks over podcasts"))
    assert plan.exclusions == ("sailing",)
    assert plan.preferred == ("talks",) and plan.avoided == ("podcasts",)


def test_repeated_too_basic_votes_set_an_advanced_level(engine: LocalEngine) -> None:
    vote = FeedbackSignal(video_id="v", title="Intro", channel="c", interest="x", vote=-1, reason="too_basic")
    plan = engine.plan(Preferences(feedback=[vote, vote.model_copy(update={"video_id": "w"})]))
    assert plan.level == "advanced"
    assert any("feedback" in line for line in plan.applied)
    assert engine.plan(Preferences(instructions="I'm a beginner", feedback=[vote, vote])).level == "beginner"
