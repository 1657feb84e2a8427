"""Talks the clip stage leaves out: closer to what the user posted long ago than to what they post now, or about a
subject they asked to see no more of, in all but name."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.pipeline import stages
from app.pipeline.exclusions import excluded_topics
from app.pipeline.moved_on import MOVED_ON_REASON, PastAndPresent, old_subject_reason
from app.pipeline.stages import Engines
from app.schemas import Candidate, Engagement, Interest, InterestControls, Preferences, Segment, TranscriptData
from tests.eval_harness import REAL_SET, labels, run_persona
from tests.fakes import ScriptedLLM, fake_video
from tests.test_stages import Recorder, interest

NOW = datetime(2026, 11, 20, tzinfo=UTC)
THEN = [  # two years before: the person followed beekeeping then
    "the varroa mites still scare me every autumn, too many weak colonies",
    "swarm cells are where my beekeeping seasons go to die",
    "studying beekeeping and opening the hives every weekend this month",
]
NOW_POSTS = [  # what they post about now
    "my sourdough levain peaked early again, the crumb came out tight",
    "bulk fermentation at 24 degrees, the dough doubled in five hours",
    "shaping the sourdough loaf tighter fixed the flat crumb",
]


def posts(*, then: bool = True, dated: bool = True) -> list[Engagement]:
    texts = [(t, NOW - timedelta(days=730 + i)) for i, t in enumerate(THEN)] if then else []
    texts += [(t, NOW - timedelta(days=i)) for i, t in enumerate(NOW_POSTS)]
    return [
        Engagement(tweet_id=str(i), kind="tweet", text=t, created_at=at if dated else None)
        for i, (t, at) in enumerate(texts)
    ]


def talk(*lines: str) -> TranscriptData:
    segments = [Segment(text=line, start=i * 5.0, duration=5.0) for i, line in enumerate(lines * 4)]
    return TranscriptData(video_id="v", language_code="en", is_generated=True, segments=segments)


HIVES = talk("in the autumn varroa mites weaken the colonies", "swarm cells decide many beekeeping seasons")
BREAD = talk(  # a word or two of the old posts ("studying", "open") do not make it about them
    "the levain is ready when it has doubled",
    "a tight crumb means the sourdough was underproofed",
    "studying the open crumb",
)


def test_a_talk_on_what_the_user_posted_long_ago_has_moved_on_one_on_what_they_post_now_has_not() -> None:
    both = PastAndPresent.of(posts())
    assert both.moved_on(HIVES)
    assert not both.moved_on(BREAD)
    assert not both.moved_on(talk("the weather in lisbon was lovely all week"))  # close to neither


def test_a_talk_named_after_what_the_user_posted_long_ago_has_moved_on_whatever_its_words() -> None:
    both = PastAndPresent.of(posts())
    shared = talk("the dough and the crumb, the levain and the loaf")  # the talk itself reads like the recent posts
    assert not both.moved_on(shared)
    assert both.moved_on(shared, title="Swarm cells for club members")  # two words of the old posts
    assert not both.moved_on(shared, title="Swarm and levain: a sourdough crumb study")  # more of the recent ones
    assert not both.moved_on(shared, title="Swarm takes the crumb")  # one word says nothing


def test_without_posts_of_long_ago_or_without_dates_nothing_has_moved_on() -> None:
    assert not PastAndPresent.of(posts(then=False)).moved_on(HIVES)
    assert not PastAndPresent.of(posts(dated=False)).moved_on(HIVES)
    assert not PastAndPresent.of([]).moved_on(HIVES)


def test_the_clip_stage_leaves_such_a_talk_out_unless_the_user_chose_its_interest() -> None:
    hives, bread = fake_video("hives", "beekeeping"), fake_video("bread", "bread")
    cands = [
        hives.candidate.model_copy(update={"interest": "Beekeeping"}),
        bread.candidate.model_copy(update={"interest": "Bread"}),
    ]
    texts = [HIVES.model_copy(update={"video_id": "hives"}), BREAD.model_copy(update={"video_id": "bread"})]
    found = [interest("Beekeeping"), interest("Bread")]
    progress = Recorder()
    stages.clips(Engines(ScriptedLLM()), cands, texts, found, posts(), Preferences(), progress)
    assert progress.reason_for("hives") == MOVED_ON_REASON
    assert MOVED_ON_REASON not in progress.reason_for("bread")

    pinned = Preferences(interests=InterestControls(pinned=[found[0]]))
    progress = Recorder()
    stages.clips(Engines(ScriptedLLM()), cands, texts, found, posts(), pinned, progress)
    assert MOVED_ON_REASON not in progress.reason_for("hives")


def test_the_clip_stage_leaves_out_a_talk_tied_to_an_interest_of_long_ago_unless_the_user_pinned_it() -> None:
    """An interest far lighter than the rest only fills the list of interests: a talk screening tied to it has no
    clip, though its words are closer to what the user posts now than to the old posts, and the log says how to
    bring its clips back."""
    bread = fake_video("bread", "bread").candidate.model_copy(update={"interest": "Beekeeping"})
    texts = [BREAD.model_copy(update={"video_id": "bread"})]
    found = [interest("Sourdough"), interest("Beekeeping", weight=0.02)]
    assert not PastAndPresent.of(posts()).moved_on(BREAD)
    llm, progress = ScriptedLLM(), Recorder()
    assert stages.clips(Engines(llm), [bread], texts, found, posts(), Preferences(), progress) == []
    assert progress.reason_for("bread") == old_subject_reason("Beekeeping")
    assert "pin it" in old_subject_reason("Beekeeping")
    assert llm.calls["clip"] == 0

    pinned = Preferences(interests=InterestControls(pinned=[found[1]]))
    llm, progress = ScriptedLLM(), Recorder()
    stages.clips(Engines(llm), [bread], texts, found, posts(), pinned, progress)
    assert llm.calls["clip"] == 1  # the talk's passages are read
    assert progress.reason_for("bread") != old_subject_reason("Beekeeping")


def test_on_real_captions_no_feed_shows_a_subject_its_persona_left_behind() -> None:
    """Each persona of the real-caption set posted on a subject two years ago and no more: none of its videos."""
    spec = labels(REAL_SET)
    for persona, wanted in spec["personas"].items():
        topics = {spec["videos"].get(item.video_id, {}).get("topic") for item in run_persona(persona, REAL_SET).feed}
        assert not topics & set(wanted["stale_topics"]), persona


def excluding(
    instructions: str, cands: list[Candidate], texts: list[TranscriptData], one: Interest, items: list[Engagement]
) -> Recorder:
    """What the clip stage logged for these talks, all of one interest, under these instructions."""
    prefs = Preferences(instructions=instructions)
    progress = Recorder()
    stages.clips(Engines(ScriptedLLM()), cands, texts, [one], items, prefs, progress, topics=excluded_topics(prefs))
    return progress


def test_the_clip_stage_leaves_out_a_talk_about_an_excluded_subject_that_never_names_it() -> None:
    """ "No more astronomy": a talk on moons and orbits stands out among the run's talks on other things."""
    sky = talk("jupiter has dozens of moons and the largest ones orbit in resonance", "the moon and planets orbit")
    others = [
        talk("the levain is ready when it has doubled", "a tight crumb means the dough was underproofed"),
        talk("glue the tenon and clamp it square", "plane the board along the grain"),
        talk("the striker pressed high and won the ball back", "a late goal settled the match"),
        talk("prune the roses in late winter", "compost feeds the soil through the summer"),
        talk("the sonata opens in a minor key", "the pianist slowed the final bars"),
        talk("interest rates rose and mortgages got dearer", "inflation eased over the year"),
        talk("the marathon pace felt easy until the last miles", "stretch the calves after a long run"),
    ]
    names = ["sky", "bread", "joinery", "football", "garden", "piano", "money", "running"]
    cands = [fake_video(n, n).candidate.model_copy(update={"interest": "Everything"}) for n in names]
    texts = [t.model_copy(update={"video_id": n}) for t, n in zip([sky, *others], names, strict=True)]
    progress = excluding("No more astronomy, please.", cands, texts, interest("Everything"), posts())
    assert "astronomy" in progress.reason_for("sky") and "no more of" in progress.reason_for("sky")
    assert all("astronomy" not in progress.reason_for(n) for n in names[1:])


def test_the_clip_stage_says_a_talk_that_names_an_excluded_subject_again_and_again_is_about_it() -> None:
    """ "No more beekeeping": a talk titled for something else that keeps saying beekeeping is left out, and the log
    says why."""
    chatty = talk("my beekeeping club meets on tuesdays", "we argue about beekeeping gear all evening")
    lines = ["the levain is ready when it has doubled", "a tight crumb means the dough was underproofed"] * 3
    lines.insert(2, "unlike beekeeping, baking forgives a late move")  # said once, in passing
    once = TranscriptData(
        video_id="once",
        language_code="en",
        is_generated=True,
        segments=[Segment(text=line, start=i * 5.0, duration=5.0) for i, line in enumerate(lines)],
    )
    cands = [
        fake_video(n, n).candidate.model_copy(update={"interest": "Bread", "title": "Weekend notes"})
        for n in ("chatty", "once")
    ]
    texts = [chatty.model_copy(update={"video_id": "chatty"}), once.model_copy(update={"video_id": "once"})]
    progress = excluding("no more beekeeping", cands, texts, interest("Bread"), posts(then=False))
    assert progress.reason_for("chatty") == "names “beekeeping” again and again, which you asked to see no more of"
    assert "beekeeping" not in progress.reason_for("once")
