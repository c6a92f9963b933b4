"""Branch → slug → database and DNS names.

Every name produced here matches ``[a-z0-9-]`` (slugs, DNS labels) or
``[a-z0-9_]`` (PostgreSQL identifiers), so none can carry SQL, a path or a
shell word. Names are stable (a pure function of their inputs) and
collision-safe: whenever a name had to be shortened or was already taken, a
short hash of the full original is appended, so two different inputs never
meet on the same name.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata

from .errors import InvalidBranchName, ValidationFailed

DNS_LABEL_MAX = 63          # RFC 1035
PG_IDENTIFIER_MAX = 63      # NAMEDATALEN - 1
BRANCH_MAX = 200
HASH_LEN = 6
RESERVED_SLUGS = frozenset({"api", "www", "admin", "odooops", "control", "mail", "static"})

# git's forbidden characters, plus shell metacharacters that no sane branch needs.
_FORBIDDEN_BRANCH_CHARS = re.compile(r"[\x00-\x20\x7f~^:?*\[\\`$;&|<>'\"(){}!]")
_NON_SLUG = re.compile(r"[^a-z0-9]+")
_DNS_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")


def short_hash(text: str, length: int = HASH_LEN) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


def validate_branch(branch) -> str:
    """Return ``branch`` if git would accept it as a branch name, else raise.

    The rules are git's own (``git check-ref-format --branch``) plus a length cap.
    """
    if not isinstance(branch, str) or not branch:
        raise InvalidBranchName("branch must be a non-empty string", details={"branch": branch})
    problems = []
    if len(branch) > BRANCH_MAX:
        problems.append(f"longer than {BRANCH_MAX} characters ({len(branch)})")
    if _FORBIDDEN_BRANCH_CHARS.search(branch):
        problems.append("contains a space, a control character or one of ~ ^ : ? * [ \\ ` $ ; & | < > ' \" ( ) { } !")
    if ".." in branch or "@{" in branch or branch == "@":
        problems.append("contains '..' or '@{' or is '@'")
    if branch.startswith(("-", "/")) or branch.endswith(("/", ".")) or "//" in branch:
        problems.append("starts with '-' or '/', ends with '/' or '.', or contains '//'")
    if any(part.startswith(".") or part.endswith(".lock") for part in branch.split("/")):
        problems.append("has a component starting with '.' or ending with '.lock'")
    if problems:
        shown = branch if len(branch) <= 80 else branch[:77] + "..."
        raise InvalidBranchName(f"invalid branch name {shown!r}: " + "; ".join(problems),
                                details={"branch": shown, "problems": problems})
    return branch


def slugify(text: str, max_len: int = DNS_LABEL_MAX) -> str:
    """A DNS-label-safe slug of ``text``; shortened ones end in a hash of ``text``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = _NON_SLUG.sub("-", ascii_text.lower()).strip("-")
    if not slug:
        return "x-" + short_hash(text)
    if len(slug) > max_len:
        slug = slug[: max_len - HASH_LEN - 1].rstrip("-") + "-" + short_hash(text)
    return slug


def branch_slug(branch: str, taken=frozenset()) -> str:
    """The slug of a branch, made unique against ``taken`` (slugs already in use).

    ``feature/crm-automation`` → ``feature-crm-automation``. When that is taken
    by another branch (``feature-crm-automation`` itself, say) or reserved, a hash
    of the exact branch name is appended, which no other branch shares.
    """
    validate_branch(branch)
    slug = slugify(branch)
    if slug in taken or slug in RESERVED_SLUGS:
        base = slug[: DNS_LABEL_MAX - HASH_LEN - 1].rstrip("-")
        slug = f"{base}-{short_hash(branch)}"
        if slug in taken:
            raise ValidationFailed(f"branch {branch!r} already has an environment",
                                   details={"branch": branch, "slug": slug})
    return slug


def database_name(project_slug: str, env_slug: str, prefix: str = "") -> str:
    """PostgreSQL database name of an environment: ``[prefix_]project__env``.

    Slugs never hold '__' (runs of separators collapse to one), so the double
    underscore keeps ``a-b``/``c`` apart from ``a``/``b-c``.
    """
    for slug in (project_slug, env_slug):
        if not _DNS_LABEL.match(slug or ""):
            raise ValidationFailed(f"not a slug: {slug!r}", details={"slug": slug})
    full = f"{prefix}_" if prefix else ""
    full += f"{project_slug}__{env_slug}".replace("-", "_")
    if len(full) > PG_IDENTIFIER_MAX:
        full = full[: PG_IDENTIFIER_MAX - HASH_LEN - 1].rstrip("_") + "_" + short_hash(
            f"{prefix}/{project_slug}/{env_slug}")
    return full


def validate_domain(domain: str) -> str:
    """A DNS name (``dev.example.com``), lowercased, or raise."""
    if not isinstance(domain, str):
        raise ValidationFailed("domain must be a string", details={"domain": domain})
    name = domain.strip().lower().rstrip(".")
    labels = name.split(".")
    if not name or len(name) > 253 or not all(_DNS_LABEL.match(label) for label in labels):
        raise ValidationFailed(f"invalid domain {domain!r}", details={"domain": domain},
                               remediation="Use a DNS name such as dev.example.com (letters, digits, '-' and '.').")
    return name


def hostname(env_slug: str, domain: str) -> str:
    return f"{env_slug}.{validate_domain(domain)}"


def role_name(database: str) -> str:
    """The login role of an environment's database: ``<database>_u``, hashed when too long."""
    role = f"{database}_u"
    if len(role) > PG_IDENTIFIER_MAX:
        role = f"{database[:48]}_{short_hash(database, 8)}_u"
    return role


SNAPSHOT_PREFIX = "odooops_snap"


def snapshot_database(project_slug: str, env_slug: str, snapshot_id: int) -> str:
    """A named snapshot's database: ``odooops_snap_<project>__<env>__<id>``.

    Not under the environment's own ``<database>__s…`` names: destroying the environment
    leaves its snapshots (they expire on their own), and the prefix says who made it."""
    if not isinstance(snapshot_id, int) or snapshot_id < 1:
        raise ValidationFailed(f"not a snapshot id: {snapshot_id!r}", details={"snapshot": snapshot_id})
    suffix = f"__{snapshot_id}"
    base = database_name(project_slug, env_slug, prefix=SNAPSHOT_PREFIX)
    if len(base) + len(suffix) > PG_IDENTIFIER_MAX:
        keep = PG_IDENTIFIER_MAX - len(suffix) - HASH_LEN - 1
        base = base[:keep].rstrip("_") + "_" + short_hash(base)
    return base + suffix
