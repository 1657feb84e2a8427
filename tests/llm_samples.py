"""Small, realistic inputs for the LLM engine tests: posts, interests, candidates, a transcript."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from app.schemas import Candidate, Engagement, Interest, Preferences, Segment, TranscriptData

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)

POSTS = [
    "cheddaring vs a washed curd in the cheese vat, the acidity finally makes sense",
    "the pH meter showed the whey too sweet for cheddaring the curd again",
    "cheese vat temperature: rennet and the starter culture drive the curd set",
    "reading about how the cheesemaker picks between cheddaring and a washed curd",
    "found a flush of chanterelles under the beeches, mushroom foraging is wild",
    "mushroom foraging: how do you tell chanterelles from false ones in the woods",
    "chanterelles hide under the moss after rain, foraging in the woods is incredible",
    "lol monday",
]

CHEESE_TOPICS = [
    "cheddaring explained",
    "milling the curd",
    "cutting the curd at a clean break",
    "rennet and the curd set",
    "reading the acidity of the whey",
    "salting milled curd",
    "pressing a cheddar",
    "starter cultures for hard cheese",
    "washed curd cheeses",
    "stirred curd cheddar",
    "cloth binding a cheddar",
    "the cheese cave and ageing",
    "annatto and coloured cheddar",
    "waxing a wheel of cheese",
]
MUSHROOM_TOPICS = [
    "how foragers find chanterelles",
    "taking a spore print at home",
    "morels after a spring rain",
    "chanterelles versus false chanterelles",
    "porcini under the spruces",
    "drying mushrooms for winter",
    "foraging etiquette and the law",
    "why mushrooms fruit after rain",
    "the giant puffball record",
    "hen of the woods on old oaks",
]
OFF_TOPIC = ["best pizza in naples", "10 hours of rain sounds", "celebrity gossip roundup", "minecraft speedrun"]


def engagement() -> list[Engagement]:
    return [
        Engagement(
            tweet_id=str(1_860_000_000_000_000_000 + i),
            kind="tweet",
            text=text,
            created_at=NOW - timedelta(days=2 * i),
            weight=round(1.0 - 0.05 * i, 2),
        )
        for i, text in enumerate(POSTS)
    ]


def interests() -> list[Interest]:
    ids = [e.tweet_id for e in engagement()]
    return [
        Interest(
            name="Cheddar cheesemaking",
            description="How the cheesemaker cheddars the curd and reads the whey.",
            weight=0.9,
            evidence_tweet_ids=ids[:4],
            keywords=["cheese", "curd", "cheddaring", "washed curd", "whey"],
        ),
        Interest(
            name="Mushroom foraging",
            description="How foragers find wild mushrooms.",
            weight=0.6,
            evidence_tweet_ids=ids[4:7],
            keywords=["mushroom foraging", "chanterelles", "woods", "moss"],
        ),
    ]


def candidates() -> list[Candidate]:
    out = []
    for i, topic in enumerate(CHEESE_TOPICS):
        out.append(
            Candidate(
                video_id=f"pg{i:09d}",
                title=f"Cheddar making: {topic}",
                channel=f"Cheese Talks {i % 3}",
                description=f"A conference talk on {topic} in farmhouse cheddar making.",
                published_at=date(2019 + i % 6, 3, 1),
                duration_s=900 + 10 * i,
                view_count=1000 * (i + 1),
            )
        )
    for i, topic in enumerate(MUSHROOM_TOPICS):
        out.append(
            Candidate(
                video_id=f"bd{i:09d}",
                title=f"Mushroom foraging walk: {topic}",
                channel="Foraging Walks",
                description=f"An explainer on {topic} and how foragers find wild mushrooms.",
                published_at=date(2016 + i % 8, 5, 1),
                duration_s=700 + 10 * i,
                view_count=500 * (i + 1),
            )
        )
    for i, topic in enumerate(OFF_TOPIC):
        out.append(Candidate(video_id=f"ot{i:09d}", title=topic.title(), channel="Fun", duration_s=600))
    return out


FILLER = [
    "welcome back everyone and thanks for joining this session on cheese",
    "before we start please like and subscribe it really helps the channel",
    "today's episode is brought to you by our sponsor who makes great keyboards",
    "so a little about me i have been making cheese in my kitchen for a long time",
    "let's take a question from the chat about what got me into this field",
]
DENSE = [
    "cheddaring stacks the slabs of curd on top of each other along the sides of the warm vat",
    "then the whey runs out from under them while the slabs knit into a dense rubbery mat",
    "the cheesemaker turns the curd slabs every fifteen minutes until the whey reaches the right acidity",
    "if the acidity rises too fast the curd turns sour and the cheddar ages crumbly in the cave",
    "that is why a ph meter sits next to the vat so you can spot a fast starter culture early",
    "milling the cheddared slabs into small pieces lets the salt reach every part of the curd evenly",
]


def transcript(video_id: str = "pg000000000", *, rival: bool = False) -> TranscriptData:
    """A talk of filler, then one dense passage about cheddaring (4:10-6:10); with `rival`, more
    filler and a shorter second pass over it (7:50-8:50) make the choice of passage a close one."""
    texts = FILLER * 10 + DENSE * 4
    if rival:
        texts += FILLER * 4 + DENSE * 2
    segments = [Segment(text=text, start=round(i * 5.0, 2), duration=5.0) for i, text in enumerate(texts)]
    return TranscriptData(video_id=video_id, language_code="en", is_generated=True, segments=segments)


PREFS = Preferences(instructions="I'm comfortable with rennet; prefer talks over podcasts.")
