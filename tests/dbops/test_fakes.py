"""The fake values themselves: PostgreSQL only, no Odoo."""
import re

import pytest

from odooops.dbops import fakes

ORIGINALS = {
    "name": ["Wilhelmina Stoddard-Kerr", "Azure Interior"],
    "first_name": ["Wilhelmina"],
    "email": ["wilhelmina@quill.test", '"Wilhelmina S." <Wilhelmina@Quill.test>', "a@x.test, b@y.test"],
    "phone": ["+32 478 90 12 34", "(441)-695-2334"],
    "street": ["Avenue Louise 480"], "city": ["Namur"], "zip": ["5000", "SW1A 1AA"],
    "vat": ["BE0477472701", "12345678"], "iban": ["BE71 0961 2345 6769", "DE89370400440532013000", "123-456-789"],
    "login": ["wilhelmina@quill.test", "wstoddard"], "url": ["https://www.quill.test"],
    "text": ["Quote for Quillfeather Logistics", "short"],
    "free_text": ["<p>Call Wilhelmina at +32 478 90 12 34</p>", "a plain note about Wilhelmina"],
}
SHAPES = {
    "name": r"^[A-Z][a-z]+ [A-Z][a-z]+$", "first_name": r"^[A-Z][a-z]+$",
    "email": r'^("[A-Z][a-z]+ [A-Z][a-z]+" <)?[a-z]+\.[a-z]+\.[0-9a-f]{12}@example\.com>?$',
    "phone": r"^\+1 555 0\d\d \d{4}$", "street": r"^\d+ [A-Z][a-z]+ [A-Z][a-z]+$", "city": r"^[A-Z][a-z]+$",
    "zip": r"^[0-9A-F ]+$", "vat": r"^([A-Z]{2})?\d+$", "iban": r"^[A-Z0-9 ]+$",
    "login": r"^(user\.[0-9a-f]{12}|[a-z]+\.[a-z]+\.[0-9a-f]{12}@example\.com)$",
    "url": r"^https://www\.[a-z]+-[0-9a-f]{6}\.example\.com$",
    "text": r"^[0-9a-f]", "free_text": r"^(<p>)?\[anonymized [0-9a-f]{8}\]",
}


@pytest.fixture
def fake(pg_server, empty_database):
    """fake(kind, value, salt="s1") with one session and transaction per call."""
    def run(kind, value, salt="s1"):
        with pg_server.session(empty_database) as cr:
            cr.execute("BEGIN")
            fakes.install(cr, salt)
            cr.execute(f"SELECT {fakes.function(kind)}(%s)", [value])
            return cr.fetchone()[0]
    return run


def test_every_kind_has_its_shape_and_keeps_nothing(fake):
    assert set(ORIGINALS) == set(fakes.KINDS) == set(SHAPES)
    for kind, values in ORIGINALS.items():
        for value in values:
            result = fake(kind, value)
            assert re.match(SHAPES[kind], result), (kind, value, result)
            assert result != value and "wilhelmina" not in result.lower() and "quill" not in result.lower()
            assert fake(kind, value) == result                    # deterministic within a salt
            assert fake(kind, None) is None and fake(kind, "") == "" and fake(kind, "  ") == "  "


def test_lengths_and_shapes_are_kept(fake):
    assert len(fake("zip", "5000")) == 4 and fake("zip", "5000").isdigit()
    # VAT and account numbers start with 0000: a random number could be another real one.
    assert fake("vat", "BE0477472701").startswith("BE0000") and len(fake("vat", "BE0477472701")) == 12
    assert fake("vat", "/") == "/"                                    # 'not subject to VAT' is not personal
    body = "<p>" + "x" * 500 + "</p>"
    assert fake("free_text", body).startswith("<p>") and abs(len(fake("free_text", body)) - len(body)) <= 28
    assert abs(len(fake("text", "Quote for Quillfeather Logistics")) - 32) <= len(fakes.FILLER)


def test_ibans_stay_valid_ibans(fake):
    for original in ["BE71 0961 2345 6769", "DE89370400440532013000", "GB29 NWBK 6016 1331 9268 19"]:
        result = fake("iban", original)
        compact = result.replace(" ", "")
        assert compact[:2] == original[:2] and len(compact) == len(original.replace(" ", ""))
        assert compact[4:8] == fakes.MARK                         # no bank has that code
        assert (" " in result) == (" " in original)
        digits = "".join(str(int(c, 36)) for c in compact[4:] + compact[:4])
        assert int(digits) % 97 == 1, result                      # ISO 13616 check digits
    assert fake("iban", "123-456-789").isdigit() and len(fake("iban", "123-456-789")) == 9


def test_same_original_same_fake_across_forms(fake):
    """A partner's email, its display form in a message and a login equal to it agree."""
    address = fake("email", "wilhelmina@quill.test")
    assert fake("email", '"Wilhelmina S." <Wilhelmina@Quill.test>') == f'"{fake("name", "Wilhelmina S.")}" <{address}>'
    assert fake("login", "wilhelmina@quill.test") == address == fake("email", " WILHELMINA@quill.test ")
    assert fake("phone", "+32 478 90 12 34") == fake("phone", "+32478901234")


def test_a_new_salt_gives_new_fakes(fake):
    assert fake("email", "wilhelmina@quill.test", "s1") != fake("email", "wilhelmina@quill.test", "s2")


def test_the_salt_is_drawn_by_the_server_and_dies_with_the_transaction(pg_server, empty_database):
    with pg_server.session(empty_database) as cr:
        cr.execute("BEGIN")
        fakes.install(cr)
        cr.execute("SELECT current_setting(%s), pg_temp.anon_name('x')", [fakes.SALT_SETTING])
        salt, first = cr.fetchone()
        assert len(salt) == 72
        cr.execute("COMMIT")
        cr.execute("SELECT current_setting(%s, true)", [fakes.SALT_SETTING])
        assert not cr.fetchone()[0]
