"""Writes the bundled demo data: app/demo/sample_catalog.json and app/demo/sample_archive.zip.

    .venv/bin/python bench/make_demo_data.py

The content is original and deterministic (rerunning gives the same files): nine
learning videos on three topics (sourdough bread, exoplanets, woodworking joinery),
each with one dense passage on its own sub-idea among the intro, sponsor, tangents
and Q&A a long video is mostly made of, plus one clickbait and one entertainment
video. Half the transcripts look like auto captions (lower case, no punctuation,
cut mid-sentence), half like manual captions. The archive belongs to a made-up
person whose recent posts are about those sub-ideas and whose old posts are about
marathon training (a stale interest with no videos).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parents[1] / "app" / "demo"
GENERATED = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
SNOWFLAKE_EPOCH_MS = 1288834974657
FILLER_SENTENCES = 40  # around the passage: a video of five to six minutes

FILLER = [
    "Hey everyone, and welcome back to the channel.",
    "If you enjoy this kind of thing, please like and subscribe, it really helps.",
    "Today we are talking about {topic}, which a lot of you asked about.",
    "This episode is supported by a note-taking app I actually use every day.",
    "You can find the link to it in the description below.",
    "Quick tangent: my cat walked across the keyboard while I was editing this.",
    "Anyway, {topic} comes up all the time in the comments.",
    "Let me know in the comments what you want to see next.",
    "We got a great question from the audience last week about {topic}.",
    "I will put some further reading in the show notes.",
    "I remember the first time I heard about {topic}, I had no idea what it meant.",
    "People have strong opinions about {topic}, and that is fine.",
    "There is a lot of noise online about {topic}, so let us slow down a bit.",
    "If you are new here, this channel is about learning things properly.",
    "We will get to the good stuff in a minute.",
    "The studio is a bit cold today, so excuse the sweater.",
    "A couple of housekeeping notes before we move on.",
    "Someone asked whether {topic} is worth the effort, and my honest answer is it depends.",
    "I was reading old forum threads about {topic} last night, which was a mistake.",
    "Thanks to everyone who came to the live session last month.",
    "Okay, let us get into it.",
    "That is pretty much it for today, thanks for watching.",
    "See you in the next one.",
]

# (video key, topic, title, channel, description, published, views, likes, caption style, passage)
LEARNING: list[tuple[str, str, str, str, str, str, int, int, str, list[str]]] = [
    (
        "starter",
        "sourdough",
        "How a sourdough starter really works: a fermentation lecture",
        "Kitchen Science Hour",
        "A lecture on the microbiology of sourdough starters: wild yeast, lactic acid bacteria, feeding ratios.",
        "2019-05-14",
        412000,
        18300,
        "manual",
        [
            "A starter is a small ecosystem of wild yeast and lactic acid bacteria living in flour and water.",
            "The yeast makes the carbon dioxide that raises the dough, while the bacteria make lactic and acetic acid.",
            "When you feed a starter, the ratio of old starter to fresh flour and water decides when it peaks.",
            "A one to five to five feeding dilutes the culture, so the starter takes longer to rise but tastes milder.",
            "A one to one to one feeding peaks quickly and builds more acid, which is why it smells sharp.",
            "Temperature matters as much as the ratio: at twenty six degrees a healthy starter doubles in four hours.",
            "At nineteen degrees the same starter may need ten hours, and the bacteria get ahead of the yeast.",
            "The peak is the moment the dome starts to flatten, when the yeast have eaten most of the available sugar.",
            "Use the starter at or just before its peak, because after it the yeast are hungry and the gluten weakens.",
            "A float test is unreliable; watching the rise in a straight-sided jar tells you much more.",
            "If your starter is sluggish, feed it twice a day at a warmer spot for three days before you judge it.",
        ],
    ),
    (
        "bulk",
        "sourdough",
        "Bulk fermentation explained: reading the dough, not the clock",
        "The Bread Lab Talks",
        "Why bulk fermentation makes or breaks a sourdough loaf, and how to judge it with an aliquot jar.",
        "2021-02-03",
        268000,
        11900,
        "auto",
        [
            "Bulk fermentation is the stretch of time between mixing the dough and dividing it.",
            "It is where most of the flavour and most of the gas in the final loaf are made.",
            "The recipe's time is only a guess, because dough temperature changes the speed completely.",
            "Take a small piece of dough, put it in a straight-sided jar, and mark its level: that is an aliquot jar.",
            "When the dough in the jar has risen by about fifty percent, the bulk in the bowl is usually done.",
            "A dough at twenty four degrees may reach that point in five hours, while a cold dough can need nine.",
            "During the first two hours, a few sets of stretch and folds build strength without kneading.",
            "The dough should look domed at the edges, jiggle when you shake the bowl, and show bubbles on the sides.",
            "Under-fermented dough bakes into a dense loaf with a few huge holes under the crust.",
            "Over-fermented dough spreads flat when you turn it out and tears when you shape it.",
            "So measure the dough temperature right after mixing, and plan the bulk around that number.",
        ],
    ),
    (
        "oven",
        "sourdough",
        "Interview with a baker: steam, scoring and oven spring",
        "Crumb Conversations",
        "A long conversation with a bakery owner about baking sourdough at home: steam, scoring, oven spring.",
        "2017-10-22",
        98000,
        4100,
        "manual",
        [
            "Oven spring is the last burst of rise in the first ten minutes of the bake.",
            "It happens because the gas expands and the yeast make a final push before the heat kills them.",
            "For that burst the crust has to stay soft, and that is the whole point of steam.",
            "A lidded cast iron pot traps the moisture coming off the dough, so it steams itself.",
            "Bake covered at two hundred and fifty degrees for twenty minutes, then uncover to brown the crust.",
            "The score is a planned weak spot: it tells the loaf where to open instead of bursting at the side.",
            "Hold the blade at a shallow angle, about thirty degrees, and cut one confident stroke.",
            "A shallow angle lifts a flap of dough that becomes the ear, the crisp ridge everyone wants.",
            "Scoring straight down opens the loaf wide but flat, which is fine for a rustic look.",
            "Cold dough straight from the fridge scores more cleanly, because the surface is firm.",
        ],
    ),
    (
        "transit",
        "exoplanets",
        "Finding planets around other stars: the transit method",
        "Open Sky Lectures",
        "University lecture on how transit surveys find exoplanets from tiny dips in starlight.",
        "2018-09-30",
        733000,
        29800,
        "auto",
        [
            "The transit method watches the brightness of a star and waits for a planet to pass in front of it.",
            "When the planet crosses the disc of the star, it blocks a tiny fraction of the light.",
            "The depth of that dip is the ratio of the planet's area to the star's area.",
            "A Jupiter-sized planet in front of a Sun-like star dims it by about one percent.",
            "An Earth-sized planet dims the same star by less than one part in ten thousand.",
            "The time between dips gives the orbital period, and from the period we get the orbit's size.",
            "Space telescopes like Kepler and TESS stare at the same stars for months to catch repeated dips.",
            "A single dip is not a discovery: starspots, binary stars and instrument noise can all fake one.",
            "So astronomers need at least three evenly spaced transits with the same depth and shape.",
            "The catch is geometry: we only see transits when the orbit is almost edge-on from our point of view.",
        ],
    ),
    (
        "velocity",
        "exoplanets",
        "Weighing an exoplanet with starlight: the radial velocity method",
        "Open Sky Lectures",
        "How the Doppler wobble of a star reveals the mass of the planets orbiting it.",
        "2020-04-11",
        355000,
        14200,
        "manual",
        [
            "A planet does not simply orbit its star: both orbit their common centre of mass.",
            "That makes the star wobble toward us and away from us in a regular rhythm.",
            "When the star moves toward us its light is shifted slightly blue, and when it moves away, slightly red.",
            "A spectrograph measures those tiny shifts in thousands of absorption lines at once.",
            "Jupiter makes the Sun wobble at about twelve metres per second; the Earth only about nine centimetres.",
            "The size of the wobble gives the planet's minimum mass, because we do not know the orbit's tilt.",
            "Combine it with a transit, which gives the radius, and you get the planet's density.",
            "Density tells you whether you are looking at a rocky world, a water world or a puffy gas giant.",
            "Stellar activity is the enemy here, since spots on a rotating star also shift the lines.",
        ],
    ),
    (
        "spectra",
        "exoplanets",
        "Reading alien skies: transmission spectroscopy of exoplanet atmospheres",
        "Deep Field Podcast",
        "An astronomer explains how we learn what exoplanet atmospheres are made of.",
        "2023-07-19",
        187000,
        9100,
        "auto",
        [
            "During a transit a thin ring of atmosphere around the planet is backlit by the star.",
            "Molecules in that ring absorb starlight at their own wavelengths.",
            "So the planet looks slightly bigger at the wavelengths where its air absorbs.",
            "Measure the transit depth colour by colour and you get a transmission spectrum.",
            "Water vapour shows up as bumps near one point four microns, carbon dioxide near four point three.",
            "The James Webb Space Telescope made these measurements routine for hot giant planets.",
            "High clouds are a problem, because they block light at every wavelength and flatten the spectrum.",
            "A flat spectrum is not boring; it tells you there is a cloud deck high in the atmosphere.",
            "For small rocky planets the signal is tiny, so astronomers stack many transits together.",
        ],
    ),
    (
        "dovetails",
        "joinery",
        "Hand-cut dovetails, start to finish",
        "Bench & Chisel",
        "A complete walkthrough of cutting through dovetails by hand, tails first.",
        "2016-11-05",
        912000,
        35600,
        "manual",
        [
            "Start by setting a marking gauge to the thickness of the board and scribing a baseline on both faces.",
            "That baseline is where every saw cut stops and where the chisel registers later.",
            "Lay out the tails with a bevel gauge at a slope of about one in seven for hardwood.",
            "Saw on the waste side of each line and stop exactly at the baseline.",
            "Remove most of the waste with a coping saw, staying a millimetre above the line.",
            "Then pare down to the baseline with a sharp chisel, working from both faces toward the middle.",
            "Now stand the pin board in the vice and transfer the tails with a knife, not a pencil.",
            "Cut the pins on the waste side again; the knife line gives the saw a groove to start in.",
            "Test the fit before the glue: it should go together with hand pressure, not a mallet.",
            "A gap you can see now will only grow after glue-up, so fix it before you commit.",
        ],
    ),
    (
        "movement",
        "joinery",
        "Why wood moves: designing furniture for the seasons",
        "Bench & Chisel",
        "Seasonal wood movement explained, and the joints that let furniture live with it.",
        "2019-01-28",
        401000,
        15800,
        "auto",
        [
            "Wood gains and loses moisture with the seasons, and it swells and shrinks as it does.",
            "The movement is almost nothing along the grain but significant across it.",
            "Tangential movement, along the growth rings, is about twice the radial movement across them.",
            "That is why quartersawn boards stay flatter and move less than flatsawn ones.",
            "A solid tabletop fifty centimetres wide can change width by several millimetres over a year.",
            "If you glue it rigidly to the frame, it will crack or pull the joints apart.",
            "Tabletop fasteners in slots let the top slide while holding it flat.",
            "A breadboard end is pinned only in the middle, with elongated holes toward the edges.",
            "Frame and panel doors leave the panel floating in a groove, never glued.",
            "Bring the timber to the moisture content of the room where the piece will live before you cut joints.",
        ],
    ),
    (
        "sharpening",
        "joinery",
        "Sharpening chisels: a workshop talk",
        "Guild Evening Talks",
        "Recorded guild talk on sharpening chisels and plane irons, with questions from members.",
        "2015-06-17",
        156000,
        6200,
        "manual",
        [
            "A chisel edge is the meeting of two flat surfaces, the back and the bevel.",
            "Flatten the first few centimetres of the back once, and you never need to do it again.",
            "Grind the primary bevel at twenty five degrees, then hone a small microbevel at thirty.",
            "The microbevel means you only remove a sliver of steel each time you sharpen.",
            "A honing guide holds the angle steady, which matters more than the brand of stone.",
            "Work through the grits until you raise a burr you can feel along the whole edge.",
            "Then remove the burr by honing the back flat on the finest stone.",
            "A few passes on a leather strop with compound polish the edge further.",
            "Test on end grain of soft pine: a sharp chisel leaves a shiny surface, a dull one crushes fibres.",
        ],
    ),
]

CLICKBAIT = (
    "clickbait",
    "sourdough",
    "I tried SOURDOUGH for 24 hours and THIS happened (insane results)",
    "Viral Kitchen Challenges",
    "Sourdough starter! Bulk fermentation! Oven spring! You will NOT believe what happened to my bread!!!",
    "2025-11-02",
    2300000,
    41000,
    "auto",
    [
        "Oh my gosh you guys, the sourdough starter just exploded all over the counter.",
        "I have no idea what bulk fermentation is but we are doing it anyway.",
        "Smash that like button if you think this bread is going to be a disaster.",
        "My roommate just tasted it and made the funniest face I have ever seen.",
        "Oven spring? More like oven fling, because I dropped it on the floor.",
        "Comment your best bread pun and I will pin my favourite one.",
    ],
)
ENTERTAINMENT = (
    "fails",
    None,
    "Reacting to the worst kitchen fails of the year",
    "Couch Reactions",
    "We react to the funniest kitchen disasters submitted by viewers. Prepare to cringe.",
    "2025-12-20",
    1800000,
    52000,
    "manual",
    [
        "No no no, he is not going to flip that pancake onto the ceiling, is he?",
        "Okay this one made me laugh so hard I nearly fell off the couch.",
        "Whoever thought a microwave could hold that much popcorn was very wrong.",
        "Let us pause here because the look on the dog's face is priceless.",
        "Send us your own disasters and they might end up in the next video.",
        "Rating this one a solid eleven out of ten for pure chaos.",
    ],
)

# (days before the archive was made, text); the newest engagement is about the learning topics.
TWEETS = [
    (2, "My starter finally doubles in four hours since I moved it to a 26 degree spot. Feeding it 1:5:5 now."),
    (4, "Using an aliquot jar for bulk fermentation changed everything. Stop at 50% rise, not at the recipe's time."),
    (5, "Stretch and folds in the first two hours of bulk, then hands off. Dough temperature decides the rest."),
    (7, "The transit method still blows my mind: a one percent dip in starlight means a Jupiter-sized planet."),
    (9, "Why does an Earth-sized planet only dim its star by less than one part in ten thousand? Geometry is wild."),
    (11, "Reading about transmission spectroscopy: water vapour bumps near 1.4 microns in an exoplanet atmosphere!"),
    (12, "JWST transmission spectra of hot Jupiters, and clouds that flatten the whole spectrum. Fascinating."),
    (14, "Sourdough lesson of the week: my starter was past its peak, the dome had flattened, and the loaf was dense."),
    (16, "Radial velocity: Jupiter makes the Sun wobble at 12 m/s. Combine with a transit and you get density."),
    (18, "First hand-cut dovetails this weekend. Marking gauge baseline, saw on the waste side, pare to the line."),
    (21, "Transferring tails to the pin board with a knife instead of a pencil: the fit is so much tighter."),
    (23, "Today I learned tangential wood movement is about twice the radial. No wonder my flatsawn top cupped."),
    (26, "Breadboard ends pinned only in the middle, elongated holes at the edges. Wood movement is the real boss."),
    (30, "Steam and a lidded cast iron pot for oven spring, score at a shallow angle for a proper ear."),
    (34, "Honing a microbevel at 30 degrees on top of a 25 degree primary bevel. Chisel now shaves end grain."),
    (41, "Kepler and TESS staring at the same stars for months to catch repeated transits. Patience as a method."),
    (
        3,
        "Scored at a shallow angle, baked in the cast iron pot with the lid on: first real ear, great oven spring.",
    ),
    (6, "Clouds flatten a transmission spectrum, so a flat spectrum still tells you about the atmosphere. Love that."),
    (8, "Sharpening night: flattened the back of my chisel, honed the microbevel, raised a burr and stropped it off."),
    (13, "Oven spring happens in the first ten minutes; steam keeps the crust soft long enough. Lid off after twenty."),
    (19, "Water vapour and carbon dioxide absorption bands in an exoplanet atmosphere, straight from JWST spectra."),
    (27, "A honing guide for chisels matters more than the brand of sharpening stone. Test on pine end grain."),
    (48, "lol my bread looks like a frisbee again"),
    (55, "Bulk fermentation at 24 degrees took five hours today, at 20 degrees last week it took nine."),
    (800, "Long run done: 30 km at marathon pace, negative split on the last 10. Taper starts next week."),
    (830, "Interval session on the track, 6 x 1 km at threshold. Marathon training block going well."),
    (870, "Carb loading strategies for the marathon, anyone? Three days of pasta sounds like a lot."),
    (910, "New running shoes for the marathon build. Heel drop 8 mm, feels fast."),
]
LIKES = [
    "Lactic acid bacteria and wild yeast in a sourdough starter compete for the same sugars. Temperature decides.",
    "An exoplanet's transit depth is the ratio of the planet's area to the star's area. Simple and beautiful.",
    "Floating panels in frame and panel doors: never glue the panel, let the wood move.",
    "Quartersawn boards move less than flatsawn ones. Worth the extra cost for tabletops.",
]


def video_id(key: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(f"openrec-demo-{key}".encode()).digest()).decode()[:11]


def transcript(topic: str, passage: list[str], style: str, seed: int) -> list[dict[str, Any]]:
    """Intro, sponsor and tangents, the dense passage in the middle, then Q&A and the outro."""
    pick = [FILLER[(seed * 7 + i * 5) % (len(FILLER) - 3)] for i in range(FILLER_SENTENCES)]
    half = FILLER_SENTENCES // 2
    sentences = [FILLER[0], *pick[:half], FILLER[-3], *passage, *pick[half:], FILLER[-2], FILLER[-1]]
    sentences = [s.format(topic=topic) for s in sentences]
    if style == "manual":
        chunks = sentences
    else:  # auto captions: lower case, no punctuation, cut every few words regardless of sentences
        words = re.sub(r"[^\w\s'-]", "", " ".join(sentences).lower()).split()
        sizes = [6, 8, 7, 9, 5]
        chunks, i = [], 0
        while i < len(words):
            size = sizes[len(chunks) % len(sizes)]
            chunks.append(" ".join(words[i : i + size]))
            i += size
        chunks.insert(3, "[Music]")
    segments, start = [], 0.0
    for chunk in chunks:
        duration = round(max(2.0, 0.38 * len(chunk.split())), 2)
        segments.append({"text": chunk, "start": round(start, 2), "duration": duration})
        start = round(start + duration, 2)
    return segments


def catalog() -> dict[str, Any]:
    videos = []
    for seed, (key, topic, title, channel, description, published, views, likes, style, passage) in enumerate(
        [*LEARNING, CLICKBAIT, ENTERTAINMENT]
    ):
        segments = transcript(topic or "this", passage, style, seed)
        end = segments[-1]["start"] + segments[-1]["duration"]
        videos.append(
            {
                "id": video_id(key),
                "title": title,
                "channel": channel,
                "description": description,
                "published_at": published,
                "duration_s": int(end + 0.999),
                "view_count": views,
                "like_count": likes,
                "transcript": segments,
            }
        )
    return {"videos": videos}


def snowflake(moment: datetime, sequence: int) -> str:
    return str(((int(moment.timestamp() * 1000) - SNOWFLAKE_EPOCH_MS) << 22) | sequence)


def js(global_name: str, entries: list[Any]) -> str:
    return f"window.{global_name} = " + json.dumps(entries, indent=2, separators=(",", " : "), ensure_ascii=False)


def archive() -> bytes:
    tweets = []
    for sequence, (days, text) in enumerate(TWEETS):
        moment = GENERATED - timedelta(days=days, hours=sequence)
        tweet_id = snowflake(moment, sequence)
        tweets.append(
            {
                "tweet": {
                    "id": tweet_id,
                    "id_str": tweet_id,
                    "full_text": text.replace("&", "&amp;"),
                    "created_at": moment.strftime("%a %b %d %H:%M:%S +0000 %Y"),
                    "favorite_count": "0",
                    "retweet_count": "0",
                    "favorited": False,
                    "retweeted": False,
                    "truncated": False,
                    "lang": "en",
                    "source": '<a href="https://mobile.twitter.com" rel="nofollow">Twitter Web App</a>',
                    "display_text_range": ["0", str(len(text))],
                    "entities": {"hashtags": [], "symbols": [], "user_mentions": [], "urls": []},
                }
            }
        )
    likes = []
    for sequence, text in enumerate(LIKES):
        liked = snowflake(GENERATED - timedelta(days=3 + 9 * sequence), 1000 + sequence)
        likes.append(
            {"like": {"tweetId": liked, "fullText": text, "expandedUrl": f"https://twitter.com/i/web/status/{liked}"}}
        )
    account = {
        "account": {
            "email": "sam.rivera@example.org",
            "createdVia": "web",
            "username": "sam_makes_things",
            "accountId": "4815162342",
            "createdAt": "2014-03-09T10:00:00.000Z",
            "accountDisplayName": "Sam Rivera",
        }
    }
    manifest = {
        "userInfo": {"accountId": "4815162342", "userName": "sam_makes_things", "displayName": "Sam Rivera"},
        "archiveInfo": {"generationDate": GENERATED.isoformat().replace("+00:00", ".000Z"), "isPartialArchive": False},
        "dataTypes": {
            "account": {"files": [{"fileName": "data/account.js", "globalName": "YTD.account.part0", "count": "1"}]},
            "tweets": {
                "files": [{"fileName": "data/tweets.js", "globalName": "YTD.tweets.part0", "count": str(len(tweets))}]
            },
            "like": {"files": [{"fileName": "data/like.js", "globalName": "YTD.like.part0", "count": str(len(likes))}]},
        },
    }
    files = {
        "data/manifest.js": "window.__THAR_CONFIG = " + json.dumps(manifest, indent=2),
        "data/account.js": js("YTD.account.part0", [account]),
        "data/tweets.js": js("YTD.tweets.part0", tweets),
        "data/like.js": js("YTD.like.part0", likes),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in files.items():
            info = zipfile.ZipInfo(name, date_time=(2026, 3, 1, 9, 30, 0))  # fixed time: reproducible bytes
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, content)
    return buffer.getvalue()


def main() -> None:
    data = catalog()
    (OUT / "sample_catalog.json").write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    (OUT / "sample_archive.zip").write_bytes(archive())
    segments = sum(len(v["transcript"]) for v in data["videos"])
    print(f"wrote {len(data['videos'])} videos ({segments} segments) and {len(TWEETS)} posts + {len(LIKES)} likes")


if __name__ == "__main__":
    main()
