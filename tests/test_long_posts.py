"""Long posts: their full text in note-tweet.js replaces the truncated text tweets.js holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Tweet
from app.services.imports import import_archive
from app.sources.x_archive import parse_archive
from tests.archive_factory import build_archive, note_tweet_entry, snowflake, tweet_entry

T0 = datetime(2026, 2, 9, 12, 48, 50, tzinfo=UTC)
LONG = (
    "Why the cheddar came out crumbly: the recipe said to cut the curd at a clean break after forty minutes, "
    "so cutting it then and stirring it gently lost less fat to the whey than waiting for a firmer set before "
    "cheddaring. Then the milk cooled after a power cut, the rennet worked slower, and the soft curd it set "
    "instead took hours to drain. Check the milk temperature after every pause &amp; test the break again: "
    "https://t.co/make42 explains the make sheet in detail, with the numbers from our own vats."
)
EXPANDED = "https://example.org/cheddar-make-sheet"


def truncated(text: str, *, link: str = "https://t.co/note01") -> str:
    """What tweets.js holds for a long post: about the first 280 characters, an ellipsis and a link."""
    return text[:270].rstrip() + "… " + link


def long_post(
    moment: datetime, text: str = LONG, sequence: int = 0, **note: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    post_id = snowflake(moment, sequence)
    shown = truncated(text)
    post = tweet_entry(post_id, shown, moment, urls=[("https://t.co/note01", f"https://x.com/i/web/status/{post_id}")])
    noted = note_tweet_entry(
        str(1_600_000_000_000_000_000 + sequence),
        text,
        moment + timedelta(milliseconds=264),  # notes record milliseconds, posts only seconds
        urls=[("https://t.co/make42", EXPANDED)],
        **note,
    )
    return post, noted


def texts(data: bytes) -> dict[str, str]:
    return {item.tweet_id: item.text for item in parse_archive(data).items}


def expected(text: str) -> str:
    return text.replace("&amp;", "&").replace("https://t.co/make42", EXPANDED)


def test_a_long_post_gets_its_full_text_from_note_tweet_js() -> None:
    post, note = long_post(T0)
    short = tweet_entry(snowflake(T0 - timedelta(days=1), 1), "A short post stays as it is", T0 - timedelta(days=1))

    found = texts(build_archive([post, short], notes=[note]))

    assert found[post["tweet"]["id_str"]] == expected(LONG)
    assert found[short["tweet"]["id_str"]] == "A short post stays as it is"


def test_two_long_posts_in_the_same_second_each_get_their_own_note() -> None:
    other = ("A second long post about brush lettering, nibs and ink. " * 8).strip()
    first, first_note = long_post(T0)
    second, second_note = long_post(T0, other, sequence=1)

    found = texts(build_archive([first, second], notes=[second_note, first_note]))

    assert found[first["tweet"]["id_str"]] == expected(LONG)
    assert found[second["tweet"]["id_str"]] == other


def test_a_note_naming_its_post_is_matched_by_id_and_one_with_another_time_by_its_text() -> None:
    by_id, by_id_note = long_post(T0, tweet_id=None)
    by_id_note["noteTweet"]["createdAt"] = "2020-01-01T00:00:00.000Z"
    by_id_note["noteTweet"]["tweetId"] = by_id["tweet"]["id_str"]
    later = T0 + timedelta(hours=3)
    mushrooms = ("Mushroom foraging at dawn: chanterelles hide under the moss. " * 8).strip()
    by_text, by_text_note = long_post(later, mushrooms, sequence=2)
    by_text_note["noteTweet"]["createdAt"] = "2026-02-09T15:48:57.000Z"  # edited: a later time than the post

    found = texts(build_archive([by_id, by_text], notes=[by_id_note, by_text_note]))

    assert found[by_id["tweet"]["id_str"]] == expected(LONG)
    assert found[by_text["tweet"]["id_str"]] == mushrooms


def test_a_note_whose_text_does_not_continue_the_post_is_not_applied() -> None:
    post, _ = long_post(T0)
    stranger = note_tweet_entry("1600000000000000099", ("Something else entirely. " * 20).strip(), T0)

    found = texts(build_archive([post], notes=[stranger]))

    assert found[post["tweet"]["id_str"]].startswith("Why the cheddar came out crumbly")
    assert len(found[post["tweet"]["id_str"]]) < len(LONG)  # still the truncated text


def test_an_empty_note_tweet_js_changes_nothing() -> None:
    post, _ = long_post(T0)
    [item] = parse_archive(build_archive([post])).items
    assert item.text.startswith("Why the cheddar came out crumbly")
    assert len(item.text) < len(LONG)


def test_imported_long_posts_are_stored_in_full(session: Session, user: Any) -> None:
    post, note = long_post(T0)
    import_archive(session, user=user, data=build_archive([post], notes=[note]), filename="twitter.zip")

    stored = session.scalar(select(Tweet.text).where(Tweet.tweet_id == post["tweet"]["id_str"]))
    assert stored == expected(LONG)
