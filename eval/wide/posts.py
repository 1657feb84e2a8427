"""Topics and personas of the wide evaluation set, with every post written by hand.

Six school subjects, some close to each other (astronomy, physics, chemistry) and some far apart
(economics, psychology, anatomy). Posts read like people's timelines: short, first person, opinions and
questions, replies, retweets, quotes, links and likes, and a good share of life outside study.
They talk about the ideas of a subject in their own words and rarely name it. None repeats a
video (the build checks for shared 5-word runs). Current interests have posts in the two months
before the archive date; a stale one has posts only from two or more years before it.
"""

from __future__ import annotations

from records import Persona, Post, like

GENERATED_AT = "2026-11-20T07:41:12.000Z"

TOPICS: dict[str, dict[str, object]] = {
    # Aliases are names a person would accept for the topic.
    "astronomy": {
        "name": "Astronomy",
        "aliases": [
            "Astronomy",
            "stars and planets",
            "the solar system and beyond",
            "cosmology and the expanding universe",
            "space science",
            "astrophysics",
        ],
    },
    "physics": {
        "name": "Physics",
        "aliases": [
            "Physics",
            "classical physics",
            "electricity and magnetism",
            "optics and light waves",
            "thermodynamics and entropy",
            "electric circuits",
        ],
    },
    "chemistry": {
        "name": "Chemistry",
        "aliases": [
            "Chemistry",
            "general chemistry",
            "the periodic table of elements",
            "gas laws and solutions",
            "chemical bonds and intermolecular forces",
        ],
    },
    "economics": {
        "name": "Economics",
        "aliases": [
            "Economics",
            "macroeconomics",
            "microeconomics",
            "monetary policy and central banks",
            "markets and government policy",
            "economic inequality",
        ],
    },
    "anatomy": {
        "name": "Anatomy and physiology",
        "aliases": [
            "Anatomy and physiology",
            "human anatomy",
            "human physiology",
            "how the human body works",
            "the nervous system and hormones",
        ],
    },
    "psychology": {
        "name": "Psychology",
        "aliases": [
            "Psychology",
            "social psychology",
            "the human mind and behaviour",
            "personality and intelligence",
            "prejudice and implicit bias",
        ],
    },
}


NADIA = Persona(
    name="nadia",
    email="nadia.haddad@example.org",
    username="nadia_stargazes",
    display_name="Nadia Haddad",
    account_id="1243098765120433",
    created_at="2016-02-14T21:03:55.000Z",
    seed=11,
    instructions="",
    relevant=("astronomy", "physics", "chemistry"),
    stale=("economics",),
    excluded=(),
    posts=(
        Post(
            "2026-11-19 22:41",
            "clear sky at last. that pale blue-green dot way out past the ringed one sat exactly where the app "
            "said. no twinkle, that's how you know it isn't a star",
        ),
        Post("2026-11-19 07:15", "first frost on the car this morning 🥶"),
        Post(
            "2026-11-18 20:02",
            "one of the planets was pinned down by someone doing sums at a desk before anybody aimed a telescope "
            "at that patch of sky. paper 1, eyeballs 0",
        ),
        Post(
            "2026-11-18 12:30",
            "spent lunch tilting my sunglasses at the canal. the glare vanishes at one angle and creeps back as I "
            "rotate them. free show",
        ),
        Post(
            "2026-11-17 19:44",
            "reading about things too heavy to be planets that never managed to light up. the understudies of the sky",
        ),
        Post(
            "2026-11-17 19:58",
            "@kai_observes the lithium trick is so clever. if it still has lithium it never got hot enough to burn "
            "it, so it can't be a proper sun",
            reply_to="kai_observes",
        ),
        Post(
            "2026-11-16 10:12",
            "made index cards with melting points and weights to quiz myself and ended up sorting them into "
            "families on the floor like a Victorian chemist",
        ),
        Post("2026-11-15 18:20", "my sourdough starter died. rest in peace Gerald"),
        Post(
            "2026-11-14 21:33",
            "soap bubble colours = light bouncing off the front and the back of a film a few hundred nanometres "
            "thick and cancelling itself out for some colours. how is that real",
        ),
        like(
            "2026-11-14 08:05",
            "Saturn's rings are wider than the distance to the Moon and thinner than a block of flats is tall. "
            "I refuse to believe it",
        ),
        Post(
            "2026-11-12 17:50",
            "the person who left empty slots in his chart for elements nobody had found yet, then guessed what "
            "they would weigh. the nerve!! and he was right",
        ),
        Post(
            "2026-11-11 20:15",
            "tutoring tonight: the kid asked why adding a resistor side by side makes the total go DOWN. "
            "supermarket checkout lanes analogy, it landed",
        ),
        Post("2026-11-10 09:02", "the bus was 25 minutes late and then two came at once. classic"),
        Post(
            "2026-11-08 22:10",
            "RT @skyatnight_fan: that faint microwave hiss from every direction is leftover glow from when "
            "everything was packed hot and tight",
        ),
        Post(
            "2026-11-07 16:40",
            "every distant galaxy's light comes in stretched toward red, and more stretched the further out it is. "
            "sit with that for a minute",
        ),
        Post(
            "2026-11-05 13:25",
            "the gas law on the board works beautifully until you squeeze hard enough that the molecules take up "
            "real room and start clinging to each other. then it lies",
        ),
        Post("2026-11-04 19:00", "cat knocked my tea over the star chart. we live"),
        Post(
            "2026-11-02 11:45",
            "this circuit simulator is honestly the best free thing on the internet",
            link="https://phet.colorado.edu/en/simulations/circuit-construction-kit-dc",
        ),
        Post(
            "2026-10-30 21:05",
            "question for the telescope people: is a 4 inch refractor enough to see stripes on the biggest gas "
            "planet or am I dreaming",
        ),
        Post(
            "2026-10-28 15:18",
            "why does salt vanish into water and oil doesn't? the water molecule is lopsided in charge and oil "
            "gives it nothing to grab. one sentence, three weeks of confusion",
        ),
        Post("2026-10-26 08:30", "new running shoes, blisters immediately, love that for me"),
        Post(
            "2026-10-24 20:40",
            "the drinking bird on my desk is secretly a little heat engine running on evaporation. it stops when "
            "the glass is dry, sorry",
        ),
        Post(
            "2026-10-21 18:12",
            "entropy as 'there are far more ways to be a mess than to be tidy' is the only version that ever "
            "stuck with me",
        ),
        Post(
            "2026-10-18 14:00",
            "capillary tube demo in the lab today: water crept up the glass on its own. stickiness to the glass "
            "beating stickiness to itself",
        ),
        Post("2026-10-15 12:10", "book club picked a 700 page novel again, who does this"),
        Post(
            "2026-10-11 23:02",
            "the ice giants have winds faster than sound and it's colder than anything on Earth. perfect holiday spot",
        ),
        Post(
            "2026-10-07 17:35",
            "hydrogen 'bonds' aren't really bonds and everyone knows it but we keep calling them that",
        ),
        Post("2026-10-03 10:00", "sunday plans: nothing. absolutely nothing"),
        Post(
            "2026-09-29 21:47",
            "two wires carrying current the same way pull together. same way, attract. I keep expecting the "
            "fridge magnet rule and getting it backwards",
        ),
        Post("2026-09-26 19:20", "lol"),
        Post(
            "2023-03-14 18:05",
            "rent up 18% this year and the landlord says 'market rate'. who sets the market rate, genuinely asking",
        ),
        Post(
            "2023-01-09 21:40",
            "reading about why capping rents makes the flat shortage worse over time. I hate that it makes sense",
        ),
        Post("2022-10-02 08:55", "interest rates up again. my mortgage broker sounds tired"),
        Post(
            "2022-06-20 20:30",
            "finally understood what it does when the central bank buys bonds from the banks. more cash to lend, "
            "cheaper loans. thread maybe later",
        ),
    ),
)


OLIVER = Persona(
    name="oliver",
    email="oliver.mensah@example.com",
    username="oli_mensah",
    display_name="Oliver Mensah",
    account_id="1389011274455610",
    created_at="2019-09-01T12:44:09.000Z",
    seed=23,
    instructions="Please give physics a rest for a few weeks, I'm drowning in it for my exams.",
    relevant=("economics", "psychology", "astronomy"),
    stale=("chemistry",),
    excluded=("physics",),
    posts=(
        Post(
            "2026-11-19 21:10",
            "if everyone in town could choose to chip in less for the fire brigade, there'd be no fire brigade. "
            "free riders explain half of politics",
        ),
        Post("2026-11-19 18:02", "football at 8, kettle on at 7:55"),
        Post(
            "2026-11-18 23:40",
            "third problem set this week on resistor networks. I see resistors when I close my eyes",
        ),
        Post(
            "2026-11-18 16:25",
            "read about the sneaker experiment: split a class by footwear and within an hour each side is sure the "
            "other lot are worse. we are so easy to divide",
        ),
        Post(
            "2026-11-17 12:12",
            "overfishing is the saddest example. every boat is being perfectly rational and together they "
            "empty the sea",
        ),
        Post(
            "2026-11-16 22:05",
            "brown dwarfs: too big to be a planet, too small to be a star. relatable honestly",
        ),
        Post("2026-11-16 09:40", "my mum sent me 14 voice notes about the neighbours' hedge"),
        Post(
            "2026-11-15 19:30",
            "a factory dumping into the river never pays for the dead fish downstream, so it makes too much. "
            "that's the whole case for a pollution tax in one line",
        ),
        Post(
            "2026-11-15 19:41",
            "@mara_econ cap and trade sounded like a scam to me until I read what happened to acid rain",
            reply_to="mara_econ",
        ),
        Post(
            "2026-11-14 14:50",
            "thermo exam on friday. if I read the word adiabatic one more time I am moving to the woods",
        ),
        Post(
            "2026-11-13 20:20",
            "took one of those online bias tests where you sort faces and words against the clock. I was quicker "
            "on some pairings and did not enjoy what that said about me",
        ),
        like("2026-11-13 08:15", "A test is only as fair as the group it was normed on."),
        Post(
            "2026-11-12 17:05",
            "the central bank doesn't set your mortgage rate directly. it changes how much money is sloshing around "
            "and the banks follow. took me embarrassingly long",
        ),
        Post("2026-11-11 21:55", "jollof debate again at dinner. I will die on this hill"),
        Post(
            "2026-11-10 11:30",
            "right hand rule has me flapping my hand around in the library like a weirdo",
        ),
        Post(
            "2026-11-09 16:45",
            "twin studies are wild. identical twins raised in different homes end up closer on test scores than "
            "non-identical twins raised together",
        ),
        Post(
            "2026-11-07 22:30",
            "you can't see the very beginning because the young universe was opaque. like trying to look out from "
            "inside a candle flame",
        ),
        Post(
            "2026-11-06 13:15",
            "lorenz curve homework: draw the diagonal where everyone earns the same, then watch the real curve sag "
            "underneath. the size of the sag is your gini",
        ),
        Post("2026-11-05 07:50", "gym was packed. january people came early this year"),
        Post(
            "2026-11-03 20:10",
            "my flatmate says hypnosis is fake. it's not fake, it just can't make you do what you'd never do. "
            "more like being extremely focused and open to nudges",
        ),
        Post(
            "2026-11-01 15:35",
            "the professor drew a coil of wire, said 'obviously' and moved on. I closed my notebook",
        ),
        Post(
            "2026-10-29 19:25",
            "hot take: a minimum price on corn helps the farmers who manage to sell, hurts everyone else and still "
            "leaves a pile of unsold corn",
        ),
        Post(
            "2026-10-27 22:45",
            "@nadia_stargazes did you catch the ice giant last night? clouds here as usual",
            reply_to="nadia_stargazes",
        ),
        Post("2026-10-25 10:05", "need new headphones, suggestions welcome (budget: student)"),
        Post(
            "2026-10-22 18:40",
            "new word of the week: ego-syntonic. a problem that bothers everyone around you but not you",
        ),
        Post(
            "2026-10-18 21:15",
            "space isn't growing INTO something else. I have read that sentence forty times and my brain still refuses",
        ),
        Post(
            "2026-10-14 17:20",
            "need a break from magnets and currents before they break me",
        ),
        Post(
            "2026-10-09 12:00",
            "RT @econ_daily: QE put a mountain of reserves in banks. whether it reaches your wallet depends on "
            "whether they lend it",
        ),
        Post("2026-10-04 16:30", "🎉 passed my driving test"),
        Post(
            "2026-09-30 20:50",
            "why do we like people more just because they're on 'our side'? the in-group stuff is fascinating "
            "and a bit scary",
        ),
        Post("2026-09-27 08:20", "rain again"),
        Post(
            "2023-05-11 23:30",
            "lab report on molarity due tomorrow and I have not diluted a single thing",
        ),
        Post(
            "2023-02-27 19:10",
            "gas law homework and every answer is off by a mile because I used celsius. every. single. time",
        ),
        Post(
            "2022-11-03 16:45",
            "periodic trends finally clicked: the left side gives electrons away, the right side grabs them",
        ),
        Post("2022-09-19 14:05", "surface tension demo with a paperclip floating on water. I yelled"),
    ),
)


GRACE = Persona(
    name="grace",
    email="grace.lindqvist@example.se",
    username="grace_learns_late",
    display_name="Grace Lindqvist",
    account_id="1502277390016648",
    created_at="2020-04-03T07:12:30.000Z",
    seed=37,
    instructions=(
        "I'm new to all of this, so beginner-friendly videos please: simple explanations and everyday "
        "examples, no heavy maths."
    ),
    relevant=("chemistry", "psychology", "physics", "anatomy"),
    stale=("astronomy",),
    excluded=(),
    posts=(
        Post(
            "2026-11-19 20:30",
            "okay so why does ice float?? something about the molecules holding on to each other in a roomy "
            "pattern when frozen. learning this at 34 is so fun",
        ),
        Post("2026-11-19 07:45", "school run in the rain, everyone soaked, nobody happy"),
        Post(
            "2026-11-18 21:12",
            "reading about how we pre-judge people without even noticing. uncomfortable but important",
        ),
        Post(
            "2026-11-18 21:20",
            "so a stereotype is the belief, prejudice is the feeling, and discrimination is when you act on it? "
            "did I get that right",
        ),
        Post(
            "2026-11-17 16:05",
            "why are polarised sunglasses better for fishing? asked my dad, he didn't know, now neither of us "
            "can sleep",
        ),
        Post(
            "2026-11-16 11:40",
            "learned today that only two elements are runny at room temperature. TWO. everything else is solid or gas",
        ),
        Post("2026-11-15 15:00", "fika break ☕🍰"),
        Post(
            "2026-11-14 19:25",
            "my son's school wants to do an IQ test and I have no idea what the number would even tell us",
        ),
        Post(
            "2026-11-14 19:50",
            "@dr_lena_psych thank you for that thread on how being reminded of a stereotype right before a test "
            "drags the scores down. eye opening",
            reply_to="dr_lena_psych",
        ),
        Post(
            "2026-11-13 18:10",
            "building circuits with my son's science kit. the bulbs get dimmer when we chain them one after another!",
        ),
        Post(
            "2026-11-12 10:30",
            "salty water carries electricity but pure water doesn't? so the hairdryer-in-the-bath thing is really "
            "about what's dissolved in it??",
        ),
        Post("2026-11-11 21:00", "knitting my first sock. it's more of a tube. a sad tube"),
        Post(
            "2026-11-10 13:35",
            "hypnosis is deep focus plus suggestion, not mind control. television lied to me for decades",
        ),
        like("2026-11-09 09:00", "Chemistry is just cooking with stricter rules"),
        Post(
            "2026-11-08 17:45",
            "the families on the classroom wall chart! the ones on the far left are so jumpy they're stored under oil",
        ),
        Post(
            "2026-11-07 12:20",
            "a toy bird that dips its beak in water forever?? not forever, the water runs out. physics wins again",
        ),
        Post("2026-11-06 14:10", "garden centre haul, no regrets"),
        Post(
            "2026-11-05 20:40",
            "caffeine withdrawal headaches are a real brain chemistry thing and not me being dramatic. vindicated",
        ),
        Post(
            "2026-11-03 16:55",
            "why is honey so slow? because its molecules are clingy. that's it, that's the explanation, and I love it",
        ),
        Post(
            "2026-10-31 11:15",
            "is there a simple explanation of entropy without equations? asking for me",
        ),
        Post("2026-10-28 19:30", "new podcast recommendations anyone? something calm"),
        Post(
            "2026-10-25 09:45",
            "rainbow in the puddle at the car park. turns out it's the thin layer of oil doing it. now I see "
            "them everywhere",
        ),
        Post(
            "2026-10-21 20:05",
            "the personality disorders chapter was heavy going. the 'clusters' idea helped me keep them apart",
        ),
        Post(
            "2026-10-17 18:30",
            "mixed sugar into cold tea and hot tea side by side with my son. hot won by miles. kitchen science",
        ),
        Post("2026-10-12 22:00", "God natt allihop 🌙", lang="sv"),
        Post(
            "2026-10-08 15:40",
            "RT @everydaysci: why does a paperclip sit on top of water? the surface acts like a stretched skin",
        ),
        Post(
            "2026-10-02 10:20",
            "my son asked me what a million is and I said ask your teacher",
        ),
        Post(
            "2026-09-28 21:15",
            "people really do behave differently when they think the outcome says something about 'their group'. "
            "the study I read tonight made me think about my own school days",
        ),
        Post(
            "2026-11-17 08:40",
            "when I was pregnant my gums bled and nobody told me it was the extra litres of blood. learning it "
            "now, eight years late",
        ),
        Post(
            "2026-11-09 21:30",
            "goosebumps, sweating, going white in the cold: my skin has been running the thermostat all along "
            "and I never gave it credit",
        ),
        Post(
            "2026-11-02 07:55",
            "toast set off the alarm at 3am and my heart pounded for twenty minutes. the fight-or-flight wiring "
            "is so over the top for burnt bread",
        ),
        Post(
            "2026-10-24 14:20",
            "TIL bone and blood belong to the same family of tissue as tendons. blood!! counts as a tissue!!",
        ),
        Post(
            "2026-10-15 19:05",
            "why does stress switch my stomach off? apparently the body cuts the gut's blood supply when it "
            "thinks you're running for your life",
        ),
        Post(
            "2026-10-05 16:50",
            "the line on a pregnancy test is picking up a hormone the tiny embryo makes so the period doesn't "
            "come. took a few of those and never knew",
        ),
        Post(
            "2024-03-02 23:10",
            "saw the northern lights from the back garden!! pink and green",
        ),
        Post("2023-08-12 22:30", "meteor shower tonight, lying on the trampoline with blankets"),
        Post("2022-12-14 18:45", "is that bright thing next to the moon a planet? someone said jupiter"),
        Post("2023-01-30 20:00", "just read that pluto isn't a planet anymore and I am still upset"),
    ),
)


BEN = Persona(
    name="ben",
    email="ben.okoro@example.net",
    username="ben_at_the_bench",
    display_name="Ben Okoro",
    account_id="1177340921876502",
    created_at="2014-11-11T18:20:41.000Z",
    seed=53,
    instructions="",
    relevant=("physics", "economics", "chemistry"),
    stale=("psychology",),
    excluded=(),
    posts=(
        Post(
            "2026-11-19 19:20",
            "ran current through two wires side by side at the bench and watched them twitch toward each other. "
            "that tiny tug used to define the amp",
        ),
        Post("2026-11-19 07:30", "bike commute in the fog, visibility about 20m, exhilarating and stupid"),
        Post(
            "2026-11-18 21:45",
            "fire piston arrived! shove the plunger down fast and the air gets hot enough to light a scrap of "
            "cotton. no match needed",
        ),
        Post(
            "2026-11-18 12:10",
            "if the banks just sit on the new money as reserves, printing it does very little. explains a lot "
            "about the 2010s",
        ),
        Post(
            "2026-11-17 20:35",
            "every motor in the house is a loop of wire being shoved around by a magnet, with the current "
            "flipping at just the right moment",
        ),
        Post(
            "2026-11-16 16:00",
            "did the zeppelin maths for fun: hydrogen instead of helium buys you roughly 18 extra tonnes of lift. "
            "also the reason it went up in flames",
        ),
        Post("2026-11-16 10:25", "kid's first football match, they lost 7-0 and had the best day"),
        Post(
            "2026-11-15 18:50",
            "externalities are why my energy bill has a line for emissions. someone finally put a price on the smoke",
        ),
        Post(
            "2026-11-14 22:15",
            "pet peeve: people who clip an ammeter across a component and then wonder why the fuse went",
        ),
        Post(
            "2026-11-14 22:31",
            "@sam_builds voltmeter wants a huge resistance so it barely sips current, ammeter wants almost none so "
            "it doesn't steal voltage. that's the whole trick",
            reply_to="sam_builds",
        ),
        Post(
            "2026-11-13 13:05",
            "subsidies for solar research: yes. subsidies for crops nobody needs: no. fight me",
        ),
        Post("2026-11-12 19:40", "new drill arrived. the shelf will finally go up. probably."),
        Post(
            "2026-11-11 17:15",
            "diluting bleach for the shed: moles before equals moles after. first time my A level chemistry paid off",
        ),
        Post(
            "2026-11-10 21:00",
            "the first law is just bookkeeping. heat in, work out, the difference stays inside as internal energy",
        ),
        Post(
            "2026-11-08 15:30",
            "clearest take on why shared fishing grounds get emptied that I've read",
            quote="econ_jen",
        ),
        Post(
            "2026-11-07 10:50",
            "diffraction grating from an old CD plus a phone torch = the cheapest spectrometer you'll ever own",
        ),
        Post("2026-11-06 20:20", "pub quiz team name suggestions?"),
        Post(
            "2026-11-05 18:00",
            "dipole forces are molecules lining up plus-to-minus like fridge magnets. the sticky ones with hydrogen "
            "on nitrogen or oxygen are just the extreme version",
        ),
        Post(
            "2026-11-03 12:45",
            "rent control thread in my replies is going about as well as you'd expect",
        ),
        Post(
            "2026-11-01 09:30",
            "a quarter of my mates insist you can get free energy from magnets. no you can't, the books always balance",
        ),
        Post("2026-10-29 19:05", "lol"),
        Post(
            "2026-10-26 21:40",
            "'inflation is always a monetary thing' says the famous quote. then why didn't a decade of QE send "
            "prices through the roof? answers below pls",
        ),
        Post(
            "2026-10-22 16:20",
            "london dispersion forces are named after a man called London, not the city. fifteen years I "
            "believed otherwise",
        ),
        Post("2026-10-18 11:10", "car passed its MOT 🙏"),
        Post(
            "2026-10-14 20:55",
            "simplify the network to one resistor, get the current, then unpick it branch by branch. still the "
            "most satisfying bit of any circuit problem",
        ),
        Post(
            "2026-10-10 18:30",
            "the share of income going to the top fifth keeps creeping up. the Gini numbers for the last 40 years "
            "are a slow-motion graph of it",
        ),
        Post("2026-10-06 22:05", "wife says I'm not allowed another multimeter"),
        Post(
            "2026-10-01 14:40",
            "the gas law breaks down when molecules get crowded. found that out the hard way with a scuba tank calc",
        ),
        Post(
            "2026-09-27 09:15",
            "RT @bench_notes: the cheapest physics lab is a glass of water, a torch and a pair of sunglasses",
        ),
        Post(
            "2023-04-10 21:30",
            "started reading about why we judge people by their group before we know them. heavy stuff",
        ),
        Post(
            "2022-07-22 12:50",
            "that study where professors rated the same CV differently depending on the name at the top. grim",
        ),
        Post(
            "2023-09-05 19:10",
            "psych podcast on personality disorders. the line between difficult and disordered is blurrier "
            "than I thought",
        ),
        Post(
            "2022-03-18 20:25",
            "took an IQ test online. it asked me to pay to see the result. the real test was there",
        ),
    ),
)


PERSONAS: tuple[Persona, ...] = (NADIA, OLIVER, GRACE, BEN)
