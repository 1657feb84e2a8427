"""The user's say over interests: pin, mute, rename and add, kept as a history of choices.

Like custom instructions, nothing is overwritten: every choice is a row, and the state
the next run honours is the history replayed in order (`interest_controls`). Names are
matched without regard to case or spacing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Interest as InterestRow
from app.models import InterestChoice, PipelineRun, User
from app.pipeline.steering import interest_key
from app.schemas import Interest, InterestControls
from app.services.run_details import InterestView, run_interests

MAX_NAME_CHARS = 120
InterestKind = Literal["pinned", "muted", "added", "inferred"]
CHOICE_WORDS = {
    "pin": "Pinned",
    "unpin": "Unpinned",
    "mute": "Muted",
    "unmute": "Unmuted",
    "rename": "Renamed",
    "add": "Added",
    "remove": "Removed",
}


class InterestChoiceError(ValueError):
    """A choice that cannot be made (empty or too long a name, no such interest); the message says why."""


def clean_name(name: str) -> str:
    """A name as stored: single spaces, trimmed, within MAX_NAME_CHARS; raises InterestChoiceError."""
    cleaned = " ".join(name.split())
    if not cleaned:
        raise InterestChoiceError("Give the interest a name.")
    if len(cleaned) > MAX_NAME_CHARS:
        raise InterestChoiceError(f"Keep an interest name to {MAX_NAME_CHARS} characters or fewer.")
    return cleaned


@dataclass
class ChoiceState:
    """The history replayed: what is pinned, muted, renamed and added (keys are `interest_key`s)."""

    pinned: dict[str, str] = field(default_factory=dict)  # key -> name as the user last wrote it
    muted: dict[str, str] = field(default_factory=dict)
    renamed: dict[str, str] = field(default_factory=dict)  # old key -> new name
    added: dict[str, str] = field(default_factory=dict)

    def apply(self, choice: InterestChoice) -> None:
        key = interest_key(choice.name)
        match choice.action:
            case "pin":
                self.pinned[key] = choice.name
                self.muted.pop(key, None)
            case "unpin":
                self.pinned.pop(key, None)
            case "mute":
                self.muted[key] = choice.name
                self.pinned.pop(key, None)
            case "unmute":
                self.muted.pop(key, None)
            case "add":
                self.added[key] = choice.name
                self.muted.pop(key, None)
            case "remove":
                self.added.pop(key, None)
            case "rename":
                self._rename(key, choice.new_name)

    def _rename(self, key: str, new_name: str) -> None:
        new_key = interest_key(new_name)
        for states in (self.pinned, self.muted, self.added):
            if key in states:
                del states[key]
                states[new_key] = new_name
        for old, target in list(self.renamed.items()):  # a renamed interest renamed again
            if interest_key(target) == key:
                self.renamed[old] = new_name
        if key not in self.added:
            self.renamed[key] = new_name
        self.renamed.pop(new_key, None)

    def shown_name(self, name: str) -> str:
        return self.renamed.get(interest_key(name), name)

    def state_of(self, name: str) -> InterestKind:
        """pinned | muted | added | inferred (by the user's name for it)."""
        key = interest_key(name)
        if key in self.muted:
            return "muted"
        if key in self.pinned:
            return "pinned"
        return "added" if key in self.added else "inferred"


@dataclass(frozen=True)
class InterestState:
    """One interest as the interests page and `openrec interests` show it."""

    name: str
    state: InterestKind
    description: str
    weight: float | None  # None for interests no run has weighed yet
    view: InterestView | None  # the latest run's interest, with its evidence posts
    inferred_name: str = ""  # the name the run gave it, when the user renamed it


def interest_choices(session: Session, *, user: User, limit: int | None = None) -> list[InterestChoice]:
    """The user's choices about interests, newest first."""
    query = (
        select(InterestChoice)
        .where(InterestChoice.user_id == user.id)
        .order_by(InterestChoice.created_at.desc(), InterestChoice.id.desc())
    )
    return list(session.scalars(query.limit(limit) if limit else query))


def _state(session: Session, *, user_id: int) -> ChoiceState:
    state = ChoiceState()
    rows = session.scalars(
        select(InterestChoice)
        .where(InterestChoice.user_id == user_id)
        .order_by(InterestChoice.created_at, InterestChoice.id)
    )
    for choice in rows:
        state.apply(choice)
    return state


def latest_interest_run(session: Session, *, user_id: int) -> PipelineRun | None:
    """The newest run that saved interests: the interests the user last saw."""
    return session.scalar(
        select(PipelineRun)
        .where(PipelineRun.user_id == user_id, PipelineRun.id.in_(select(InterestRow.run_id)))
        .order_by(PipelineRun.id.desc())
        .limit(1)
    )


def _latest_rows(session: Session, *, user_id: int, before_run: int | None = None) -> list[InterestRow]:
    query = select(PipelineRun.id).where(PipelineRun.user_id == user_id, PipelineRun.id.in_(select(InterestRow.run_id)))
    if before_run is not None:
        query = query.where(PipelineRun.id != before_run)
    run_id = session.scalar(query.order_by(PipelineRun.id.desc()).limit(1))
    if run_id is None:
        return []
    return list(
        session.scalars(
            select(InterestRow)
            .where(InterestRow.run_id == run_id, InterestRow.user_id == user_id)
            .order_by(InterestRow.position, InterestRow.id)
        )
    )


def interests_overview(session: Session, *, user: User) -> list[InterestState]:
    """The latest run's interests under the user's names, with their state, then pinned and added ones it lacks."""
    state = _state(session, user_id=user.id)
    run = latest_interest_run(session, user_id=user.id)
    views = run_interests(session, run=run) if run is not None else []
    shown: list[InterestState] = []
    seen: set[str] = set()
    for view in views:
        name = state.shown_name(view.name)
        seen.add(interest_key(name))
        shown.append(
            InterestState(
                name=name,
                state=state.state_of(name),
                description=view.description,
                weight=view.weight,
                view=view,
                inferred_name=view.name if name != view.name else "",
            )
        )
    lacking: list[tuple[InterestKind, dict[str, str]]] = [
        ("pinned", state.pinned),
        ("added", state.added),
        ("muted", state.muted),
    ]
    for kind, names in lacking:
        for key, name in names.items():
            if key not in seen:
                seen.add(key)
                description = "In your own words; the next run looks for it." if kind == "added" else ""
                shown.append(InterestState(name=name, state=kind, description=description, weight=None, view=None))
    return shown


def _known_names(session: Session, *, user: User) -> set[str]:
    return {interest_key(i.name) for i in interests_overview(session, user=user)}


def interest_choose(session: Session, *, user: User, action: str, name: str, new_name: str = "") -> InterestChoice:
    """Record one choice for the next run; raises InterestChoiceError with a message for the user.

    Pin, mute, unpin, unmute, rename and remove need an interest the user can see
    (latest run, pinned, muted or added); `add` needs a name not already there.
    """
    if action not in CHOICE_WORDS:
        raise InterestChoiceError(f"Unknown choice “{action}”.")
    name = clean_name(name)
    known = _known_names(session, user=user)
    if action == "add":
        if interest_key(name) in known and _state(session, user_id=user.id).state_of(name) != "muted":
            raise InterestChoiceError(f"“{name}” is already one of your interests.")
    elif interest_key(name) not in known:
        raise InterestChoiceError(f"You have no interest called “{name}”.")
    if action == "rename":
        new_name = clean_name(new_name)
        if interest_key(new_name) in known and interest_key(new_name) != interest_key(name):
            raise InterestChoiceError(f"“{new_name}” is already the name of another interest.")
    row = InterestChoice(user_id=user.id, action=action, name=name, new_name=new_name if action == "rename" else "")
    session.add(row)
    session.flush()
    return row


def interest_controls(session: Session, *, user_id: int, run_id: int | None = None) -> InterestControls:
    """What the next run (`run_id`, whose own interests do not count as last seen) must honour."""
    state = _state(session, user_id=user_id)
    rows = _latest_rows(session, user_id=user_id, before_run=run_id)
    previous = [_interest(row, state.shown_name(row.name)) for row in rows]
    by_key = {interest_key(i.name): i for i in previous}
    pinned = [
        by_key.get(key) or Interest(name=name, description="", weight=0.5, evidence_tweet_ids=[], keywords=[name])
        for key, name in state.pinned.items()
    ]
    return InterestControls(
        pinned=pinned,
        muted=sorted(state.muted.values()),
        renamed=dict(state.renamed),
        added=list(state.added.values()),
        previous=previous,
    )


def _interest(row: InterestRow, name: str) -> Interest:
    return Interest(
        name=name,
        description=row.description,
        weight=row.weight,
        evidence_tweet_ids=list(row.evidence_tweet_ids),
        keywords=list(row.keywords or []),
    )


def choice_sentence(choice: InterestChoice) -> str:
    """One history line: “Renamed “a” to “b””, “Pinned “a””."""
    if choice.action == "rename":
        return f"Renamed “{choice.name}” to “{choice.new_name}”"
    return f"{CHOICE_WORDS.get(choice.action, choice.action)} “{choice.name}”"
