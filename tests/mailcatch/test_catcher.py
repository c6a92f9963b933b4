"""The mail catcher for real: aiosmtpd on a free port, smtplib with AUTH, files on disk."""
import smtplib
import socket
from email.message import EmailMessage

import pytest

from odooops import mailcatch, secretbox
from odooops.errors import NotFound, ValidationFailed
from odooops.mailcatch.server import controller

A, B = "shop__staging", "shop__feature_x"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def catcher(tmp_path):
    key_file = tmp_path / "secrets" / "sealing.key"
    key = secretbox.load_key(key_file, create=True)
    ctl = controller(tmp_path / "state", key_file, _free_port())
    ctl.start()
    try:
        yield ctl, key, tmp_path / "state"
    finally:
        ctl.stop()


def _message(subject, to="customer@example.com", attachment=False):
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "shop@example.com", to, subject
    msg.set_content("plain body")
    msg.add_alternative("<p>html body</p>", subtype="html")
    if attachment:
        msg.add_attachment(b"x" * 10, maintype="application", subtype="pdf", filename="invoice.pdf")
    return msg


def _send(ctl, user, password, msg):
    with smtplib.SMTP(ctl.hostname, ctl.port, timeout=10) as smtp:
        smtp.login(user, password)
        smtp.send_message(msg)


def test_a_mail_is_stored_under_its_environment_only(catcher):
    ctl, key, state = catcher
    _send(ctl, A, mailcatch.password(key, A), _message("Your invoice", attachment=True))
    total, mails = mailcatch.list_mails(state, A)
    assert total == 1 and mails[0]["subject"] == "Your invoice" and mails[0]["to"] == "customer@example.com"
    (path,) = (state / "mails" / A).iterdir()
    assert path.stat().st_mode & 0o777 == 0o600
    assert mailcatch.list_mails(state, B) == (0, [])
    shown = mailcatch.read_mail(state, mails[0]["id"])
    assert shown["text"].strip() == "plain body" and "html body" in shown["html"]
    assert shown["attachments"] == [{"name": "invoice.pdf", "content_type": "application/pdf", "size": 10}]
    assert ["Subject", "Your invoice"] in shown["headers"]


def test_newest_first_and_paginated(catcher):
    ctl, key, state = catcher
    for n in range(3):
        _send(ctl, B, mailcatch.password(key, B), _message(f"m{n}"))
    total, page = mailcatch.list_mails(state, B, offset=0, limit=2)
    assert total == 3 and [m["subject"] for m in page] == ["m2", "m1"]
    assert [m["subject"] for m in mailcatch.list_mails(state, B, offset=2, limit=2)[1]] == ["m0"]


def test_wrong_password_or_another_environment_password_is_refused(catcher):
    ctl, key, state = catcher
    assert not mailcatch.check_login(key, A, "wröng") and not mailcatch.check_login(key, "../x", "")
    for password in ("wrong", mailcatch.password(key, B)):
        with pytest.raises(smtplib.SMTPAuthenticationError) as refused:
            _send(ctl, A, password, _message("x"))
        assert refused.value.smtp_code == 535
    assert not (state / "mails").exists()


def test_no_mail_without_auth(catcher):
    ctl, _key, state = catcher
    with smtplib.SMTP(ctl.hostname, ctl.port, timeout=10) as smtp:
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            smtp.send_message(_message("x"))
    assert refused.value.smtp_code == 530
    assert not (state / "mails").exists()


@pytest.mark.parametrize("bad", ["../etc/passwd", "shop__staging/../../x", "shop__staging.../x", "..",
                                 "shop__staging.20260101T000000000000-" + "0" * 31 + "g", "", "a/b.c",
                                 "Shop.20260101T000000000000-" + "0" * 32,
                                 "shop\n.20260101T000000000000-" + "0" * 32,
                                 "shop.20260101T000000000000-" + "0" * 32 + "\n"])
def test_ids_that_are_not_ids_are_refused(catcher, bad):
    _ctl, _key, state = catcher
    with pytest.raises(ValidationFailed):
        mailcatch.read_mail(state, bad)


def test_an_unknown_mail_is_not_found(catcher):
    _ctl, _key, state = catcher
    with pytest.raises(NotFound):
        mailcatch.read_mail(state, "shop__staging.20260101T000000000000-" + "0" * 32)


def test_the_policy_catches_every_tier_but_production_by_default():
    from odooops import policy
    assert [policy.DEFAULT.mail_caught(t) for t in ("dev", "preview", "staging", "production")] == [
        True, True, True, False]
    custom = policy.Policy.from_dict({"mail": {"staging": "send"}})
    assert not custom.mail_caught("staging") and custom.mail_caught("dev")


def test_a_caught_tier_gets_odoos_smtp_options_pointing_at_the_catcher(tmp_path):
    from odooops.dataplane import DataPlane, EnvironmentPlan
    from odooops.pipeline import Pipeline
    plane = DataPlane(docker=None, pg=None, nginx=None, filestore_root=tmp_path, odoo_path=tmp_path,
                      git_cache=tmp_path, mail_catcher_port=2526)
    plan = EnvironmentPlan(project="shop", slug="staging", database=A, db_role="r", db_password="p", hostnames=(),
                           mail_password="secret")
    assert Pipeline(plane, plan)._mail_catcher_env() == {
        "ODOO_SMTP_SERVER": "127.0.0.1", "ODOO_SMTP_PORT": "2526", "ODOO_SMTP_USER": A, "ODOO_SMTP_PASSWORD": "secret"}
    production = EnvironmentPlan(project="shop", slug="main", database="shop__main", db_role="r", db_password="p",
                                 hostnames=())
    assert Pipeline(plane, production)._mail_catcher_env() == {}
