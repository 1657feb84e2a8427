"""“No more NLP”: an initialism in the instructions also rules out what spells it out in full."""

from __future__ import annotations

import re

import pytest

from app.llm.local import LocalEngine, parse_instructions
from app.pipeline import stages
from app.pipeline.exclusions import excluded_topics, interest_excluded, talk_names, video_excluded
from app.schemas import Candidate, Interest, InterestControls, Preferences, Segment, TranscriptData
from app.text import holds_terms, initialism, initials_of, spelled_out
from tests.eval_harness import REAL_SET, Progress, labels, run_stages


@pytest.mark.parametrize("term", ["nlp", "rbm", "gan"])
def test_a_rare_short_term_reads_as_an_initialism(term: str) -> None:
    assert initialism(term)


@pytest.mark.parametrize("term", ["chess", "bread", "ml", "ai", "photosynthesis"])
def test_words_and_two_letter_terms_are_no_initialisms(term: str) -> None:
    assert not initialism(term)


def test_an_initialism_is_spelled_out_by_words_whose_initials_make_it() -> None:
    assert spelled_out("nlp", "Natural language processing - word representations")
    assert spelled_out("rbm", "Training a restricted Boltzmann machine")
    assert not spelled_out("nlp", "Natural processing of language")
    assert not spelled_out("nlp", "we need less pressure on the dough")  # "need" is filler, not a name


def test_holds_terms_accepts_the_spelled_out_form_of_an_initialism_only() -> None:
    assert holds_terms("Neural networks for natural language processing", ["neural", "nlp"])
    assert not holds_terms("Neural networks for vision", ["neural", "nlp"])
    assert not holds_terms("Bread and bakeries", ["breadmaking"])


def test_a_name_of_several_words_is_also_held_by_its_initials_with_at_most_one_word_in_front() -> None:
    assert initials_of("rbm", ["boltzmann", "machin"])  # restricted Boltzmann machine
    assert initials_of("wys", ["wild", "yeast", "starter"])
    assert not initials_of("xrbm", ["boltzmann", "machin"])  # two words in front: anything could end so
    assert not initials_of("rbm", ["boltzmann"])  # one letter is no initialism
    assert not initials_of("ibm", ["boltzmann", "machin"])  # a name people write as a word
    assert holds_terms("Pretraining a deep network with RBMs", ["boltzmann", "machin"])
    assert not holds_terms("The one inequality behind stacking layers", ["boltzmann", "machin"])


def test_the_plan_excludes_a_video_that_gives_the_topic_by_its_initials_only() -> None:
    plan = parse_instructions("No Boltzmann machines this month, please.")
    assert plan.excludes("Pretraining a deep network with RBMs") == "Boltzmann machines"
    assert plan.excludes("Gibbs sampling, one variable at a time") is None


def test_the_plan_excludes_a_text_that_spells_out_the_initialism_and_keeps_its_casing() -> None:
    plan = parse_instructions("Please, no more NLP for a while.")
    assert plan.exclusions == ("NLP",)
    assert plan.excludes("Natural language processing - recursive networks") == "NLP"
    assert plan.excludes("Why NLP models need tokenizers") == "NLP"
    assert plan.excludes("Convolutional networks for vision") is None


def test_an_interest_and_a_video_named_in_full_fall_under_the_initialism() -> None:
    language = Interest(name="Natural language processing", description="", weight=1.0, evidence_tweet_ids=[])
    vision = Interest(name="Computer vision", description="", weight=1.0, evidence_tweet_ids=[])
    prefs = Preferences(instructions="no more NLP", interests=InterestControls(previous=[language, vision]))
    topics = excluded_topics(prefs)
    assert [(t.phrase, t.interests) for t in topics] == [("NLP", ("Natural language processing",))]
    assert interest_excluded(language, topics) is not None and interest_excluded(vision, topics) is None
    spelled = Candidate(video_id="a", title="Natural language processing - word representations")
    assert video_excluded(spelled, topics) is not None
    assert video_excluded(Candidate(video_id="b", title="Computer vision - pooling"), topics) is None


def test_an_exclusion_reads_initials_in_the_order_its_words_are_said() -> None:
    """ "MRF" holds the initials of "Markov random fields" read in order: in any other order (a set's, which
    changes from one process to the next) it would not."""
    topics = excluded_topics(Preferences(instructions="No more Markov random fields."))
    assert topics[0].names[0] == ("markov", "random", "field")
    assert video_excluded(Candidate(video_id="a", title="Learning MRFs from data"), topics) is not None
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
    interest = Interest(name="Neural networks", description="", weight=1.0, evidence_tweet_ids=[], keywords=["neural"])
    candidates = [
        Candidate(video_id="full", title="Neural networks for natural language processing", duration_s=900),
        Candidate(video_id="other", title="Neural networks for image recognition", duration_s=900),
    ]
    screened = LocalEngine().screen(candidates, [interest], Preferences(instructions="no NLP"))
    decisions = {d.video_id: d for d in screened}
    assert not decisions["full"].keep and "NLP" in decisions["full"].reason
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
