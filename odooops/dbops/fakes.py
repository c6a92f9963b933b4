"""Fake values computed by PostgreSQL itself, one SQL function per kind of value.

``install(cr)`` creates them in the session's temporary schema (``pg_temp.anon_<kind>``),
so nothing is left in the database. Most are one-expression SQL functions, which the
planner inlines into the UPDATE that calls them; those that take their value apart
are PL/pgSQL. A set-based rewrite costs a microsecond or two a value, with no round
trip to Python.

A fake depends only on the original value and the run's salt (an md5 of both), so the
same original gives the same fake everywhere in one run: a partner's email, the login
equal to it and the sender of its messages stay equal, joins and duplicates survive.
The salt is drawn by the server (``gen_random_uuid``) and kept in a transaction-local
setting: it never travels in a query text or a log, and dies with the run, so a fake
cannot be traced back to its original by hashing guesses. NULL stays NULL; an empty
or blank value stays as it is.
"""
from __future__ import annotations

FIRST_NAMES = (
    "Ada", "Alma", "Anton", "Astrid", "Basil", "Beatrix", "Bruno", "Calla", "Cyril", "Dagny", "Dario", "Edgar",
    "Elio", "Esme", "Felix", "Freya", "Greta", "Hector", "Hugo", "Ines", "Ivo", "Jonas", "Juno", "Kaia", "Lars",
    "Lena", "Linus", "Mabel", "Milo", "Nadia", "Nils", "Odile", "Otto", "Pia", "Quentin", "Rosa", "Rufus", "Selma",
    "Silas", "Tilda", "Ugo", "Vera", "Viggo", "Wanda", "Xavi", "Yara", "Yves", "Zelda", "Zeno", "Alvar", "Brita",
    "Cosima", "Dorian", "Elin", "Fabian", "Gisela", "Hedda", "Ilse", "Jasper", "Kasimir", "Leonie", "Mirko",
    "Nora", "Oskar",
)
LAST_NAMES = (
    "Abernathy", "Bancroft", "Castellano", "Dunmore", "Ellery", "Fairweather", "Galloway", "Hargrove", "Ingram",
    "Jablonski", "Kingsley", "Lindqvist", "Marchetti", "Northcott", "Okafor", "Pemberton", "Quimby", "Rasmussen",
    "Sorensen", "Thackeray", "Underhill", "Valdivia", "Whitlock", "Yamada", "Zielinski", "Ashcombe", "Blackwood",
    "Carrington", "Delacroix", "Eriksen", "Falkner", "Grimaldi", "Hollister", "Iversen", "Jeffords", "Kowalczyk",
    "Lockhart", "Moreau", "Nakamura", "Oyelaran", "Prescott", "Ravenscroft", "Stavros", "Takahashi", "Vanderberg",
    "Wexley", "Ybarra", "Zamora", "Aldana", "Brightwater", "Cortazar", "Drummond", "Esterhazy", "Fitzgerald",
    "Gallardo", "Haverford", "Ishikawa", "Kettering", "Lowell", "Mendelsohn", "Oakhurst", "Penrose", "Sandoval",
    "Tremaine",
)
STREETS = ("Oak", "Maple", "Cedar", "Elm", "Willow", "Birch", "Chestnut", "Juniper", "Aspen", "Hawthorn", "Linden",
           "Magnolia", "Poplar", "Sycamore", "Alder", "Laurel", "Harbor", "Meadow", "Orchard", "Mill", "Ridge",
           "Lakeview", "Sunset", "Highland")
STREET_TYPES = ("Street", "Avenue", "Road", "Lane", "Drive", "Way", "Court", "Place")
CITIES = ("Springfield", "Riverton", "Fairview", "Lakeside", "Greenville", "Oakridge", "Brookfield", "Millbrook",
          "Westhaven", "Clearwater", "Ashford", "Kingsport", "Bayview", "Elmwood", "Northfield", "Stonebridge",
          "Maplewood", "Silverton", "Hillcrest", "Pinehurst", "Redcliff", "Woodbury", "Eastwick", "Glenmoor")
FILLER = "Lorem ipsum dolor sit amet. "
SALT_SETTING = "odooops.anon_salt"
MARK = "0000"       # how fake VAT and account numbers start (see anon_vat)


def _array(words) -> str:
    # Constants of this module only (never data), so they may be quoted here.
    assert all(w.isalpha() for w in words)
    return "ARRAY['" + "','".join(words) + "']"


def _pick(words, byte: int) -> str:
    """One word of ``words``, chosen by byte ``byte`` (0-15) of the hash ``h``."""
    return f"({_array(words)})[1 + ('x' || substr(h, {2 * byte + 1}, 2))::bit(8)::int % {len(words)}]"


# One-expression SQL functions (name, argument, body): the planner inlines them, and the
# helpers they call, into the calling statement. ``h`` is a hash in hex.
_INLINED = [
    ("anon_hash", "v text", f"md5(current_setting('{SALT_SETTING}') || v)"),
    # 32 pseudo-random digits: enough for the longest IBAN.
    ("anon_digits", "v text", "translate(pg_temp.anon_hash(v), 'abcdef', '012345')"),
    ("anon_name_of", "h text", f"{_pick(FIRST_NAMES, 0)} || ' ' || {_pick(LAST_NAMES, 1)}"),
    ("anon_first_name_of", "h text", _pick(FIRST_NAMES, 0)),
    ("anon_address_of", "h text",
     f"lower({_pick(FIRST_NAMES, 0)} || '.' || {_pick(LAST_NAMES, 1)}) || '.' || substr(h, 9, 12) "
     "|| '@example.com'"),
    ("anon_street_of", "h text",
     f"(1 + ('x' || substr(h, 5, 4))::bit(16)::int % 2999)::text || ' ' || {_pick(STREETS, 0)} || ' ' "
     f"|| {_pick(STREET_TYPES, 1)}"),
    ("anon_city_of", "h text", _pick(CITIES, 0)),
    ("anon_url_of", "h text",
     f"'https://www.' || lower({_pick(LAST_NAMES, 1)}) || '-' || substr(h, 9, 6) || '.example.com'"),
    ("anon_name", "v text", "CASE WHEN btrim(v) = '' THEN v ELSE pg_temp.anon_name_of(pg_temp.anon_hash(v)) END"),
    ("anon_first_name", "v text",
     "CASE WHEN btrim(v) = '' THEN v ELSE pg_temp.anon_first_name_of(pg_temp.anon_hash(v)) END"),
    ("anon_street", "v text", "CASE WHEN btrim(v) = '' THEN v ELSE pg_temp.anon_street_of(pg_temp.anon_hash(v)) END"),
    ("anon_city", "v text", "CASE WHEN btrim(v) = '' THEN v ELSE pg_temp.anon_city_of(pg_temp.anon_hash(v)) END"),
    ("anon_zip", "v text",
     "CASE WHEN btrim(v) = '' THEN v WHEN translate(v, '0123456789', '') = '' THEN left(pg_temp.anon_digits(v), "
     "length(v)) ELSE upper(left(pg_temp.anon_hash(v), length(v))) END"),
    ("anon_url", "v text", "CASE WHEN btrim(v) = '' THEN v ELSE pg_temp.anon_url_of(pg_temp.anon_hash(v)) END"),
    # Short text: about the same length, a hash then filler words.
    ("anon_text", "v text",
     "CASE WHEN btrim(v) = '' THEN v WHEN octet_length(v) <= 9 THEN left(pg_temp.anon_hash(v), length(v)) "
     f"ELSE left(pg_temp.anon_hash(v), 8) || ' ' || repeat('{FILLER}', (octet_length(v) - 9) / {len(FILLER)}) END"),
    # Free text (notes, chatter, mail bodies): a neutral paragraph of about the same
    # length (in bytes, within a filler's length), HTML when the original was; nothing of
    # the original is kept. Tuned: repeat() copies bytes where rpad() counts characters.
    ("anon_free_text", "v text",
     "CASE WHEN left(v, 1) = '<' THEN '<p>[anonymized ' || left(pg_temp.anon_hash(v), 8) || '] ' "
     f"|| repeat('{FILLER}', (octet_length(v) - 30) / {len(FILLER)}) || '</p>' "
     "WHEN btrim(v) = '' THEN v ELSE '[anonymized ' || left(pg_temp.anon_hash(v), 8) || '] ' "
     f"|| repeat('{FILLER}', (octet_length(v) - 23) / {len(FILLER)}) END"),
]

# Kinds that take their value apart: PL/pgSQL, so that each part is hashed once (an
# inlined expression repeats the hash wherever its result is used). STRICT: a NULL
# costs no call (most address columns of a message are empty).
_PROCEDURAL = [
    # The address alone decides the fake address (case and spaces aside): 'A <a@x.com>'
    # in a message and 'a@x.com' on the partner get the same one. 'Name <address>'
    # keeps its shape; a list of addresses becomes one fake address. No regex: too slow.
    ("anon_email", "v text", "lt int; h text; address text; name text;", """
        IF btrim(v) = '' THEN RETURN v; END IF;
        lt := strpos(v, '<');
        IF lt = 0 THEN
            h := pg_temp.anon_hash(lower(btrim(split_part(v, ',', 1))));
            RETURN pg_temp.anon_address_of(h);
        END IF;
        h := pg_temp.anon_hash(lower(btrim(split_part(substr(v, lt + 1), '>', 1))));
        address := pg_temp.anon_address_of(h);
        name := btrim(left(v, lt - 1), ' "''');
        IF name = '' THEN RETURN '<' || address || '>'; END IF;
        h := pg_temp.anon_hash(name);
        RETURN '"' || pg_temp.anon_name_of(h) || '" <' || address || '>';"""),
    ("anon_login", "v text", "", """
        IF btrim(v) = '' THEN RETURN v; END IF;
        IF strpos(v, '@') > 0 THEN RETURN pg_temp.anon_email(v); END IF;
        RETURN 'user.' || substr(pg_temp.anon_hash(v), 1, 12);"""),
    # The digits alone decide the fake: '+32 478 12 34 56' and '+32478123456' agree.
    # translate() strips the separators: regexp_replace() costs four times as much.
    ("anon_phone", "v text", "d text;", """
        d := translate(v, ' +-().,/', '');
        IF translate(d, '0123456789', '') = d THEN RETURN v; END IF;
        d := pg_temp.anon_digits(d);
        RETURN '+1 555 0' || substr(d, 1, 2) || ' ' || substr(d, 3, 4);"""),
    # The country prefix stays (it says which rules the number follows, not whose it is).
    # The number starts with MARK: 9 random digits would often be another real company's
    # (dozens of times among 1 M partners); a number starting with 0000 is nobody's.
    ("anon_vat", "v text", "prefix text;", f"""
        IF v !~ '[0-9]' THEN RETURN v; END IF;
        prefix := coalesce(substring(upper(btrim(v)) from '^[A-Z]{{2}}'), '');
        RETURN prefix || left('{MARK}' || pg_temp.anon_digits(v), greatest(length(btrim(v)) - length(prefix), 1));"""),
    # IBANs stay IBANs (same country and length, valid check digits, grouped by four when
    # the original was) with MARK as bank code: no bank's. Other account numbers become
    # MARK and digits, of the same length.
    ("anon_iban", "v text", "c text; bban text; fake text;", f"""
        IF v !~ '[0-9]' THEN RETURN v; END IF;
        c := upper(regexp_replace(v, '[^A-Za-z0-9]', '', 'g'));
        IF c !~ '^[A-Z]{{2}}[0-9]{{2}}[A-Z0-9]{{8,30}}$' THEN
            RETURN left('{MARK}' || pg_temp.anon_digits(c), length(c));
        END IF;
        bban := left('{MARK}' || pg_temp.anon_digits(c), length(c) - 4);
        fake := left(c, 2) || lpad((98 - mod((bban || (ascii(substr(c, 1, 1)) - 55)::text
                || (ascii(substr(c, 2, 1)) - 55)::text || '00')::numeric, 97))::text, 2, '0') || bban;
        IF v ~ ' ' THEN RETURN rtrim(regexp_replace(fake, '(.{{4}})', '\\1 ', 'g')); END IF;
        RETURN fake;"""),
]
KINDS = ("name", "first_name", "email", "phone", "street", "city", "zip", "vat", "iban", "login", "url", "text",
         "free_text")


def install(cr, salt: str | None = None) -> None:
    """Create the ``pg_temp.anon_*`` functions on this session and set the run's salt.

    Call it inside the run's transaction: the salt lives as long as that transaction.
    It is drawn by the server unless ``salt`` is given (tests)."""
    if salt is None:
        cr.execute("SELECT set_config(%s, gen_random_uuid()::text || gen_random_uuid()::text, true)",
                   [SALT_SETTING])
    else:
        cr.execute("SELECT set_config(%s, %s, true)", [SALT_SETTING, salt])
    for name, argument, body in _INLINED:
        # STABLE (the salt is a setting) and not STRICT: both keep them inlinable.
        cr.execute(f"CREATE OR REPLACE FUNCTION pg_temp.{name}({argument}) RETURNS text "
                   f"LANGUAGE sql STABLE PARALLEL SAFE AS $fn$ SELECT {body} $fn$")
    for name, argument, declare, body in _PROCEDURAL:
        cr.execute(f"CREATE OR REPLACE FUNCTION pg_temp.{name}({argument}) RETURNS text "
                   f"LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE AS $fn$ DECLARE {declare} BEGIN {body} END $fn$")


def function(kind: str) -> str:
    """The SQL function that fakes values of ``kind``."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind of value {kind!r}; one of {', '.join(KINDS)}")
    return f"pg_temp.anon_{kind}"
