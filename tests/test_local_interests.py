"""Interests of the local engine read like a person's: one per subject, named and described plainly.

The users here are generated: several subjects, each with sub-themes that share a few
subject words and accounts but otherwise use their own vocabulary, plus chatter and an
old subject. Every post's subject is known, so grouping, naming and exclusions can be
checked against it.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from app.llm.local import LocalEngine
from app.pipeline.engagement import build_engagement
from app.schemas import Engagement, Interest, Preferences, TweetKind
from app.sources.tweet_records import TweetRecord
from app.text import ENGLISH_STOP_WORDS, accounts, proper_nouns, stem, word_runs

NEWEST = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Subject:
    words: tuple[str, ...]  # said across its sub-themes
    accounts: tuple[str, ...]
    themes: dict[str, tuple[str, ...]]  # sub-theme phrase -> its own words


SUBJECTS = {
    "baking": Subject(
        ("sourdough", "bread", "loaf"),
        ("@crumb_cathy", "@levain_leo"),
        {
            "levain timing": ("starter", "peak", "doubled", "feeding"),
            "oven spring": ("steam", "dutch", "bloom", "preheat"),
            "scoring patterns": ("blade", "lame", "ear", "slash"),
            "hydration ratio": ("water", "flour", "percent", "sticky"),
        },
    ),
    "astronomy": Subject(
        ("telescope", "sky", "observing"),
        ("@dob_dave", "@nebula_nia"),
        {
            "mirror collimation": ("laser", "secondary", "alignment", "screws"),
            "planetary imaging": ("jupiter", "saturn", "stacking", "frames"),
            "dark skies": ("bortle", "moonless", "faint", "galaxies"),
            "eyepiece choice": ("magnification", "focal", "barlow", "millimetre"),
        },
    ),
    "beekeeping": Subject(
        ("hive", "bees", "colony"),
        ("@apiary_ana", "@queen_quinn"),
        {
            "varroa mites": ("oxalic", "sugar", "roll", "treatment"),
            "queen rearing": ("cells", "larvae", "grafting", "mated"),
            "honey harvest": ("super", "frames", "extractor", "capped"),
            "swarm control": ("split", "swarming", "cells", "bait"),
        },
    ),
    "cycling": Subject(
        ("bike", "ride", "cycling"),
        ("@spoke_sam", "@cadence_cleo"),
        {
            "tubeless tyres": ("sealant", "puncture", "pressure", "rim"),
            "gear ratios": ("cassette", "chainring", "cadence", "hills"),
            "bike fit": ("saddle", "height", "reach", "knee"),
            "chain maintenance": ("wax", "lube", "wear", "drivetrain"),
        },
    ),
}
OLD_SUBJECT = Subject(
    ("knitting", "yarn"),
    ("@purl_pat",),
    {"cable stitch": ("needle", "twist", "pattern"), "gauge swatch": ("sizes", "blocking", "wool")},
)
TEMPLATES = (
    "{phrase} again: the {a} and the {b} are what it is all about #{word}",
    "so the {a} really does matter for the {b}. {phrase} and {word}",
    "RT {account}: {phrase} in {word}, watch the {a} before the {b}",
    "{account} yes! {phrase} for {word} once the {a} and {b} are right",
    "been reading about {phrase} all week, {a} then {b} #{word}",
    "short thread on {word} {phrase}: {a}, {b} and more",
    "is {a} or {b} what most {word} people get wrong about {phrase}? asking for me",
)
CHATTER = (
    "lol",
    "Pizza night with friends 🍕",
    "Game night was fun, lost every round",
    "¡Qué día tan bonito hoy!",
    "this.",
    "👀",
    "Monday again. Coffee please",
    "The cat has claimed my chair https://t.co/abc123",
    "@friend_fred happy birthday!!",
    "Watched the match with @friend_fred, what a finish",
)


def posts_about(subject: Subject, rng: random.Random, *, per_theme: int, first_day: float) -> list[tuple[str, float]]:
    """Posts of a subject: each names a sub-theme phrase, two of its words, and often a subject word or account."""
    posts = []
    for theme, own in subject.themes.items():
        for _ in range(per_theme):
            a, b = rng.sample(own, 2)
            text = rng.choice(TEMPLATES).format(
                phrase=theme,
                a=a,
                b=b,
                account=rng.choice(subject.accounts),
                word=rng.choice(subject.words),
            )
            posts.append((text, first_day + rng.random() * 55))
    return posts


def build_user(names: list[str], *, seed: int = 7, per_theme: int = 4) -> tuple[list[Engagement], dict[str, str]]:
    """Engagement of a user posting about the named subjects lately, plus chatter and an old subject; with the
    subject of every post (by tweet id; "" for chatter)."""
    rng = random.Random(seed)
    written: list[tuple[str, float, str]] = []
    for name in names:
        written += [(t, d, name) for t, d in posts_about(SUBJECTS[name], rng, per_theme=per_theme, first_day=0)]
    written += [(t, d, "knitting") for t, d in posts_about(OLD_SUBJECT, rng, per_theme=3, first_day=3 * 365)]
    written += [(t, rng.random() * 55, "") for t in CHATTER]
    records, subject_of = [], {}
    for number, (text, days_ago, name) in enumerate(written, start=1000):
        kind: TweetKind = "retweet" if text.startswith("RT ") else "like" if number % 5 == 0 else "tweet"
        created = NEWEST - timedelta(days=days_ago)
        records.append(TweetRecord(tweet_id=str(number), kind=kind, text=text, created_at=created, url=None))
        subject_of[str(number)] = name
    return build_engagement(records), subject_of


def interests_of(names: list[str], instructions: str = "", **kwargs: int) -> tuple[list[Interest], dict[str, str]]:
    engagement, subject_of = build_user(names, **kwargs)
    return LocalEngine().infer_interests(engagement, Preferences(instructions=instructions)), subject_of


def subject_of_interest(interest: Interest, subject_of: dict[str, str]) -> set[str]:
    return {subject_of[t] for t in interest.evidence_tweet_ids}


# --- grouping --------------------------------------------------------------------------------


FOUR_SUBJECTS = ["baking", "astronomy", "beekeeping", "cycling"]


@pytest.mark.parametrize("seed", [7, 11, 23])
@pytest.mark.parametrize("names", [FOUR_SUBJECTS, FOUR_SUBJECTS[:3]])
def test_subjects_are_never_mixed_and_none_is_lost(names: list[str], seed: int) -> None:
    """One interest per subject, or per sub-theme when only words used everywhere join them; never two subjects
    in one interest, and no subject lost."""
    interests, subject_of = interests_of(names, seed=seed)
    covered = [subject_of_interest(i, subject_of) for i in interests]
    assert all(len(s) == 1 for s in covered), covered
    spread = Counter(s.pop() for s in covered)
    assert set(spread) == set(names), spread
    assert all(count <= len(SUBJECTS[name].themes) for name, count in spread.items()), spread
    assert len(interests) <= 8


def interests_from(texts: list[str]) -> list[Interest]:
    """The interests of a few posts, ids "0", "1", … in order."""
    engagement = [Engagement(tweet_id=str(i), kind="tweet", text=t, weight=1.0) for i, t in enumerate(texts)]
    return LocalEngine().infer_interests(engagement, Preferences())


def test_a_few_posts_sharing_one_rare_word_are_a_subject() -> None:
    """Among a handful of posts a rare shared word is most of the evidence there is; an everyday one is not."""
    texts = [
        "my kombucha went vinegary again, annoying",
        "reading about a second kombucha ferment tonight",
        "the kombucha scoby finally looks healthy",
        "cycling in at 6 degrees this morning",
        "sourdough attempt number four",
        "lab retreat photos are out, this morning was fun",
    ]
    (interest,) = interests_from(texts)
    assert interest.name == "Kombucha" and set(interest.evidence_tweet_ids) == {"0", "1", "2"}, interest


def test_one_shared_word_does_not_join_two_subjects() -> None:
    """ "Press" in knitting posts and in cheesemaking posts is a coincidence, not a subject."""
    knitting = [
        "Cable stitch: slip two stitches onto the cable needle and the twist leans left",
        "Moss stitch border: knit one, purl one until the cable panel starts",
        "Cable twists: left cross leans left, right cross leans right, learn both",
        "Blocking decides how cable and moss stitches lie",
        "anyone got a good resource on blocking lace and a press cloth?",
        "blocking lace and a press cloth explained properly",
    ]
    cheesemaking = [
        "Cheddaring the curd is fine when the slabs are thin",
        "Rennet sets the milk into a curd in forty minutes",
        "Milling the curd needs the slabs stacked, the cheesemaker knows",
        "The cheesemaker cuts the curd at a clean break",
        "a cheese press shines on a milled curd",
        "cheddaring the curd slabs before the cheese press",
    ]
    records = [
        TweetRecord(tweet_id=str(i), kind="tweet", text=t, created_at=NEWEST - timedelta(days=i), url=None)
        for i, t in enumerate(knitting + cheesemaking, start=1)
    ]
    interests = LocalEngine().infer_interests(build_engagement(records), Preferences())
    assert interests
    for interest in interests:
        ids = {int(t) for t in interest.evidence_tweet_ids}
        assert ids <= set(range(1, 7)) or ids <= set(range(7, 13)), interest


def test_weights_favour_the_subject_posted_about_lately() -> None:
    engagement, subject_of = build_user(["baking", "astronomy", "beekeeping", "cycling"])
    recent_bees = [e for e in engagement if subject_of[e.tweet_id] == "beekeeping"]
    older = [
        e.model_copy(update={"weight": e.weight * 0.01}) for e in engagement if subject_of[e.tweet_id] != "beekeeping"
    ]
    interests = LocalEngine().infer_interests([*recent_bees, *older], Preferences())
    assert subject_of_interest(interests[0], subject_of) == {"beekeeping"}
    assert interests[0].weight == 1.0
    assert all(i.weight < 0.2 for i in interests[1:] if subject_of_interest(i, subject_of) != {"beekeeping"})


# --- names and descriptions ------------------------------------------------------------------


def noisy_user() -> list[Engagement]:
    """A user whose posts are full of handles, links, hashtags and ampersands."""
    engagement, _ = build_user(["baking", "astronomy", "beekeeping"], seed=3)
    return [
        e.model_copy(update={"text": f"{e.text} & more via @some_one https://example.com/x #Trending"}) if i % 2 else e
        for i, e in enumerate(engagement)
    ]


@pytest.mark.parametrize("user", ["generated", "noisy"])
def test_names_are_short_distinct_phrases_without_noise(user: str) -> None:
    generated = build_user(["baking", "astronomy", "beekeeping", "cycling"])[0]
    engagement = generated if user == "generated" else noisy_user()
    interests = LocalEngine().infer_interests(engagement, Preferences())
    names = [i.name for i in interests]
    assert len({n.casefold() for n in names}) == len(names), names
    for name in names:
        words = name.split()
        assert 1 <= len(words) <= 4, name
        assert "&" not in name and "," not in name, name
        assert not re.search(r"[@#]|https?:|\.com", name), name
        assert not {w.lower() for w in words} & ENGLISH_STOP_WORDS, name
        assert name[0].isupper() or not name[0].isalpha(), name  # sentence case, as names read in a list
        assert "trending" not in name.lower() and "some_one" not in name.lower(), name


def test_names_prefer_phrases_the_user_wrote() -> None:
    interests, subject_of = interests_of(["baking", "astronomy", "beekeeping", "cycling"])
    for interest in interests:
        (subject,) = subject_of_interest(interest, subject_of)
        phrases = {p[:1].upper() + p[1:] for p in SUBJECTS[subject].themes}
        assert interest.name in phrases, (interest.name, phrases)


def test_descriptions_add_what_the_name_does_not_say() -> None:
    interests, subject_of = interests_of(["baking", "astronomy", "beekeeping", "cycling"])
    for interest in interests:
        description = interest.description
        assert interest.name.lower() not in description.lower(), interest
        assert "\n" not in description and "&" not in description
        assert re.match(r"Your \d+ (posts|likes|posts and likes) on it, ", description), description
        assert "from your last 60 days of posting (the latest on " in description, description
        (subject,) = subject_of_interest(interest, subject_of)
        others = {p for p in SUBJECTS[subject].themes if p.title() != interest.name}
        assert sum(p in description for p in others) >= 2, (description, others)


def test_a_description_lists_no_word_every_text_uses_and_gives_a_readable_date() -> None:
    texts = [
        "need more time for the sourdough levain, right before the bake",
        "sourdough levain timing: need to feed it twice, right?",
        "the crumb of my sourdough finally opened up, took some time",
        "levain peaked early this time, sourdough came out flat",
        "right amount of hydration for a sourdough loaf, need advice on the crumb",
        "hydration and crumb: my sourdough levain needs more time",
    ]
    at = datetime(2026, 11, 3, 9, 30, tzinfo=UTC)
    engagement = [
        Engagement(tweet_id=str(i), kind="tweet", text=t, weight=1.0, created_at=at - timedelta(hours=i))
        for i, t in enumerate(texts)
    ]
    (interest,) = LocalEngine().infer_interests(engagement, Preferences())
    assert interest.description.startswith(
        "Your 6 posts on it, all from your last 60 days of posting (the latest on 3 Nov 2026)"
    )
    listed = interest.description.split(", also touch on ")[1].lower()
    assert {"crumb", "hydration"} & set(re.findall(r"\w+", listed)), interest
    assert not {"need", "time", "right"} & set(re.findall(r"\w+", listed)), interest.description


@pytest.mark.parametrize(
    ("texts", "written", "lowered"),
    [
        (
            [
                "JWST transit spectra of a hot exoplanet atmosphere, clouds everywhere",
                "exoplanet atmosphere retrievals from JWST: water but no methane",
                "clouds flatten the transit spectrum of an exoplanet atmosphere",
                "another JWST exoplanet atmosphere paper, transit depth in the infrared",
            ],
            "JWST",
            "transit",
        ),
        (
            [
                "tile painting again, copying a blue pattern from a station in Lisbon",
                "tile painting tonight: the cobalt glaze I brought back from Lisbon runs everywhere",
                "Kombucha break: then back to tile painting and the kiln schedule",
                "more tile painting, a border of lemons like the ones all over Lisbon",
            ],
            "Lisbon",
            None,
        ),
    ],
)
def test_a_description_keeps_an_acronym_or_a_name_as_the_user_wrote_it(
    texts: list[str], written: str, lowered: str | None
) -> None:
    """An acronym, or a name the posts always capitalise inside a sentence, keeps its capitals; other words of the
    description are in lower case, as in a sentence."""
    (interest,) = interests_from(texts)
    assert written in interest.description and written.lower() not in interest.description, interest.description
    assert lowered is None or lowered in interest.description, interest.description


def test_a_name_is_a_word_always_capitalised_inside_a_sentence() -> None:
    texts = [
        "Kombucha lesson: the scoby was thin. Kombucha again tomorrow",
        "tile painting: Lisbon does blue, Porto does it too. Seville saw it first",
        "a Lisbon-style border, and my kombucha fizzed",
        "the Glaze ran, then another glaze",
    ]
    # "Kombucha" only starts sentences and is lower case elsewhere, "Seville" only starts one, "Glaze" is also
    # written in lower case: none is a name.
    assert proper_nouns(texts) == {stem("lisbon"), stem("porto")}


def test_a_piece_of_a_sentence_neither_names_an_interest_nor_describes_one() -> None:
    """ "Temperature decides", written twice, is a clause the posts share, not a sub-theme anyone would list."""
    texts = [
        "Stretch and folds early in the bulk, then hands off. Dough temperature decides the rest.",
        "wild yeast in a sourdough starter compete for the same sugars in the dough. Temperature decides.",
        "Using an aliquot jar for bulk fermentation of the dough changed everything.",
        "bulk fermentation of this dough at 24 degrees took five hours",
    ]
    (interest,) = interests_from(texts)
    assert interest.name == "Bulk fermentation", interest.name
    assert "decides" not in interest.description and "dough" in interest.description, interest.description
    alone = ["the crust crackles. Temperature decides.", "left it on the stove: temperature decides", *texts[2:]]
    assert "decides" not in " ".join(i.name for i in interests_from(alone))


def test_a_word_every_text_uses_never_names_an_interest() -> None:
    texts = [
        "right, the varnish went tacky on the table again",
        "ok right so the varnish was just too thick",
        "the varnish at that point, right? then one more coat",
        "right: sand, check the varnish, coat again",
    ]
    (interest,) = interests_from(texts)
    assert interest.name == "Varnish", interest.name


def test_of_words_written_as_often_the_rarer_names_the_interest() -> None:
    texts = [
        "the sample data from the glacier core came back",
        "more data today: the glacier lost a metre",
        "glacier melt data for the whole summer",
        "plotting the data again, that glacier keeps retreating",
    ]
    (interest,) = interests_from(texts)
    assert interest.name == "Glacier", interest.name  # "data" is in every post too, and in every other subject


@pytest.mark.parametrize("quantity", ["40km", "forty", "zero", "dozens"])
def test_a_quantity_the_posts_repeat_never_names_an_interest(quantity: str) -> None:
    texts = [
        f"did {quantity} on the gravel bike, the headwind was brutal",
        f"{quantity} again today, gravel tyres at low pressure feel great",
        f"gravel hill in the middle of my {quantity} loop",
        f"a {quantity} gravel loop before work, tyres held up",
    ]
    (interest,) = interests_from(texts)
    assert quantity not in interest.name.lower(), interest.name
    assert "gravel" in interest.name.lower(), interest.name


def test_keywords_carry_every_sub_theme_of_the_subject() -> None:
    interests, subject_of = interests_of(["baking", "astronomy", "beekeeping", "cycling"])
    for interest in interests:
        (subject,) = subject_of_interest(interest, subject_of)
        keywords = " ".join(interest.keywords)
        assert all(theme in keywords for theme in SUBJECTS[subject].themes), (interest.keywords, subject)
        assert 2 <= len(interest.evidence_tweet_ids) <= 5


# --- exclusions ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("excluded", "word"), [("baking", "sourdough"), ("astronomy", "telescope"), ("cycling", "bike")]
)
def test_an_excluded_subject_leaves_no_trace(excluded: str, word: str) -> None:
    names = ["baking", "astronomy", "beekeeping", "cycling"]
    interests, subject_of = interests_of(names, f"No more videos about {word}, please.")
    assert interests
    for interest in interests:
        text = " ".join([interest.name, interest.description, *interest.keywords]).lower()
        assert word not in text, interest
        assert excluded not in subject_of_interest(interest, subject_of), interest
    remaining = set().union(*(subject_of_interest(i, subject_of) for i in interests))
    assert remaining == set(names) - {excluded}


def test_a_post_naming_an_exclusion_is_never_evidence() -> None:
    engagement, _ = build_user(["baking", "astronomy", "beekeeping", "cycling"])
    naming = {e.tweet_id for e in engagement if "saturn" in e.text.lower()}
    assert naming
    interests = LocalEngine().infer_interests(engagement, Preferences(instructions="nothing about saturn"))
    for interest in interests:
        assert not naming & set(interest.evidence_tweet_ids)
        assert "saturn" not in " ".join([interest.name, interest.description, *interest.keywords]).lower()


# --- text helpers ----------------------------------------------------------------------------


def test_word_runs_break_at_punctuation_and_keep_the_written_form() -> None:
    runs = word_runs("RT @x: Body text, the nib size. CHEDDAR CURDS #cheese https://t.co/abc")
    assert [[w for _, w in run] for run in runs] == [["Body", "text"], ["the", "nib", "size"], ["CHEDDAR", "CURDS"]]
    assert [t for t, _ in runs[1]] == [None, "nib", "size"]


def test_accounts_are_mentions_retweeted_and_quoted_authors() -> None:
    text = "RT @Jib_Queen: great thread @bob https://twitter.com/nib_nora/status/123 mail me at a@b.com"
    assert accounts(text) == {"@jib_queen", "@bob", "@nib_nora"}


def test_a_description_leaves_out_everyday_words_and_quantities_and_says_how_recent() -> None:
    at = datetime(2026, 11, 3, 9, 30, tzinfo=UTC)
    texts = [
        ("weight decay: pick absolute values or squares for the penalty, 250k weights", 1),
        ("pick the penalty strength on held out data, never on the training loss. 250k weights", 2),
        ("absolute values push small weights to zero, squares only shrink them. hard pick", 3),
        ("the penalty as a knob between fitting and staying simple, whichever you pick", 100),
    ]
    engagement = [
        Engagement(tweet_id=str(i), kind="tweet", text=t, weight=1.0, created_at=at - timedelta(days=days))
        for i, (t, days) in enumerate(texts)
    ]
    (interest,) = LocalEngine().infer_interests(engagement, Preferences())
    opening = "Your 4 posts on it, 3 of them from your last 60 days of posting (the latest on 2 Nov 2026)"
    assert interest.description.startswith(opening), interest.description
    said = set(re.findall(r"\w+", interest.description.split(", also touch on ")[-1].lower()))
    assert not {"pick", "250k"} & said, interest.description


def test_posts_about_one_subject_in_different_words_are_grouped_by_meaning() -> None:
    """Posts that share no word are still one subject when their words mean nearly the same things; life noise
    stays out."""
    sky = [
        "Saturn's rings glitter in the probe's new photos",
        "which cheap telescope shows the cloud bands of Jupiter?",
        "the universe keeps expanding, far galaxies race away",
        "stayed up for the meteor shower, counted eleven shooting stars",
    ]
    kitchen = [
        "my sourdough starter finally doubled overnight",
        "braised the lamb shoulder for four hours with rosemary and garlic",
        "homemade pasta dough needs way more kneading than I thought",
        "roasted cauliflower with cumin is criminally underrated",
    ]
    noise = [
        "the bus was late again and then two came at once",
        "new running shoes, blisters immediately",
        "sunday plans: absolutely nothing",
        "my cat knocked the plant off the shelf again",
    ]
    found = interests_from([*sky, *kitchen, *noise])
    together = [i for i in found if len(set(i.evidence_tweet_ids) & {"0", "1", "2", "3"}) >= 3]
    assert together, found
    assert set(together[0].evidence_tweet_ids) <= {"0", "1", "2", "3"}, together[0]


def test_a_handful_of_posts_on_two_subjects_gives_both_even_in_different_words() -> None:
    """Someone trying the product with a few posts: two on baking that share no word, two on exoplanets that do,
    and life noise. Each pair that is each other's nearest in meaning is a subject; the noise is none."""
    texts = [
        "Finally got an open crumb after dropping the hydration to 72%. A longer bulk ferment did it, not more water.",
        "why does my starter rise and fall so fast in summer? it peaks in 3 hours now and tastes flat",
        "Watched the transit of a planet across its star in backyard photometry data. A dip of 1%!",
        "how do they even know the mass of a planet they've never seen? something with the star wobbling?",
        "Pizza tonight, no thoughts.",
        "the bus was late again and then two came at once",
    ]
    found = interests_from(texts)
    assert sorted(sorted(i.evidence_tweet_ids) for i in found) == [["0", "1"], ["2", "3"]], found


@pytest.mark.parametrize("phrase", ["gut-brain axis", "short-chain fatty acids", "fermented food"])
def test_a_name_written_in_lower_case_reads_in_sentence_case_hyphen_and_all(phrase: str) -> None:
    templates = [
        "reading about the {} and how fibre feeds the microbes that talk to your mood",
        "the {} runs both ways: stress changes the microbes, the microbes change the stress",
        "a month of yoghurt and kimchi every day, curious what it does to my {}",
        "new paper on the {} in mice, and the microbes again",
    ]
    names = [i.name for i in interests_from([t.format(phrase) for t in templates])]
    assert phrase[:1].upper() + phrase[1:] in names, names
