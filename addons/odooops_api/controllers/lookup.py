"""Find one record from a path reference: a numeric id or a slug."""
from odoo.http import request

from odooops import errors


def by_ref(model, ref, what, extra_domain=()):
    records = request.env[model]
    domain = [("id", "=", int(ref))] if ref.isdigit() else [("slug", "=", ref)]
    found = records.search(domain + list(extra_domain), limit=2)
    if not found:
        raise errors.NotFound(f"no {what} {ref!r}", details={"ref": ref},
                              remediation=f"List them with GET /api/v1/{what.replace(' ', '_')}s.")
    if len(found) > 1:
        raise errors.Conflict(f"{ref!r} names several {what}s", details={"ids": found.ids},
                              remediation="Use the numeric id, or add ?project=<slug>.")
    return found
