"""`aftercare link`, `aftercare link revoke`, `aftercare widget tag|color`."""

from __future__ import annotations

from click.testing import CliRunner
from webchat import SECRET

from bot import links
from bot.cli import main
from bot.store.db import session_scope
from bot.store.models import Clinic


def run(db_url, tmp_path, *args, secret=SECRET):
    env = {"DATABASE_URL": db_url, "AFTERCARE_DATA_DIR": str(tmp_path / "data"), "PUBLIC_URL": "https://chat.example/"}
    env["AFTERCARE_LINK_SECRET"] = secret
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def token_of(url: str) -> str:
    return url.split("#t=", 1)[1]


def verify(engine, token, secret=SECRET):
    with session_scope(engine) as session:
        return links.verify_link_token(session, secret, token)


def test_link_prints_the_clients_personal_link(db_url, engine, world, tmp_path):
    result = run(db_url, tmp_path, "link", "--phone", "(212) 555-0123")
    assert result.exit_code == 0, result.output
    url = result.stdout.strip()
    assert url.startswith("https://chat.example/webhooks/web/demo?clinic=glow#t=")
    assert verify(engine, token_of(url)).client_id == world.ana_id
    assert "Ana Diaz (+12125550123) at glow, valid until" in result.stderr


def test_link_with_a_clinic(db_url, engine, world, tmp_path):
    result = run(db_url, tmp_path, "link", "--phone", "+447911123456", "--clinic", "lumen")
    assert result.exit_code == 0, result.output
    assert "?clinic=lumen#t=" in result.stdout
    assert verify(engine, token_of(result.stdout.strip())).client_id == world.ben_id


def test_revoke_refuses_old_links_and_new_ones_work(db_url, engine, world, tmp_path):
    old = token_of(run(db_url, tmp_path, "link", "--phone", "+12125550123").stdout.strip())
    result = run(db_url, tmp_path, "link", "revoke", "--phone", "+12125550123")
    assert result.exit_code == 0, result.output
    assert result.stdout == "revoked every chat link issued so far to Ana Diaz (+12125550123) at glow\n"
    assert verify(engine, old).reason == links.REVOKED
    new = token_of(run(db_url, tmp_path, "link", "--phone", "+12125550123").stdout.strip())
    assert verify(engine, new).client_id == world.ana_id


def test_link_errors_are_one_line(db_url, world, tmp_path):
    unknown = run(db_url, tmp_path, "link", "--phone", "+12125550199")
    assert unknown.exit_code == 2 and unknown.stderr.startswith("error: no client with phone +12125550199")
    missing = run(db_url, tmp_path, "link")
    assert missing.exit_code == 2 and "--phone" in missing.stderr
    short = run(db_url, tmp_path, "link", "--phone", "+12125550123", secret="short")
    assert short.exit_code == 2
    assert short.stderr == "error: AFTERCARE_LINK_SECRET must be at least 32 characters\n"


def test_widget_tag_and_colour(db_url, engine, world, tmp_path):
    tag = run(db_url, tmp_path, "widget", "tag", "--clinic", "glow")
    assert (
        tag.stdout == '<script src="https://chat.example/webhooks/web/widget.js" data-clinic="glow" async></script>\n'
    )
    assert (
        run(db_url, tmp_path, "widget", "color", "--clinic", "lumen", "#AA3366").stdout
        == "lumen: chat colour #aa3366\n"
    )
    bad = run(db_url, tmp_path, "widget", "color", "--clinic", "lumen", "red")
    assert bad.exit_code == 2 and "hex colour" in bad.stderr
    with session_scope(engine) as session:
        assert session.get(Clinic, world.lumen_id).brand_color == "#aa3366"
    run(db_url, tmp_path, "widget", "color", "--clinic", "lumen", "default")
    with session_scope(engine) as session:
        assert session.get(Clinic, world.lumen_id).brand_color is None


def test_send_texts_the_link_through_the_outbox(db_url, engine, world, tmp_path):
    from sqlalchemy import select

    from bot.store.messaging_models import SmsMessage, Transport

    result = run(db_url, tmp_path, "link", "--phone", "+12125550123", "--send")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("texted a chat link to Ana Diaz (+12125550123) at glow (outbox OB")
    with session_scope(engine) as session:
        (sms,) = session.scalars(select(SmsMessage)).all()
        assert (sms.transport, sms.purpose, sms.to_number) == (Transport.outbox, "chat_link", "+12125550123")
        token = sms.body.split("#t=", 1)[1]
    assert verify(engine, token).client_id == world.ana_id


def test_send_refuses_a_client_who_opted_out(db_url, engine, world, tmp_path):
    from datetime import datetime, timezone

    from sqlalchemy import func, select

    from bot.services import clients
    from bot.store.messaging_models import SmsMessage
    from bot.store.models import Client

    with session_scope(engine) as session:
        clients.set_opted_out(session, session.get(Client, world.ana_id), True, datetime.now(timezone.utc))
    result = run(db_url, tmp_path, "link", "--phone", "+12125550123", "--send")
    assert result.exit_code == 2
    assert result.stderr == ("error: Ana Diaz has opted out of texts (STOP): nothing is sent until they text START\n")
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(SmsMessage)) == 0
