"""Interest controls: the history of choices, and the next run honouring pins, mutes, names, additions, exclusions."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.demo import SAMPLE_ARCHIVE
from app.llm.local import LocalEngine
from app.models import Interest as InterestRow
from app.models import User
from app.pipeline import stages
from app.pipeline.diversity import PER_INTEREST, interest_cap
from app.pipeline.engagement import build_engagement
from app.pipeline.exclusions import excluded_topics, interest_excluded, video_excluded
from app.schemas import Candidate, Engagement, Interest, InterestControls, Preferences
from app.services.interest_controls import (
    InterestChoiceError,
    choice_sentence,
    interest_choices,
    interest_choose,
    interest_controls,
    interests_overview,
)
from app.services.preferences import instructions_set
from app.sources.x_archive import ArchiveLimits, parse_archive
from tests.eval_harness import Progress
from tests.fakes import fake_video
from tests.test_runner import Pipeline, notes, skipped


@pytest.fixture
def sessions(session: Session) -> sessionmaker[Session]:
    return sessionmaker(bind=session.connection(), join_transaction_mode="create_savepoint", expire_on_commit=False)


@pytest.fixture
def pipeline(session: Session, sessions: sessionmaker[Session], user: User) -> Pipeline:
    return Pipeline(session, sessions, user)


def run_interests(pipeline: Pipeline, run_id: int) -> list[str]:
    rows = pipeline.session.scalars(
        select(InterestRow).where(InterestRow.run_id == run_id).order_by(InterestRow.position)
    )
    return [row.name for row in rows]


# -- the history of choices ----------------------------------------------------------------


def test_choices_replay_into_the_state_the_page_shows(pipeline: Pipeline) -> None:
    pipeline.run()
    session, user = pipeline.session, pipeline.user
    interest_choose(session, user=user, action="pin", name="Beekeeping")
    interest_choose(session, user=user, action="mute", name="bonsai")
    interest_choose(session, user=user, action="rename", name="beekeeping", new_name="Hive study")
    interest_choose(session, user=user, action="add", name="Category theory for programmers")
    shown = {s.name: s.state for s in interests_overview(session, user=user)}
    assert shown == {"Hive study": "pinned", "bonsai": "muted", "Category theory for programmers": "added"}
    interest_choose(session, user=user, action="unmute", name="Bonsai")
    assert {s.name: s.state for s in interests_overview(session, user=user)}["bonsai"] == "inferred"
    history = [choice_sentence(c) for c in interest_choices(session, user=user)]
    assert history[0] == "Unmuted “Bonsai”"
    assert "Renamed “beekeeping” to “Hive study”" in history
    assert len(history) == 5


@pytest.mark.parametrize(
    ("action", "name", "new_name", "message"),
    [
        ("pin", "knitting", "", "no interest called"),
        ("add", "  ", "", "Give the interest a name"),
        ("add", "beekeeping", "", "already one of your interests"),
        ("rename", "beekeeping", "bonsai", "already the name of another interest"),
        ("rename", "beekeeping", "x" * 121, "120 characters"),
        ("explode", "beekeeping", "", "Unknown choice"),
    ],
)
def test_a_choice_that_cannot_be_made_says_why_and_records_nothing(
    pipeline: Pipeline, action: str, name: str, new_name: str, message: str
) -> None:
    pipeline.run()
    with pytest.raises(InterestChoiceError, match=message):
        interest_choose(pipeline.session, user=pipeline.user, action=action, name=name, new_name=new_name)
    assert interest_choices(pipeline.session, user=pipeline.user) == []


# -- the next run honours them ---------------------------------------------------------------


def test_the_next_run_leaves_out_a_muted_interest_and_says_so(pipeline: Pipeline) -> None:
    pipeline.run()
    interest_choose(pipeline.session, user=pipeline.user, action="mute", name="beekeeping")
    second = pipeline.run()
    assert second.status == "succeeded", second.error
    assert run_interests(pipeline, second.id) == ["bonsai"]
    assert "Left out your muted interest “beekeeping”." in notes(second)
    assert skipped(second, "interests")["beekeeping"] == "you muted this interest"


def test_a_pinned_interest_stays_even_when_the_posts_no_longer_raise_it(pipeline: Pipeline) -> None:
    pipeline.run()
    interest_choose(pipeline.session, user=pipeline.user, action="pin", name="bonsai")
    bees_only = [Interest(name="beekeeping", description="", weight=1.0, evidence_tweet_ids=pipeline.tweet_ids[:2])]
    pipeline.llm.interests = bees_only
    pipeline.video_source.queries.clear()
    second = pipeline.run()
    assert run_interests(pipeline, second.id) == ["bonsai", "beekeeping"]
    assert any(n.startswith("Kept your pinned interest “bonsai”, as you last saw it") for n in notes(second))
    assert "bonsai" in pipeline.video_source.queries  # searched for, as pinned


def test_a_renamed_interest_keeps_the_users_name_in_the_run_and_the_feed(pipeline: Pipeline) -> None:
    pipeline.run()
    interest_choose(pipeline.session, user=pipeline.user, action="rename", name="beekeeping", new_name="Hive study")
    pipeline.llm.queries = lambda interests, prefs: [
        stages.SearchQuery(interest=i.name, query="beekeeping" if i.name == "Hive study" else i.name) for i in interests
    ]
    pipeline.videos.append(fake_video("bees9", "beekeeping"))
    second = pipeline.run()
    assert run_interests(pipeline, second.id) == ["Hive study", "bonsai"]
    assert "Called “beekeeping” “Hive study”, as you renamed it." in notes(second)
    assert [r.interest for r in pipeline.recommendations(second.id)] == ["Hive study"]


def test_an_interest_added_in_own_words_is_shown_by_the_posts_that_name_it(pipeline: Pipeline) -> None:
    pipeline.run()
    interest_choose(pipeline.session, user=pipeline.user, action="add", name="Varroa treatments")
    second = pipeline.run()
    names = run_interests(pipeline, second.id)
    assert names[0] == "Varroa treatments"
    row = pipeline.session.scalar(
        select(InterestRow).where(InterestRow.run_id == second.id, InterestRow.name == "Varroa treatments")
    )
    assert row is not None and row.evidence_tweet_ids == [pipeline.tweet_ids[1]]
    assert "Added your interest “Varroa treatments” in your own words; 1 of your posts touch on it." in notes(second)


def test_no_more_x_removes_the_interest_and_videos_about_it_by_its_own_terms(pipeline: Pipeline) -> None:
    keyworded = [
        Interest(name="beekeeping", description="", weight=1.0, evidence_tweet_ids=pipeline.tweet_ids[:2]),
        Interest(
            name="bonsai",
            description="",
            weight=0.5,
            evidence_tweet_ids=pipeline.tweet_ids[2:4],
            keywords=["bonsai", "junipers", "nebari"],
        ),
    ]
    pipeline.llm.interests = keyworded
    pipeline.run()
    # A video that never says "bonsai" but names two of the interest's own keywords.
    pipeline.videos.append(fake_video("dusk", "beekeeping", title="Beekeeping break: junipers and nebari at dusk"))
    instructions_set(pipeline.session, user=pipeline.user, text="no more bonsai please")
    second = pipeline.run()
    assert run_interests(pipeline, second.id) == ["beekeeping"]
    removed = "Removed your interest “bonsai” and every video about it, as you asked for no more “bonsai”."
    assert removed in notes(second)
    assert skipped(second, "interests")["bonsai"] == "you asked for no more “bonsai”"
    assert "which you asked to see no more of" in skipped(second, "screen")["dusk"]
    assert all(r.video_id != "dusk" for r in pipeline.recommendations(second.id))


def test_controls_for_a_resumed_run_ignore_its_own_interests(pipeline: Pipeline) -> None:
    first = pipeline.run()
    interest_choose(pipeline.session, user=pipeline.user, action="rename", name="bonsai", new_name="Pruning")
    controls = interest_controls(pipeline.session, user_id=pipeline.user.id, run_id=first.id)
    assert controls.previous == []
    controls = interest_controls(pipeline.session, user_id=pipeline.user.id)
    assert [i.name for i in controls.previous] == ["beekeeping", "Pruning"]


# -- feed size and search depth --------------------------------------------------------------


def test_the_per_interest_cap_scales_with_the_feed_and_lets_few_interests_fill_it() -> None:
    assert interest_cap(10, 8) == PER_INTEREST
    assert interest_cap(20, 8) == 2 * PER_INTEREST
    assert interest_cap(10, 3) * 3 >= 10
    assert interest_cap(50, 2) * 2 >= 50


def test_fewer_interests_search_deeper_and_many_keep_the_usual_depth() -> None:
    usual = stages.search_depth(10, 8)
    assert (usual.queries_per_interest, usual.results_per_query) == (
        stages.MAX_QUERIES_PER_INTEREST,
        stages.SEARCH_LIMIT,
    )
    few, one = stages.search_depth(20, 3), stages.search_depth(20, 1)
    assert few.deeper and one.deeper
    assert one.queries_per_interest * one.results_per_query > few.queries_per_interest * few.results_per_query
    assert one.results_per_query <= stages.MAX_RESULTS_PER_QUERY


def test_the_local_engine_writes_more_queries_from_an_interests_keywords() -> None:
    interest = Interest(
        name="beekeeping", description="", weight=1.0, evidence_tweet_ids=[], keywords=["varroa mites", "swarms"]
    )
    more = LocalEngine().more_queries(interest, ["beekeeping"], 3)
    assert more == ["beekeeping varroa mites", "beekeeping swarms", "varroa mites swarms"]
    assert LocalEngine().more_queries(interest, ["beekeeping"], 1) == more[:1]


def test_more_queries_leave_out_keywords_of_words_every_text_uses() -> None:
    """ "need" or "right" in a query finds anything, chatter included: they never make one."""
    keywords = ["varroa mites", "need", "right", "swarms", "right time"]
    interest = Interest(name="beekeeping", description="", weight=1.0, evidence_tweet_ids=[], keywords=keywords)
    more = LocalEngine().more_queries(interest, ["beekeeping"], 10)
    assert more == ["beekeeping varroa mites", "beekeeping swarms", "varroa mites swarms"]


def test_the_local_engine_reads_an_added_interest_against_the_posts() -> None:
    posts = [
        Engagement(tweet_id="1", kind="tweet", text="Category theory finally clicked for me as a programmer"),
        Engagement(tweet_id="2", kind="tweet", text="Lunch was good"),
    ]
    interest = LocalEngine().interest_from_text("Category theory for programmers", posts)
    assert interest.evidence_tweet_ids == ["1"]
    assert interest.keywords[0] == "Category theory for programmers"


def test_a_video_is_about_an_excluded_topic_by_its_words_or_two_of_the_removed_interests_keywords() -> None:
    bonsai = Interest(
        name="Penjing", description="", weight=1.0, evidence_tweet_ids=[], keywords=["bonsai", "junipers", "nebari"]
    )
    prefs = Preferences(
        instructions="no more bonsai", interests=InterestControls(previous=[bonsai, beekeeping_interest()])
    )
    topics = excluded_topics(prefs)
    assert [(t.phrase, t.interests) for t in topics] == [("bonsai", ("Penjing",))]

    def video(title: str) -> Candidate:
        return Candidate(video_id="v", title=title, description="")

    assert video_excluded(video("Bonsai of Kyoto"), topics) is not None  # the phrase
    assert video_excluded(video("A year of penjing"), topics) is not None  # the removed interest's name
    assert video_excluded(video("Junipers and nebari up close"), topics) is not None  # two of its keywords
    assert video_excluded(video("Juniper berries in gin, explained"), topics) is None  # one keyword is not enough
    assert video_excluded(video("Varroa mites"), topics) is None
    assert interest_excluded(bonsai, topics) is not None and interest_excluded(beekeeping_interest(), topics) is None


def beekeeping_interest() -> Interest:
    return Interest(name="Beekeeping", description="", weight=1.0, evidence_tweet_ids=[], keywords=["varroa mites"])


def test_an_interest_whose_own_words_all_but_say_the_exclusion_is_removed_with_its_videos() -> None:
    wood = Interest(
        name="End grain",
        description="",
        weight=1.0,
        evidence_tweet_ids=[],
        keywords=["end grain", "wood movement", "chisel", "honing"],
    )
    bread = Interest(
        name="Oven spring", description="", weight=1.0, evidence_tweet_ids=[], keywords=["oven spring", "lid", "steam"]
    )
    prefs = Preferences(instructions="no more woodworking", interests=InterestControls(previous=[wood, bread]))
    topics = excluded_topics(prefs)
    assert [(t.phrase, t.interests) for t in topics] == [("woodworking", ("End grain",))]
    assert interest_excluded(wood, topics) is not None and interest_excluded(bread, topics) is None
    assert video_excluded(Candidate(video_id="v", title="Honing a chisel on end grain"), topics) is not None
    # A word the interest does not all but say is no match: "carpentry" shares no near twin with it.
    assert excluded_topics(prefs.model_copy(update={"instructions": "no more carpentry"}))[0].interests == ()


def test_a_first_run_removes_the_interest_the_exclusion_names_in_other_words_and_says_so() -> None:
    items = build_engagement(
        list(
            parse_archive(
                SAMPLE_ARCHIVE.read_bytes(), limits=ArchiveLimits(max_uncompressed_bytes=1 << 24, max_members=100)
            ).items
        )
    )
    user_tweet_ids = {e.tweet_id for e in items}
    engines = stages.Engines(primary=LocalEngine())

    def interests(instructions: str) -> tuple[list[Interest], Progress]:
        prefs, progress = Preferences(instructions=instructions), Progress()
        found = stages.interests(
            engines, items, prefs, progress, user_tweet_ids=user_tweet_ids, topics=excluded_topics(prefs)
        )
        return found, progress

    before, _ = interests("")
    [woodwork] = [i for i in before if "chisel" in i.keywords]  # the posts never say "woodworking"
    after, progress = interests("No more woodworking for now.")
    assert woodwork.name not in [i.name for i in after] and len(after) == len(before) - 1
    removed = (
        f"Removed your interest “{woodwork.name}” and every video about it, as you asked for no more “woodworking”."
    )
    assert removed in progress.notes
