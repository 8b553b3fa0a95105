"""Personal link tokens and anonymous session tokens (bot/links.py), on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import stat
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from webchat import NOW, SECRET, make_settings

from bot import links, local_secret
from bot.store.db import session_scope
from bot.store.models import Client


def verify(engine, token, secret=SECRET):
    with session_scope(engine) as session:
        return links.verify_link_token(session, secret, token)


def link_for(world, now=None, ttl_days=14, secret=SECRET, client_id=None, slug="glow"):
    now = now or datetime.now(timezone.utc)
    return links.issue_link_token(secret, client_id or world.ana_id, slug, now, ttl_days)


def test_a_valid_link_names_its_client(engine, world):
    check = verify(engine, link_for(world))
    assert check.ok and check.reason is None
    assert (check.client_id, check.clinic_slug) == (world.ana_id, "glow")


def test_an_expired_link_is_refused(engine, world):
    token = link_for(world, now=datetime.now(timezone.utc) - timedelta(days=15), ttl_days=14)
    assert verify(engine, token) == links.LinkCheck(reason=links.EXPIRED)


def test_a_link_signed_with_another_secret_is_forged(engine, world):
    token = link_for(world, secret="another-secret-" + "y" * 40)
    assert verify(engine, token) == links.LinkCheck(reason=links.FORGED)


def test_changing_the_client_breaks_the_signature(engine, world):
    header, payload, signature = link_for(world).split(".")
    other = jwt.api_jws.base64url_encode(
        jwt.utils.base64url_decode(payload).replace(f'"{world.ana_id}"'.encode(), f'"{world.ben_id}"'.encode())
    ).decode()
    assert other != payload
    assert verify(engine, ".".join([header, other, signature])).reason == links.FORGED


@pytest.mark.filterwarnings("ignore::jwt.InsecureKeyLengthWarning")
def test_algorithm_none_is_refused(engine, world):
    claims = jwt.decode(link_for(world), options={"verify_signature": False})
    unsigned = jwt.encode(claims, None, algorithm="none")
    assert verify(engine, unsigned).reason == links.FORGED
    # The same claims signed with the raw secret and another HMAC are no better.
    assert verify(engine, jwt.encode(claims, SECRET, algorithm="HS512")).reason == links.FORGED
    assert verify(engine, jwt.encode(claims, SECRET, algorithm="HS256")).reason == links.FORGED


@pytest.mark.parametrize("token", ["", "garbage", "a.b.c", "e30.e30.", "x" * 5000])
def test_malformed_tokens_are_forged(engine, world, token):
    assert verify(engine, token).reason == links.FORGED


def test_a_revoked_link_is_refused_and_a_new_one_works(engine, world):
    before = link_for(world, now=datetime.now(timezone.utc) - timedelta(seconds=1))
    revoked_at = datetime.now(timezone.utc)
    with session_scope(engine) as session:
        links.revoke_links(session, session.get(Client, world.ana_id), revoked_at)
    assert verify(engine, before).reason == links.REVOKED
    # Issued in the same second as the revocation, just after it: works.
    after = link_for(world, now=revoked_at + timedelta(microseconds=1000))
    assert verify(engine, after).ok
    just_before = link_for(world, now=revoked_at - timedelta(microseconds=1000))
    assert verify(engine, just_before).reason == links.REVOKED


def test_revoking_one_client_leaves_the_others(engine, world):
    ben = link_for(world, client_id=world.ben_id, slug="lumen")
    with session_scope(engine) as session:
        links.revoke_links(session, session.get(Client, world.ana_id), datetime.now(timezone.utc))
    assert verify(engine, ben).client_id == world.ben_id


def test_an_unknown_client_is_refused(engine, world):
    assert verify(engine, link_for(world, client_id=999_999)).reason == links.UNKNOWN_CLIENT


def test_a_link_naming_the_wrong_clinic_is_refused(engine, world):
    # Ana is a client of glow: a token claiming lumen does not open her conversation.
    assert verify(engine, link_for(world, slug="lumen")).reason == links.UNKNOWN_CLIENT


def test_a_session_token_is_not_a_link_and_a_link_is_not_a_session(engine, world):
    sender_id, session_token = links.issue_session(SECRET, "glow", NOW)
    assert verify(engine, session_token).reason == links.FORGED
    assert links.verify_session(SECRET, link_for(world), "glow") is None


def test_anonymous_sessions():
    sender_id, token = links.issue_session(SECRET, "glow", datetime.now(timezone.utc))
    assert sender_id.startswith("anon:glow:") and len(sender_id) > len("anon:glow:") + 10
    assert links.verify_session(SECRET, token, "glow") == sender_id
    assert links.verify_session(SECRET, token, "lumen") is None  # another clinic's widget
    assert links.verify_session("another-secret-" + "y" * 40, token, "glow") is None
    assert links.verify_session(SECRET, token[:-2] + "xx", "glow") is None
    other_id, _ = links.issue_session(SECRET, "glow", datetime.now(timezone.utc))
    assert other_id != sender_id


def test_an_expired_session_starts_afresh():
    _, token = links.issue_session(SECRET, "glow", datetime.now(timezone.utc) - links.SESSION_TTL - timedelta(days=1))
    assert links.verify_session(SECRET, token, "glow") is None


def test_chat_link(engine, world, settings):
    with session_scope(engine) as session:
        url = links.chat_link(settings, session.get(Client, world.ana_id))
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://chat.example/webhooks/web/demo"
    assert parse_qs(parts.query) == {"clinic": ["glow"]}
    assert parts.fragment.startswith("t=")
    check = verify(engine, parts.fragment[2:])
    assert check.client_id == world.ana_id
    # The token names a client by id only: nothing readable about them travels in the link.
    claims = jwt.decode(parts.fragment[2:], options={"verify_signature": False})
    assert set(claims) == {"sub", "clinic", "aud", "iat", "exp"}
    assert abs(claims["exp"] - claims["iat"] - 14 * 86400) < 1


def test_without_a_configured_secret_one_is_generated_once(tmp_path, db_url):
    data_dir = tmp_path / "data"
    settings = make_settings(db_url, data_dir, secret=None)
    first = links.secret_for(settings)
    path = data_dir / links.SECRET_FILE
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert len(first) >= local_secret.MIN_SECRET_CHARS
    assert links.secret_for(settings) == first  # the server and the CLI agree
    assert sorted(p.name for p in data_dir.iterdir()) == [links.SECRET_FILE]  # no temporary left
    other = links.secret_for(make_settings(db_url, tmp_path / "elsewhere", secret=None))
    assert other != first


def test_a_configured_secret_wins_and_must_be_long(tmp_path, db_url):
    assert links.secret_for(make_settings(db_url, tmp_path)) == SECRET
    assert not (tmp_path / links.SECRET_FILE).exists()
    with pytest.raises(local_secret.SecretError, match="at least 32"):
        links.secret_for(make_settings(db_url, tmp_path, secret="short"))
