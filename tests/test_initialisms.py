"""“No more GIS”: an initialism in the instructions also rules out what spells it out in full."""

from __future__ import annotations

import re

import pytest

from app.llm.local import LocalEngine, parse_instructions
from app.pipeline import stages
from app.pipeline.exclusions import excluded_topics, interest_excluded, talk_names, video_excluded
from app.schemas import Candidate, Interest, InterestControls, Preferences, Segment, TranscriptData
from app.text import holds_terms, initialism, initials_of, spelled_out
from tests.eval_harness import REAL_SET, Progress, labels, run_stages


@pytest.mark.parametrize("term", ["gis", "epc", "rov"])
def test_a_rare_short_term_reads_as_an_initialism(term: str) -> None:
    assert initialism(term)


@pytest.mark.parametrize("term", ["knit", "bread", "ml", "ai", "photosynthesis"])
def test_words_and_two_letter_terms_are_no_initialisms(term: str) -> None:
    assert not initialism(term)


def test_an_initialism_is_spelled_out_by_words_whose_initials_make_it() -> None:
    assert spelled_out("gis", "Geographic information systems - raster layers")
    assert spelled_out("epc", "Cooking with an electric pressure cooker")
    assert not spelled_out("gis", "Geographic systems of information")
    assert not spelled_out("nlp", "we need less pressure on the dough")  # "need" is filler, not a name


def test_holds_terms_accepts_the_spelled_out_form_of_an_initialism_only() -> None:
    assert holds_terms("Field surveys for geographic information systems", ["survey", "gis"])
    assert not holds_terms("Field surveys for wildflowers", ["survey", "gis"])
    assert not holds_terms("Bread and bakeries", ["breadmaking"])


def test_a_name_of_several_words_is_also_held_by_its_initials_with_at_most_one_word_in_front() -> None:
    assert initials_of("epc", ["pressur", "cooker"])  # electric pressure cooker
    assert initials_of("wys", ["wild", "yeast", "starter"])
    assert not initials_of("xepc", ["pressur", "cooker"])  # two words in front: anything could end so
    assert not initials_of("epc", ["pressur"])  # one letter is no initialism
    assert not initials_of("dog", ["open", "garden"])  # a word people write as a word
    assert holds_terms("Cooking beans in an EPC", ["pressur", "cooker"])
    assert not holds_terms("Beans soaked overnight in a pot", ["pressur", "cooker"])


def test_the_plan_excludes_a_video_that_gives_the_topic_by_its_initials_only() -> None:
    plan = parse_instructions("No pressure cookers this month, please.")
    assert plan.excludes("Cooking beans in an EPC") == "pressure cookers"
    assert plan.excludes("Slow cookers, one stew at a time") is None


def test_the_plan_excludes_a_text_that_spells_out_the_initialism_and_keeps_its_casing() -> None:
    plan = parse_instructions("Please, no more GIS for a while.")
    assert plan.exclusions == ("GIS",)
    assert plan.excludes("Geographic information systems - map projections") == "GIS"
    assert plan.excludes("Why GIS maps need datums") == "GIS"
    assert plan.excludes("Surveying with a total station") is None


def test_an_interest_and_a_video_named_in_full_fall_under_the_initialism() -> None:
    maps = Interest(name="Geographic information systems", description="", weight=1.0, evidence_tweet_ids=[])
    sketching = Interest(name="Urban sketching", description="", weight=1.0, evidence_tweet_ids=[])
    prefs = Preferences(instructions="no more GIS", interests=InterestControls(previous=[maps, sketching]))
    topics = excluded_topics(prefs)
    assert [(t.phrase, t.interests) for t in topics] == [("GIS", ("Geographic information systems",))]
    assert interest_excluded(maps, topics) is not None and interest_excluded(sketching, topics) is None
    spelled = Candidate(video_id="a", title="Geographic information systems - raster layers")
    assert video_excluded(spelled, topics) is not None
    assert video_excluded(Candidate(video_id="b", title="Urban sketching - perspective"), topics) is None


def test_an_exclusion_reads_initials_in_the_order_its_words_are_said() -> None:
    """ "ROV" holds the initials of "remote operated vehicles" read in order: in any other order (a set's, which
    changes from one process to the next) it would not."""
    topics = excluded_topics(Preferences(instructions="No more remote operated vehicles."))
    assert topics[0].names[0] == ("remot", "operat", "vehicl")
    assert video_excluded(Candidate(video_id="a", title="Piloting ROVs under the ice"), topics) is not None
    starters = excluded_topics(Preferences(instructions="give wild yeast starters a rest"))
    described = Candidate(video_id="b", title="Bread", description="Baking with a WYS, start to finish.")
    assert video_excluded(described, starters) is not None
    assert video_excluded(Candidate(video_id="c", title="Bread", description="Start to finish."), starters) is None


def test_a_talk_that_names_an_excluded_topic_once_then_by_its_initials_names_it_again_and_again() -> None:
    topics = excluded_topics(Preferences(instructions="give wild yeast starters a rest"))
    lines = ["Today we bake with a wild yeast starter, WYS for short.", "Mix the flour and the water."]
    lines += ["The WYS matters here.", "Fold the dough every half hour.", "Feed the WYS the night before."]
    said = TranscriptData(
        video_id="v",
        language_code="en",
        is_generated=False,
        segments=[Segment(text=line, start=i * 5.0, duration=5.0) for i, line in enumerate(lines)],
    )
    named = talk_names(said, topics)
    assert named is not None and named.phrase == "wild yeast starters"
    once = said.model_copy(update={"segments": [*said.segments[:2], said.segments[3]]})
    assert talk_names(once, topics) is None


def test_screening_drops_a_video_that_spells_the_excluded_initialism_out() -> None:
    interest = Interest(name="Field surveys", description="", weight=1.0, evidence_tweet_ids=[], keywords=["survey"])
    candidates = [
        Candidate(video_id="full", title="Field surveys for geographic information systems", duration_s=900),
        Candidate(video_id="other", title="Field surveys for wildflower counts", duration_s=900),
    ]
    screened = LocalEngine().screen(candidates, [interest], Preferences(instructions="no GIS"))
    decisions = {d.video_id: d for d in screened}
    assert not decisions["full"].keep and "GIS" in decisions["full"].reason
    assert decisions["other"].keep


def test_on_real_captions_a_break_from_nlp_leaves_no_video_that_names_it_in_full() -> None:
    spelled = re.compile(r"natural\s+language\s+processing", re.IGNORECASE)
    videos = labels(REAL_SET)["videos"]
    engines = stages.Engines(primary=LocalEngine())
    before = run_stages(engines, "priya", REAL_SET, Progress())
    assert any(spelled.search(item.title) for item in before.feed)  # the persona follows it
    after = run_stages(engines, "priya", REAL_SET, Progress(), instructions="Please, no more NLP for a while.")
    assert after.feed
    assert not [item.title for item in after.feed if spelled.search(item.title)]
    assert not [i.name for i in after.found if spelled.search(i.name)]
    assert sum(videos[item.video_id]["topic"] == "neural_nlp" for item in after.feed) <= 1
