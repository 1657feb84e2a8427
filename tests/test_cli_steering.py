"""`openrec interests` and `openrec feed-url`: the contract scripts rely on."""

from __future__ import annotations

import json

import pytest

from app.cli import main
from app.db import session_scope
from app.models import Interest
from app.services.users import user_create
from tests.conftest import PASSWORD, reset_caches, unique_email
from tests.feed_factory import add_run, add_tweets


@pytest.fixture
def email() -> str:
    address = unique_email("cli")
    with session_scope() as db:
        user = user_create(db, email=address, password=PASSWORD)
        tweets = add_tweets(db, user.id, ["pottery glazes all evening", "the kites are flying again"])
        run = add_run(db, user.id)
        for position, (name, description, weight, evidence) in enumerate(
            [("Pottery", "Glazes", 0.9, tweets[:1]), ("Kites", "Flying", 0.4, tweets[1:])]
        ):
            db.add(
                Interest(
                    user_id=user.id,
                    run_id=run.id,
                    name=name,
                    description=description,
                    weight=weight,
                    evidence_tweet_ids=evidence,
                    position=position,
                )
            )
    return address


def _listed(email: str, capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    assert main(["interests", email, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_interests_lists_the_latest_runs_interests_with_their_state(email: str, capsys) -> None:
    listed = _listed(email, capsys)
    assert [(i["name"], i["state"], i["weight"]) for i in listed] == [
        ("Pottery", "inferred", 0.9),
        ("Kites", "inferred", 0.4),
    ]
    assert len(listed[0]["posts"]) == 1
    assert main(["interests", email]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["inferred", "0.90", "Pottery"]


def test_interests_changes_follow_the_contract(email: str, capsys) -> None:
    assert main(["interests", email, "pin", "pottery"]) == 0
    assert capsys.readouterr().out == "Pinned “pottery”; the next run follows it\n"
    assert main(["interests", email, "mute", "Kites"]) == 0
    assert main(["interests", email, "unmute", "Kites"]) == 0
    assert main(["interests", email, "rename", "Pottery", "Glaze study"]) == 0
    assert main(["interests", email, "add", "Category theory for programmers"]) == 0
    capsys.readouterr()
    states = {i["name"]: i["state"] for i in _listed(email, capsys)}
    assert states == {"Glaze study": "pinned", "Kites": "inferred", "Category theory for programmers": "added"}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["pin"], "use: interests EMAIL"),
        (["rename", "Pottery"], "use: interests EMAIL"),
        (["explode", "Pottery"], "use: interests EMAIL"),
        (["mute", "Knitting"], "no interest called “Knitting”"),
    ],
)
def test_a_bad_change_is_refused_with_exit_code_2(email: str, argv: list[str], message: str, capsys) -> None:
    assert main(["interests", email, *argv]) == 2
    assert message in capsys.readouterr().err


def test_an_unknown_user_is_refused(capsys) -> None:
    assert main(["interests", "nobody@example.com"]) == 2
    assert main(["feed-url", "nobody@example.com"]) == 2
    assert "no user with email" in capsys.readouterr().err


def test_feed_url_prints_three_stable_absolute_urls(email: str, capsys, monkeypatch) -> None:
    assert main(["feed-url", email]) == 0
    urls = capsys.readouterr().out.splitlines()
    assert len(urls) == 3
    assert [u.rsplit("/", 1)[1] for u in urls] == ["clips.rss", "clips.atom", "clips.json"]
    assert all(u.startswith("http://127.0.0.1:8000/feeds/") for u in urls)
    assert main(["feed-url", email]) == 0
    assert capsys.readouterr().out.splitlines() == urls
    monkeypatch.setenv("OPENREC_PUBLIC_URL", "https://clips.example.org/")
    monkeypatch.setenv("OPENREC_PORT", "9000")
    reset_caches()
    try:
        assert main(["feed-url", email]) == 0
        moved = capsys.readouterr().out.splitlines()
    finally:
        monkeypatch.undo()
        reset_caches()
    assert moved == [u.replace("http://127.0.0.1:8000", "https://clips.example.org") for u in urls]
