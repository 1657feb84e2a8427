"""The user's say over interests, applied to what the engine inferred, with the run log saying how.

Renamed interests take the user's name, muted ones and those an exclusion names are
left out, pinned ones are always kept (as last seen, when the posts no longer show
them) and interests added in the user's own words are described by an engine that can
(`DescribesInterests`: the local engine reads them against the user's posts). Pinned
and added interests come first and do not count against the engine's share.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from typing import Protocol, runtime_checkable

from app.llm.local.interests import without_theme
from app.pipeline.exclusions import ExcludedTopic, interest_excluded
from app.schemas import Engagement, Interest, Preferences
from app.text import plain_name


@runtime_checkable
class DescribesInterests(Protocol):
    """An engine that turns an interest in the user's words into one the pipeline can search for."""

    def interest_from_text(self, text: str, engagement: Sequence[Engagement]) -> Interest: ...


class Notes(Protocol):
    def skip(self, item: str, reason: str) -> None: ...

    def note(self, message: str) -> None: ...


IN_YOUR_POSTS = "Your posts call it"
SET_ASIDE = "Set aside: you voted down {votes} of its clips. Pin it to see it again."
_SET_ASIDE_MARK = re.compile("^" + r"\d+".join(map(re.escape, SET_ASIDE.split("{votes}"))) + r"\s*")


def interest_key(name: str) -> str:
    """How names compare: case and spacing aside."""
    return " ".join(name.split()).casefold()


def renamed_interest(interest: Interest, name: str) -> Interest:
    """The interest under a name found for it, its old name kept in its description and keywords."""
    old = interest.name
    keywords = list(dict.fromkeys([name.lower(), *interest.keywords, old.lower()]))
    description = without_theme(interest.description, name)
    # The posts' own words are worth saying when they make a phrase ("Your posts call it “plate boundaries”"),
    # not when they are one incidental word; on a second name in one run, the first one's stay.
    if not description.startswith(IN_YOUR_POSTS) and not plain_name(old):
        description = f"{IN_YOUR_POSTS} “{old.lower()}”. {description}".strip()
    return interest.model_copy(update={"name": name, "keywords": keywords, "description": description})


def set_aside(interest: Interest, votes: int) -> Interest:
    """The interest marked as set aside by the user's down votes (the interests page says why it shows nothing)."""
    said = SET_ASIDE.format(votes=votes)
    return interest.model_copy(update={"description": f"{said} {interest.description}".strip()})


def _not_set_aside(interest: Interest) -> Interest:
    """The interest without the mark of a run that set it aside: a pinned interest is never set aside."""
    return interest.model_copy(update={"description": _SET_ASIDE_MARK.sub("", interest.description, count=1)})


def steer_interests(
    inferred: Sequence[Interest],
    prefs: Preferences,
    engagement: Sequence[Engagement],
    topics: Sequence[ExcludedTopic],
    notes: Notes,
    *,
    describer: DescribesInterests,
    user_tweet_ids: Collection[str],
    limit: int,
) -> list[Interest]:
    """The run's interests: the user's pinned and added ones first, then up to `limit` in all of the engine's."""
    controls = prefs.interests
    muted = {interest_key(name) for name in controls.muted}
    pinned_keys = {interest_key(i.name) for i in controls.pinned}
    added_keys = {interest_key(text) for text in controls.added}
    chosen: dict[str, Interest] = {}
    rest: list[Interest] = []
    removed: dict[str, list[str]] = {topic.phrase: list(topic.interests) for topic in topics}
    for found in _as_last_seen(inferred, prefs, notes):
        interest = _renamed(found, prefs, notes)
        key = interest_key(interest.name)
        topic = interest_excluded(interest, topics)
        if topic is not None:
            notes.skip(interest.name, f"you asked for no more “{topic.phrase}”")
            removed[topic.phrase] = list(dict.fromkeys([*removed[topic.phrase], interest.name]))
        elif key in muted:
            notes.skip(interest.name, "you muted this interest")
            notes.note(f"Left out your muted interest “{interest.name}”.")
        elif key in pinned_keys or key in added_keys:
            chosen[key] = interest
            kind = "pinned" if key in pinned_keys else "added"
            notes.note(f"Kept your {kind} interest “{interest.name}”; your posts still point to it.")
        elif key not in chosen:
            rest.append(interest)
    for pinned in controls.pinned:
        key = interest_key(pinned.name)
        if key in chosen or key in muted:
            continue
        if (topic := interest_excluded(pinned, topics)) is not None:
            notes.skip(pinned.name, f"pinned, but you asked for no more “{topic.phrase}”")
            continue
        evidence = [t for t in pinned.evidence_tweet_ids if t in user_tweet_ids]
        chosen[key] = _not_set_aside(pinned).model_copy(update={"evidence_tweet_ids": evidence})
        notes.note(
            f"Kept your pinned interest “{pinned.name}”, as you last saw it: your recent posts did not raise it."
        )
    weight = max((i.weight for i in inferred), default=1.0)
    for text in controls.added:
        key = interest_key(text)
        if key in chosen or key in muted:
            continue
        described = describer.interest_from_text(text, engagement)
        evidence = [t for t in described.evidence_tweet_ids if t in user_tweet_ids]
        chosen[key] = described.model_copy(update={"name": text, "weight": weight, "evidence_tweet_ids": evidence})
        shown_by = (
            f"{len(evidence)} of your posts touch on it"
            if evidence
            else "none of your posts touch on it yet, so clips are matched to your words alone"
        )
        notes.note(f"Added your interest “{text}” in your own words; {shown_by}.")
    for topic in topics:
        names = ", ".join(f"“{name}”" for name in removed[topic.phrase])
        if names:
            notes.note(
                f"Removed your interest {names} and every video about it, as you asked for no more “{topic.phrase}”."
            )
        else:
            notes.note(f"Leaving out every video about “{topic.phrase}”, as you asked.")
    picked = list(chosen.values())
    return [*picked, *rest[: max(0, limit - len(picked))]]


def _as_last_seen(inferred: Sequence[Interest], prefs: Preferences, notes: Notes) -> list[Interest]:
    """Interests under the names the user last saw for them: an interest resting on mostly the same posts as one
    of the last run's is that interest, whatever this run's engine first called it (names found later in a run,
    from its videos, and the user's own renames stay put from run to run)."""
    controls = prefs.interests
    yours = {interest_key(name) for name in controls.renamed.values()}
    taken = {interest_key(i.name) for i in inferred}
    out = []
    for interest in inferred:
        evidence = set(interest.evidence_tweet_ids)
        same = [
            p
            for p in controls.previous
            if interest_key(p.name) not in taken
            and len(evidence & set(p.evidence_tweet_ids)) * 2 >= min(len(evidence), len(p.evidence_tweet_ids)) > 0
        ]
        if not same:
            out.append(interest)
            continue
        last = max(same, key=lambda p: len(evidence & set(p.evidence_tweet_ids)))
        taken.add(interest_key(last.name))
        if interest_key(last.name) in yours:
            notes.note(f"Called “{interest.name}” “{last.name}”, as you renamed it.")
        out.append(renamed_interest(interest, last.name))
    return out


def _renamed(interest: Interest, prefs: Preferences, notes: Notes) -> Interest:
    name = prefs.interests.renamed.get(interest_key(interest.name))
    if not name or name == interest.name:
        return interest
    notes.note(f"Called “{interest.name}” “{name}”, as you renamed it.")
    return interest.model_copy(update={"name": name})
