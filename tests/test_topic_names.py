"""Interests named after the videos screening tied to them, and the user's say over those names."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.llm.local import LocalEngine
from app.llm.local.naming import topic_names
from app.models import Interest as InterestRow
from app.models import User
from app.pipeline import stages
from app.pipeline.runner import execute_run
from app.pipeline.stages import Engines
from app.pipeline.steering import renamed_interest, steer_interests
from app.schemas import Candidate, Interest, InterestControls, Preferences, ScreenDecision
from app.services.runs import run_create, run_stage_results
from app.text import everyday, names_a_thing, terms, word_runs
from tests.eval_harness import Progress
from tests.fakes import FakeTranscriptSource, FakeVideoSource, ScriptedLLM, add_tweets, fake_video


def interest(name: str, *keywords: str) -> Interest:
    return Interest(name=name, description="", weight=1.0, evidence_tweet_ids=["1"], keywords=[name, *keywords])


def video(video_id: str, title: str, name: str, channel: str = "Open Lectures", description: str = "") -> Candidate:
    return Candidate(video_id=video_id, title=title, channel=channel, interest=name, description=description)


DICTIONARY = interest("Seafloor", "ridges", "magma")
ENERGY = interest("Night Sky", "brightness", "telescope")
KEPT = [
    video("a1", "Plate tectonics - how oceans open", "Seafloor"),
    video("a2", "Plate tectonics - subduction zones and trenches", "Seafloor"),
    video("a3", "Earth science: plate tectonics in Iceland", "Seafloor"),
    video("b1", "Earth science: variable star light curves - definition", "Night Sky"),
    video("b2", "Variable star light curves | Lecture 5", "Night Sky"),
    video("b3", "Measuring variable star light curves at home", "Night Sky"),
]
FOUND = [
    *KEPT,
    video("c1", "Earth science: how glaciers move", "Seafloor"),
    video("c2", "Earth science: volcano monitoring", "Night Sky"),
]


def test_an_interest_takes_the_phrase_its_videos_share_and_others_do_not() -> None:
    names = topic_names([DICTIONARY, ENERGY], KEPT, FOUND)
    assert names == {"Seafloor": "Plate tectonics", "Night Sky": "Variable star light curves"}


def test_too_few_or_too_varied_titles_leave_the_name_as_it_was() -> None:
    written = interest("Seafloor spreading", "ridges", "magma")
    varied = [
        video("d1", "Why bread rises", written.name),
        video("d2", "The history of the printing press", written.name),
        video("d3", "How glaciers carve valleys", written.name),
    ]
    assert topic_names([written], varied, varied) == {}
    assert topic_names([DICTIONARY], KEPT[:1], FOUND) == {}


CRYPTIC = [  # titles that share no phrase; what they are about is in their words and descriptions
    Candidate(
        video_id="m1",
        title="What happens to the bread in your oven?",
        description="Gluten networks trap steam, the crust sets and the crumb opens.",
        channel="Open Lectures",
        interest="Finally",
    ),
    Candidate(
        video_id="m2",
        title="Why does a dough spring back?",
        description="Kneading, gluten strength and how an elastic dough holds its shape.",
        channel="Open Lectures",
        interest="Finally",
    ),
]


def test_without_a_shared_phrase_a_stray_word_gives_way_to_the_posts_word_nearest_the_videos() -> None:
    stray = interest("Finally", "weekend", "gluten", "qe")
    assert topic_names([stray], CRYPTIC, CRYPTIC) == {"Finally": "Gluten"}
    # ... never to another interest's name, nor to a name of several words the person wrote
    assert topic_names([stray, interest("Gluten")], CRYPTIC, CRYPTIC) == {}
    written = interest("Lab bench notes", "weekend", "gluten")
    assert topic_names([written], [c.model_copy(update={"interest": written.name}) for c in CRYPTIC], CRYPTIC) == {}


ERUPTIONS = [  # cryptic titles on one subject that no word of the person's names
    video(
        "v1",
        "Why does Hawaii's lava flow so far?",
        "Rumble",
        description="Runny basalt, lava tubes and shield volcanoes.",
    ),
    video(
        "v2",
        "What happens in the hour before an eruption?",
        "Rumble",
        description="Tremor, gas and swelling ground: how magma announces itself.",
    ),
]


def test_without_a_shared_phrase_an_incidental_word_gives_way_to_the_field_of_study_of_the_videos() -> None:
    incidental = interest("Rumble", "smoke", "hike", "trip")
    assert topic_names([incidental], ERUPTIONS, ERUPTIONS) == {"Rumble": "Volcanology"}
    # a word of the person's that names what the videos are about better than any field stays theirs
    volcanoes = interest("Finally", "volcanoes", "smoke", "hike")
    retagged = [c.model_copy(update={"interest": "Finally"}) for c in ERUPTIONS]
    assert topic_names([volcanoes], retagged, retagged) == {"Finally": "Volcanoes"}


FOSSILS = [
    video(
        "f1",
        "How do we know how old a fossil is?",
        "Bones",
        description="Radiometric dating, rock layers and index fossils.",
    ),
    video(
        "f2",
        "What killed the dinosaurs?",
        "Bones",
        description="The asteroid, the crater and the mass extinction record in the rocks.",
    ),
]


def test_a_one_word_name_from_the_posts_is_judged_against_the_videos_alone() -> None:
    """The interest's own words hold its name, so beside them any name of theirs looks apt; the videos do not."""
    bones = interest("Bones", "dog", "walk", "park", "old", "digging")
    assert topic_names([bones], FOSSILS, FOSSILS) == {"Bones": "Paleontology"}
    # a name of several words the person wrote stays theirs
    written = interest("Dinosaur teeth", "dog", "walk", "park", "old", "digging")
    retagged = [c.model_copy(update={"interest": written.name}) for c in FOSSILS]
    assert topic_names([written], retagged, retagged) == {}


def test_a_subject_no_field_of_study_covers_keeps_its_name() -> None:
    knitting = [
        video(
            "k1", "Knit your first sock heel", "Stitches", description="Turning a heel with short rows and a gusset."
        ),
        video(
            "k2",
            "Why does my scarf curl?",
            "Stitches",
            description="Stockinette, ribbing and blocking a finished piece.",
        ),
    ]
    assert topic_names([interest("Stitches", "yarn", "needles", "wool")], knitting, knitting) == {}


HIVES = [  # titles that share no phrase; each description says what the series is about
    ("v1", "Why do colonies swarm in May?", "Part of our beekeeping course. This session covers swarm control."),
    ("v2", "Reading a frame in thirty seconds", "From the beekeeping track: brood patterns, eggs and capped cells."),
    ("v3", "The queen nobody sees", "A walk through a hive with Dr. Ines Moreau: beekeeping for new keepers."),
    ("v4", "Winter clusters and candy boards", "Feeding and insulation, part of our beekeeping course."),
]
OTHER_CHANNEL = [
    video("w1", "Star hopping to the Ring Nebula", "Night Sky", channel="Dark Site", description="A finder chart."),
    video("w2", "Light pollution maps, read right", "Night Sky", channel="Dark Site", description="Bortle classes."),
    *(video(f"w{i}", f"Messier marathon, stop {i}", "Night Sky", channel="Dark Site") for i in range(3, 9)),
]


def hive_videos(footer: str = "", channel: str = "Hive Notes") -> list[Candidate]:
    return [
        video(vid, title, "Brood frames", channel=channel, description=f"{text} {footer}".strip())
        for vid, title, text in HIVES
    ]


def test_the_subject_the_descriptions_name_names_an_interest_whose_titles_share_nothing() -> None:
    """ "Part of our beekeeping course" in most descriptions names what a series of cryptic titles is about."""
    kept = hive_videos()
    names = topic_names([interest("Brood frames", "queen", "swarm")], kept, [*kept, *OTHER_CHANNEL])
    assert names == {"Brood frames": "Beekeeping"}


def test_a_narrower_subject_half_the_descriptions_name_leaves_the_name() -> None:
    """ "Queen rearing" in two descriptions of four is a part of what the videos are about, not all of it."""
    descriptions = ["Grafting larvae for queen rearing.", "Brood patterns.", "What queen rearing needs.", "Candy."]
    kept = [
        c.model_copy(update={"interest": "Bees", "description": text})
        for c, text in zip(hive_videos(), descriptions, strict=True)
    ]
    assert topic_names([interest("Bees", "queen", "swarm", "frames")], kept, [*kept, *OTHER_CHANNEL]) == {}
    kept[1] = kept[1].model_copy(update={"description": "Brood patterns before queen rearing."})
    assert topic_names([interest("Bees", "queen", "swarm", "frames")], kept, [*kept, *OTHER_CHANNEL]) == {
        "Bees": "Queen rearing"
    }


def unnamed(videos: list[Candidate]) -> list[Candidate]:
    """The videos with descriptions that no longer name their subject."""
    return [c.model_copy(update={"description": c.description.replace("beekeeping ", "")}) for c in videos]


def test_names_in_descriptions_never_name_an_interest() -> None:
    """Sponsors and guests are written with capitals: they say who made the video, not what it is about."""
    kept = unnamed(hive_videos("Sponsored by Waxworks Supply."))
    names = topic_names([interest("Brood frames", "queen", "swarm")], kept, [*kept, *OTHER_CHANNEL])
    assert not any("Waxworks" in name for name in names.values()), names


COLONY_CHECKS = ["Colony checks: swarm cells", "Colony checks: the brood nest", "The queen nobody sees", "Candy"]


def titled(videos: list[Candidate]) -> list[Candidate]:
    """The videos, two of four titled with a shared phrase."""
    return [c.model_copy(update={"title": t}) for c, t in zip(videos, COLONY_CHECKS, strict=True)]


def test_a_footer_pasted_under_every_video_never_names_an_interest() -> None:
    """The same sentence under most of the videos is the channel's footer, whatever it says."""
    kept = titled(unnamed(hive_videos("Your support keeps the apiary fund going.")))
    names = topic_names([interest("Brood frames", "queen", "swarm")], kept, [*kept, *OTHER_CHANNEL])
    assert names == {"Brood frames": "Colony checks"}
    said = ["Apiary fund news.", "Thanks to the apiary fund.", "The apiary fund paid for this.", "Apiary fund."]
    varied = [
        c.model_copy(update={"description": f"{c.description} {text}"})
        for c, text in zip(titled(unnamed(hive_videos())), said, strict=True)
    ]
    assert topic_names([interest("Brood frames", "queen", "swarm")], varied, [*varied, *OTHER_CHANNEL]) == {
        "Brood frames": "Apiary fund"
    }  # said in their own words by each: as far as the videos tell, the subject they share


def test_what_a_channel_says_under_its_other_subjects_too_never_names_an_interest() -> None:
    """Words a channel writes under its videos on other subjects too are its own, not the interest's."""
    said = ["Good smoker fuel.", "Smoker fuel in spring.", "Pine needles as smoker fuel.", "Cheap smoker fuel."]
    kept = [
        c.model_copy(update={"description": f"{c.description} {text}"})
        for c, text in zip(titled(unnamed(hive_videos())), said, strict=True)
    ]
    elsewhere = [
        video(
            "x1", "Sourdough starters", "Crumb", channel="Hive Notes", description="A wood oven lit with smoker fuel."
        ),
        video("x2", "Honey cake", "Crumb", channel="Hive Notes", description="Baked over the last of the smoker fuel."),
    ]
    found = [*kept, *elsewhere, *OTHER_CHANNEL]
    names = topic_names([interest("Brood frames", "queen", "swarm")], kept, found)
    assert names == {"Brood frames": "Colony checks"}
    alone = topic_names([interest("Brood frames", "queen", "swarm")], kept, [*kept, *OTHER_CHANNEL])
    assert alone == {"Brood frames": "Smoker fuel"}  # no other video of the channel says it: as far as the
    # videos tell, the subject all four share


def test_everyday_words_series_words_and_the_channel_never_name_an_interest() -> None:
    kept = [
        video("e1", "Learning Python, part 1 | Code Club", "Seafloor", channel="Code Club"),
        video("e2", "Learning Python, part 2 | Code Club", "Seafloor", channel="Code Club"),
        video("e3", "Learning decorators, part 3 | Code Club", "Seafloor", channel="Code Club"),
    ]
    found = [*kept, *FOUND]
    assert topic_names([DICTIONARY], kept, found) == {"Seafloor": "Learning Python"}
    alone = [video(f"f{i}", f"Learning, part {i} | Code Club", "Seafloor", channel="Code Club") for i in range(3)]
    assert topic_names([DICTIONARY], alone, [*alone, *FOUND]) == {}  # "Learning" alone says nothing


def test_a_one_word_or_everyday_name_gives_way_to_any_phrase_several_titles_share() -> None:
    titles = [
        "Plate tectonics - how oceans open",
        "Plate tectonics - subduction zones",
        "How glaciers carve valleys",
        "Why volcanoes erupt",
        "The water cycle, start to finish",
        "Reading a geological map",
    ]
    cases = (
        ("Learn", "Plate tectonics"),
        ("Seafloor", "Plate tectonics"),
        ("Deep Water", "Plate tectonics"),  # everyday words
        ("Magma erupts", "Plate tectonics"),  # no name: a piece of a sentence
        ("Seafloor Spreading", None),
    )
    for name, renamed in cases:
        expected = {name: renamed} if renamed else {}
        kept = [video(f"h{i}", title, name) for i, title in enumerate(titles)]
        # Two titles of six: enough to replace one word taken from the posts, not a phrase the user wrote.
        assert topic_names([interest(name, "ridges", "magma")], kept, [*kept, *FOUND]) == expected


def test_a_phrase_only_the_interests_loosest_videos_share_does_not_rename_a_name_the_user_wrote() -> None:
    """Screening keeps talks on a neighbouring subject too, with a low fit: two such talks of four share a phrase
    ("Kiln wash"), but they hold little of what the interest's posts are about, so the name stays."""
    titles = {"Why some surfaces turn matte": 1.0, "Crawling, pinholes and crazing": 0.9}
    titles |= {"Kiln wash - mixing": 0.25, "Kiln wash - applying": 0.2}
    interest_ = interest("Glaze recipes", "crawl", "matte")
    kept = [video(f"k{i}", t, interest_.name).model_copy(update={"fit": f}) for i, (t, f) in enumerate(titles.items())]
    assert topic_names([interest_], kept, [*kept, *FOUND]) == {}
    # the same titles, the phrase's talks fitting as well as the rest: a name shared by half of them
    even = [k.model_copy(update={"fit": 1.0}) for k in kept]
    assert topic_names([interest_], even, [*even, *FOUND]) == {"Glaze recipes": "Kiln wash"}


def test_a_one_word_name_takes_the_phrase_its_closest_videos_share_over_one_its_loosest_share() -> None:
    """Any phrase two titles share names an interest called after one word of the posts better than that word;
    of two such phrases, the one shared by the talks screening found closest to the posts wins, though the
    other is longer and as many titles share it."""
    titles = {"Glaze recipes - matte finishes": 1.0, "Glaze recipes - crawling": 0.8}
    titles |= {"Wood fired kilns - stacking": 0.2, "Wood fired kilns - firing schedule": 0.2}
    titles |= {"Why pots crack": 0.3}
    interest_ = interest("Crawl", "matte", "pinholes")
    kept = [video(f"k{i}", t, interest_.name).model_copy(update={"fit": f}) for i, (t, f) in enumerate(titles.items())]
    assert topic_names([interest_], kept, [*kept, *FOUND]) == {"Crawl": "Glaze recipes"}
    # the same titles, all fitting alike: the longer phrase, as widely shared, names it
    even = [k.model_copy(update={"fit": 1.0}) for k in kept]
    assert topic_names([interest_], even, [*even, *FOUND]) == {"Crawl": "Wood fired kilns"}


def test_a_title_that_gives_a_subject_by_its_initials_counts_toward_its_full_name() -> None:
    """One title spells the subject out, another gives its initials: together they name it, where each form
    alone is in one title only and a phrase two other titles share would win."""
    titles = [
        "Remotely operated vehicle - tether management",
        "Piloting ROVs through kelp",
        "Ocean science - tides",
        "Ocean science - currents",
        "Lights for night dives",
    ]
    kept = [video(f"r{i}", title, "Seafloor") for i, title in enumerate(titles)]
    found = [*kept, video("r9", "Ocean science - waves", "Night Sky"), video("r8", "Ocean science - salt", "Night Sky")]
    assert topic_names([interest("Seafloor", "tether", "kelp")], kept, found) == {
        "Seafloor": "Remotely operated vehicle"
    }
    alone = [k for k in kept if "ROV" not in k.title]  # the full name in one title only: the shared phrase wins
    assert topic_names([interest("Seafloor", "tether", "kelp")], alone, found) == {"Seafloor": "Ocean science"}


def test_two_interests_never_take_the_same_name() -> None:
    same = [video(f"g{i}", f"Plate tectonics - talk {i}", "Night Sky") for i in range(3)]
    names = topic_names([DICTIONARY, ENERGY], [*KEPT[:3], *same], [*FOUND, *same])
    assert list(names.values()).count("Plate tectonics") == 1


def test_no_interest_takes_a_piece_of_another_ones_name() -> None:
    """Two interests whose videos share one series must not read as one subject twice ("Plate tectonics"
    beside "Plate tectonics in Iceland" or "Plate")."""
    series = [
        video("h1", "Plate tectonics in Iceland - rifts", "Night Sky"),
        video("h2", "Plate tectonics in Iceland - hot springs", "Night Sky"),
        video("h3", "Plate tectonics in Iceland - lava fields", "Night Sky"),
    ]
    names = topic_names([DICTIONARY, ENERGY], [*KEPT[:3], *series], [*FOUND, *series])
    assert names, "the series names one of them"
    given = [set(terms(names.get(old, old))) for old in ("Seafloor", "Night Sky")]
    assert not given[0] <= given[1] and not given[1] <= given[0], names


class Named:
    """A names-topics engine answering a fixed mapping (the stage's rules are what is tested)."""

    name = "named"

    def __init__(self, names: dict[str, str]) -> None:
        self.names = names

    def name_topics(
        self, interests: Sequence[Interest], kept: Sequence[Candidate], found: Sequence[Candidate]
    ) -> dict[str, str]:
        return {i.name: self.names[i.name] for i in interests if i.name in self.names}


def rename(names: dict[str, str], found: list[Interest], controls: InterestControls) -> tuple[Progress, list, list]:
    progress = Progress()
    engines = Engines(primary=Named(names))  # type: ignore[arg-type]
    got, kept = stages.name_interests(engines, found, KEPT, FOUND, Preferences(interests=controls), progress)
    return progress, got, kept


def test_the_stage_renames_interests_and_their_videos_and_says_so() -> None:
    progress, found, kept = rename({"Seafloor": "Plate tectonics"}, [DICTIONARY, ENERGY], InterestControls())
    assert [i.name for i in found] == ["Plate tectonics", "Night Sky"]
    assert "seafloor" in found[0].keywords and "seafloor" not in found[0].description  # one word: no name
    assert {c.interest for c in kept if c.video_id.startswith("a")} == {"Plate tectonics"}
    assert any("“Seafloor” is now “Plate tectonics”" in note for note in progress.notes)


def test_names_the_user_chose_stay_and_the_users_renames_and_mutes_apply_to_new_names() -> None:
    pinned = InterestControls(pinned=[DICTIONARY])
    _, found, _ = rename({"Seafloor": "Plate tectonics"}, [DICTIONARY, ENERGY], pinned)
    assert [i.name for i in found] == ["Seafloor", "Night Sky"]

    renamed = InterestControls(renamed={"plate tectonics": "Seafloor spreading"})
    progress, found, kept = rename({"Seafloor": "Plate tectonics"}, [DICTIONARY, ENERGY], renamed)
    assert found[0].name == "Seafloor spreading" and kept[0].interest == "Seafloor spreading"
    assert "Called “Plate tectonics” “Seafloor spreading”, as you renamed it." in progress.notes

    muted = InterestControls(muted=["Plate Tectonics"])
    progress, found, kept = rename({"Seafloor": "Plate tectonics"}, [DICTIONARY, ENERGY], muted)
    assert [i.name for i in found] == ["Night Sky"]
    assert {c.interest for c in kept} == {"Night Sky"}
    assert any("muted" in note for note in progress.notes)


def test_a_renamed_interest_does_not_list_its_new_name_among_its_themes() -> None:
    posts = interest("Wheel", "crazing", "glaze").model_copy(
        update={
            "description": (
                "Your 4 posts on it, all from your last 60 days of posting, also touch on crazing, glaze and kiln."
            )
        }
    )
    assert renamed_interest(posts, "Glaze").description == (
        "Your 4 posts on it, all from your last 60 days of posting, also touch on crazing and kiln."
    )
    alone = posts.model_copy(update={"description": "Your 2 posts on it, also touch on glazes."})
    assert renamed_interest(alone, "Glaze").description == "Your 2 posts on it."
    assert renamed_interest(posts, "Pottery wheel").description == posts.description


@pytest.mark.parametrize(
    ("themes", "name", "left"),
    [
        ("tethers, kelp and ROVs", "Remotely operated vehicles", "tethers and kelp"),
        ("tethers and remotely operated vehicles", "ROV", "tethers"),
        ("tethers and kelp", "ROV", "tethers and kelp"),
    ],
)
def test_a_renamed_interest_does_not_list_its_name_by_its_initials_either(themes: str, name: str, left: str) -> None:
    posts = interest("Wheel").model_copy(update={"description": f"Your 4 posts on it, also touch on {themes}."})
    assert renamed_interest(posts, name).description == f"Your 4 posts on it, also touch on {left}."


def test_an_interest_named_like_another_merges_into_it() -> None:
    _, found, kept = rename({"Seafloor": "night sky"}, [DICTIONARY, ENERGY], InterestControls())
    assert [i.name for i in found] == ["Night Sky"]
    assert {c.interest for c in kept} == {"Night Sky"}


def test_an_engine_that_names_interests_itself_is_not_second_guessed() -> None:
    progress = Progress()
    engines = Engines(primary=ScriptedLLM())
    found, kept = stages.name_interests(engines, [DICTIONARY], KEPT, FOUND, Preferences(), progress)
    assert found == [DICTIONARY] and kept == KEPT and not progress.notes
    assert isinstance(LocalEngine(), stages.NamesTopics)


@pytest.fixture
def sessions(session: Session) -> sessionmaker[Session]:
    return sessionmaker(bind=session.connection(), join_transaction_mode="create_savepoint", expire_on_commit=False)


class NamingScripted(ScriptedLLM):
    """The scripted engine, naming every interest after the topic its videos share."""

    def name_topics(
        self, interests: Sequence[Interest], kept: Sequence[Candidate], found: Sequence[Candidate]
    ) -> dict[str, str]:
        return {i.name: f"{i.name.title()} studies" for i in interests}


def test_a_run_stores_the_new_names_where_a_resumed_run_reads_them(
    session: Session, sessions: sessionmaker[Session], user: User
) -> None:
    tweet_ids = add_tweets(session, user, ["woodturning bowl study", "lathe gouges", "kites flying", "stunt kites"])
    videos = [fake_video(f"turning{i}", "woodturning", score=10 - i) for i in range(3)]
    llm = NamingScripted(
        interests=[Interest(name="woodturning", description="Bowls", weight=1.0, evidence_tweet_ids=tweet_ids[:2])]
    )
    run, _ = run_create(session, user=user, trigger="cli")
    session.flush()
    execute_run(
        run.id,
        llm=llm,
        video_source=FakeVideoSource(videos),
        transcript_source=FakeTranscriptSource(videos),
        sessions=sessions,
    )
    session.expire_all()
    rows = session.scalars(select(InterestRow).where(InterestRow.run_id == run.id)).all()
    assert [r.name for r in rows] == ["Woodturning studies"]
    saved = run_stage_results(session, run_id=run.id)
    assert [i["name"] for i in saved["interests"]] == ["Woodturning studies"]
    assert {c["interest"] for c in saved["screen"]} == {"Woodturning studies"}
    assert {c["interest"] for c in saved["rank"]} == {"Woodturning studies"}


def steer(inferred: list[Interest], controls: InterestControls) -> tuple[Progress, list[Interest]]:
    progress = Progress()
    found = steer_interests(
        inferred,
        Preferences(interests=controls),
        [],
        [],
        progress,
        describer=LocalEngine(),
        user_tweet_ids={"1", "2", "3", "4"},
        limit=8,
    )
    return progress, found


def test_an_interest_on_the_same_posts_keeps_the_name_the_user_last_saw() -> None:
    last = Interest(name="Plate tectonics", description="", weight=1.0, evidence_tweet_ids=["1", "2", "3"])
    today = Interest(name="Seafloor", description="Your 2 posts on it.", weight=1.0, evidence_tweet_ids=["2", "3"])
    other = Interest(name="Woodturning", description="", weight=0.5, evidence_tweet_ids=["4"])
    _, found = steer([today, other], InterestControls(previous=[last]))
    assert [i.name for i in found] == ["Plate tectonics", "Woodturning"]
    # one word of the posts is no name they give it; a phrase is
    assert found[0].description == "Your 2 posts on it."
    phrase = today.model_copy(update={"name": "Seafloor spreading"})
    _, found = steer([phrase, other], InterestControls(previous=[last]))
    assert found[0].description == "Your posts call it “seafloor spreading”. Your 2 posts on it."

    _, found = steer([today, other], InterestControls(previous=[last], muted=["plate tectonics"]))
    assert [i.name for i in found] == ["Woodturning"]

    mine = last.model_copy(update={"name": "Seafloor spreading"})
    renamed = InterestControls(previous=[mine], renamed={"plate tectonics": "Seafloor spreading"})
    progress, found = steer([today, other], renamed)
    assert found[0].name == "Seafloor spreading"
    assert "Called “Seafloor” “Seafloor spreading”, as you renamed it." in progress.notes

    unrelated = last.model_copy(update={"evidence_tweet_ids": ["4"]})
    _, found = steer([today], InterestControls(previous=[unrelated]))
    assert [i.name for i in found] == ["Seafloor"]


def test_a_name_of_several_words_that_the_titles_confirm_stays() -> None:
    ridges = interest("Glacier ridges", "moraines")
    kept = [
        video("h1", "Glacier surges, explained", "Glacier ridges"),
        video("h2", "Glacier melt in Greenland", "Glacier ridges"),
    ]
    assert topic_names([ridges], kept, [*kept, *FOUND]) == {}


def test_a_phrase_never_starts_inside_a_hyphenated_word() -> None:
    runs = word_runs("Why does an Earth-sized planet dim its star?")
    assert [w for run in runs for _, w in run] == ["Why", "does", "an", "Earth-sized", "planet", "dim", "its", "star"]


@pytest.mark.parametrize("name", ["Oven spring", "Tide pools", "Fly fishing", "Baking", "JWST", "Kombucha"])
def test_a_noun_phrase_an_activity_or_an_unknown_word_names_a_thing(name: str) -> None:
    assert names_a_thing(name)


@pytest.mark.parametrize("name", ["Erupts", "Temperature decides", "Volcanic", "Curdles", "Magma erupts", ""])
def test_a_verb_or_an_adjective_at_the_end_names_no_thing(name: str) -> None:
    assert not names_a_thing(name)


def test_one_everyday_word_is_no_name_but_a_rarer_word_or_a_phrase_is() -> None:
    assert everyday("Learn") and everyday("data")
    assert not everyday("Seismometer") and not everyday("Deep learning") and not everyday("Photosynthesis")


class Recording(ScriptedLLM):
    """The scripted engine, keeping the videos each naming was given."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.evidence: list[Candidate] = []

    def name_topics(
        self, interests: Sequence[Interest], kept: Sequence[Candidate], found: Sequence[Candidate]
    ) -> dict[str, str]:
        self.evidence = list(kept)
        return {}


def test_videos_shown_before_still_name_their_subject_but_are_not_shown_again() -> None:
    def judge(cands: list[Candidate], _interests: object, prefs: Preferences) -> list[ScreenDecision]:
        assert not prefs.seen_video_ids  # judged as videos, not as videos already shown
        return [
            ScreenDecision(video_id=c.video_id, keep=c.video_id != "a3", interest="Night Sky", reason="ok")
            for c in cands
        ]

    engine = Recording(screen=judge)
    hidden = video("x1", "Plate tectonics from orbit", "Seafloor", channel="Hidden")
    prefs = Preferences(seen_video_ids=["a1", "a2", "a3", "x1"], hidden_channels=["hidden"])
    _, kept = stages.name_interests(
        Engines(engine), [DICTIONARY, ENERGY], KEPT[3:], [*FOUND, hidden], prefs, Progress()
    )
    assert [c.video_id for c in kept] == ["b1", "b2", "b3"]
    by_id = {c.video_id: c.interest for c in engine.evidence}
    assert by_id == {"b1": "Night Sky", "b2": "Night Sky", "b3": "Night Sky", "a1": "Night Sky", "a2": "Night Sky"}


def test_a_subject_keeps_its_name_once_its_best_videos_were_shown_though_the_user_never_saw_it_named() -> None:
    """The videos shown before still name the subject (a run whose interests match none the user last saw)."""
    seafloor = interest("Seafloor", "ridges", "magma", "tectonics", "oceans")
    later = [
        video("r1", "Mid-ocean ridges: where magma rises", "Seafloor"),
        video("r2", "Mid-ocean ridges and oceans opening", "Seafloor"),
    ]
    found = [*KEPT[:3], *later, *FOUND[6:]]
    engines = Engines(LocalEngine())
    first, _ = stages.name_interests(engines, [seafloor], [*KEPT[:3], *later], found, Preferences(), Progress())
    assert [i.name for i in first] == ["Plate tectonics"]
    again = Preferences(seen_video_ids=["a1", "a2", "a3"])
    tied = [c.model_copy(update={"interest": "Plate tectonics"}) for c in later]  # as the next screening ties them
    second, kept = stages.name_interests(engines, first, tied, found, again, Progress())
    assert [i.name for i in second] == ["Plate tectonics"]
    assert {c.video_id for c in kept} == {"r1", "r2"}


def test_a_name_the_user_saw_with_clips_stays_whatever_the_next_videos_share() -> None:
    """Day to day, the feed's subjects keep the names the user knows them by: the next run's videos (the best
    ones shown already) renaming "Plate tectonics" to the phrase its leftovers share would read as a new subject.
    An interest the last run found no clips for is named afresh."""
    shown = [
        Candidate(video_id=f"s{i}", title=title, description="Ridges, magma and oceans opening.", interest="x")
        for i, title in enumerate(["How oceans open", "Where the seafloor is born", "Iceland, split in two"])
    ]
    leftovers = [
        video("r1", "Mid-ocean ridges: where magma rises", "Plate tectonics"),
        video("r2", "Mid-ocean ridges and oceans opening", "Plate tectonics"),
    ]
    found = [*shown, *leftovers]
    seen = interest("Plate tectonics", "ridges", "magma", "oceans")
    engines = Engines(LocalEngine())

    def names(prefs: Preferences) -> list[str]:
        named, kept = stages.name_interests(engines, [seen], leftovers, found, prefs, Progress())
        assert {c.interest for c in kept} == {named[0].name}
        return [i.name for i in named]

    previous = InterestControls(previous=[seen])
    shown_ids = [c.video_id for c in shown]
    assert names(Preferences(interests=previous, seen_video_ids=shown_ids)) == ["Plate tectonics"]
    assert names(Preferences(seen_video_ids=shown_ids)) == ["Mid-ocean ridges"]  # a name the user has not seen
    assert names(Preferences(interests=previous)) == ["Mid-ocean ridges"]  # no clips of it were shown


def test_a_video_whose_title_names_an_interest_is_tied_to_it() -> None:
    """Screening ties by shared words; the title says which of the user's subjects a video is about."""
    found = [
        interest("Sourdough", "starter", "levain"),
        interest("Oven spring", "steam", "crust"),
        interest("Tide pools", "anemones"),
        interest("Tide pool ecology", "zonation"),
        interest("Remotely operated vehicle", "tethers"),
        interest("Maps", "contours"),
        interest("Water", "hardness"),
    ]
    kept = [
        video("v1", "Sourdough - shaping and scoring", "Oven spring"),  # the title names another interest
        video("v2", "Tide pool ecology: who lives where", "Tide pools"),  # both named: the longer name
        video("v3", "Cheap ROV kits compared", "Maps"),  # named by its initials
        video("v4", "Water, steam and the crust", "Oven spring"),  # a name of one everyday word names too much
        video("v5", "Sourdough oven spring, step by step", "Oven spring"),  # two names alike: as screening tied it
        video("v6", "Reading contour lines", "Maps"),
    ]
    _, tied = stages.name_interests(Engines(Recording()), found, kept, kept, Preferences(), Progress())
    assert {c.video_id: c.interest for c in tied} == {
        "v1": "Sourdough",
        "v2": "Tide pool ecology",
        "v3": "Remotely operated vehicle",
        "v4": "Oven spring",
        "v5": "Oven spring",
        "v6": "Maps",
    }
