"""Find one record from a reference: a numeric id or a slug.

An environment's slug is unique only within its project: ``project`` (a project
slug, or the request's ?project=) narrows it, and a slug in several projects is a
409 AMBIGUOUS_REFERENCE that lists every match. A destroyed environment answers the
same by id and by slug: with no live environment of that slug, the newest destroyed
one is the answer."""
import re

from odoo.http import request

from odooops import errors

MAX_ID = 2**31 - 1          # PostgreSQL integer
LIST_HINT = {
    "environment": "List them: odooops env list (API: GET /api/v1/environments).",
    "project": "List them: odooops project list (API: GET /api/v1/projects).",
}
AMBIGUOUS_HINT = "Add --project SLUG (API: ?project=SLUG) or use the id."


def as_id(ref):
    """The record id ``ref`` names, or None when it is not a (PostgreSQL-sized) number."""
    ref = str(ref)
    return int(ref) if re.fullmatch(r"[0-9]{1,10}", ref) and int(ref) <= MAX_ID else None


def not_found(what, ref, project=None):
    where = f" in project {project!r}" if project else ""
    return errors.NotFound(f"no {what} {str(ref)!r}{where}", details={"ref": str(ref), "project": project},
                           remediation=LIST_HINT.get(what, "List what exists with GET on the collection."))


def ambiguous(what, ref, records):
    matches = [{"id": r.id, "project": r.project_id.slug, "slug": r.slug,
                "branch": r.branch, "status": r.state} for r in records.sudo()]
    projects = ", ".join(m["project"] for m in matches)
    return errors.Conflict(f"{what} {str(ref)!r} is in several projects ({projects})", code="AMBIGUOUS_REFERENCE",
                           details={"ref": str(ref), "matches": matches}, remediation=AMBIGUOUS_HINT)


def by_ref(model, ref, what, extra_domain=(), project=None):
    """The one ``model`` record whose id or slug is ``ref`` (among ``extra_domain``)."""
    if model == "odooops.environment":
        return environment(ref, project, extra_domain)
    records = request.env[model]
    scope = list(extra_domain)
    ident = as_id(ref)
    found = records.search([("id", "=", ident)] + scope) if ident is not None else records.browse()
    if not found:
        found = records.search([("slug", "=", str(ref))] + scope, limit=20)
    if not found:
        raise not_found(what, ref, project)
    if len(found) > 1:
        raise ambiguous(what, ref, found)
    return found


def environment(ref, project=None, extra_domain=()):
    """The environment ``ref`` names: live first, else the newest destroyed one of that slug."""
    if project is None:
        # Every /environments/{ref} route declares ?project= (routing.api_route); validated by then.
        project = request.httprequest.args.get("project") or None
    envs = request.env["odooops.environment"]
    scope = list(extra_domain) + ([("project_id.slug", "=", project)] if project else [])
    ident = as_id(ref)
    if ident is not None:
        found = envs.search([("id", "=", ident)] + scope)
        if found:
            return found
    slug = [("slug", "=", str(ref))] + scope
    live = envs.search(slug + [("state", "!=", "destroyed")])
    if len(live) > 1:
        raise ambiguous("environment", ref, live)
    if live:
        return live
    gone = envs.search(slug + [("state", "=", "destroyed")], order="id desc")
    newest = {}
    for env in gone:
        newest.setdefault(env.project_id.id, env)
    if len(newest) > 1:
        raise ambiguous("environment", ref, envs.browse([e.id for e in newest.values()]))
    if gone:
        return gone[0]
    raise not_found("environment", ref, project)
