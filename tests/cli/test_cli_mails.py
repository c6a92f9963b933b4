"""`odooops mail list/show` against the fake control plane, with the payloads of
odooops_api's mails.py (odooops.mailcatch.list_mails / read_mail)."""
import json

from fake_api import fail, ok
from test_cli_offline import environment

MAIL_ID = "acme__staging.20260101T120000000001-0123456789abcdef0123456789abcdef"
SUMMARY = {"id": MAIL_ID, "from": "shop@example.com", "to": "customer@example.com", "subject": "Your invoice",
           "date": "2026-01-01T12:00:00+00:00", "size": 1234, "environment": 8}


def test_list_shows_the_caught_mail_of_the_environment(fake, offline_cli):
    fake.on("GET", "/environments/staging", ok(environment(id=8, slug="staging", tier="staging")))
    fake.on("GET", "/environments/8/mails", ok([SUMMARY]))
    r = offline_cli("mail", "list", "staging", "--project", "acme")
    assert r.returncode == 0, r.stderr
    header, row = r.stdout.splitlines()[0], r.stdout.splitlines()[1]
    assert header.split() == ["DATE", "FROM", "TO", "SUBJECT", "SIZE", "ID"]
    assert "shop@example.com" in row and "Your invoice" in row and "1234" in row
    assert MAIL_ID in r.stdout
    assert fake.calls("GET", "/environments/staging")[0].query == {"project": "acme"}
    assert fake.calls("GET", "/environments/8/mails")[0].query == {"page": "1", "per_page": "50"}
    as_json = json.loads(offline_cli("mail", "list", "staging", "--json").stdout)
    assert as_json == [SUMMARY]


def test_list_says_when_nothing_was_caught(fake, offline_cli):
    fake.on("GET", "/environments/staging", ok(environment(id=8, slug="staging", tier="staging")))
    fake.on("GET", "/environments/8/mails", ok([]))
    r = offline_cli("mail", "list", "staging")
    assert r.returncode == 0, r.stderr
    assert "no mail caught for staging" in r.stderr and r.stdout == ""


def test_show_prints_headers_body_and_attachments(fake, offline_cli):
    mail = {**SUMMARY, "database": "acme__staging", "headers": [["Subject", "Your invoice"]],
            "text": "Dear customer,\nhere it is.\n", "html": "<p>Dear customer</p>",
            "attachments": [{"name": "invoice.pdf", "content_type": "application/pdf", "size": 10}]}
    fake.on("GET", f"/mails/{MAIL_ID}", ok(mail))
    r = offline_cli("mail", "show", MAIL_ID)
    assert r.returncode == 0, r.stderr
    assert "Your invoice" in r.stdout and "Dear customer,\nhere it is." in r.stdout
    assert "invoice.pdf" in r.stdout and "application/pdf" in r.stdout
    assert "<p>Dear customer</p>" in offline_cli("mail", "show", MAIL_ID, "--html").stdout
    assert json.loads(offline_cli("mail", "show", MAIL_ID, "--json").stdout) == mail


def test_show_an_unknown_or_bad_id_fails_with_the_api_error(fake, offline_cli):
    fake.on("GET", "/mails/nope", fail(422, "VALIDATION_FAILED", "not a mail id: 'nope'",
                                       remediation="Use an id as listed by GET /api/v1/environments/{id}/mails."))
    r = offline_cli("mail", "show", "nope")
    assert r.returncode != 0
    assert "not a mail id" in r.stderr and "hint:" in r.stderr
