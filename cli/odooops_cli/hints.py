"""The server's remediations speak API ("GET /api/v1/environments"); the CLI speaks commands.

Remediations written for both name the API in a parenthesis "(API: …)", which the CLI drops.
Others are rewritten only when known word for word, per error code; any other text is shown
as the server wrote it, since rewriting free text by guess would garble it."""
import re
import shlex
import sys

LIST_COMMAND = {
    "environments": "odooops env list",
    "projects": "odooops project list",
    "deployments": "odooops deployment list ENV",
    "audit_logs": "odooops audit logs",
    "audit-logs": "odooops audit logs",
}
API_ASIDE = re.compile(r"\s*\(API: [^()]*\)")
OPENAPI = re.compile(r"See GET /api/v1/openapi\.json for (every endpoint|the methods this path accepts)\.")
UPGRADE = "This control plane does not know this call: use the CLI of its OdooOps version (odooops --version)."


def _list_them(match, resource):
    command = LIST_COMMAND.get(match["collection"])
    return f"List them with '{command}'." if command else None


def _list_what_exists(match, resource):
    command = LIST_COMMAND.get(resource)
    return match[0].replace("GET on the collection", f"'{command}'") if command else None


# (error codes, the server's exact remediation, what to say instead: text or function(match, resource))
RULES = [
    ({"NOT_FOUND"}, re.compile(r"List them with GET /api/v1/(?P<collection>[a-z_-]+)\.?"), _list_them),
    ({"NOT_FOUND"}, re.compile(r"(Check the id or slug; l|L)ist what exists with GET on the collection\."),
     _list_what_exists),
    ({"NOT_FOUND", "METHOD_NOT_ALLOWED"}, OPENAPI, UPGRADE),
    ({"UNAUTHENTICATED"}, re.compile(r"Send 'Authorization: Bearer <token>' .* run 'odooops login'\."),
     "Run 'odooops login --url URL --token KEY' (or --username LOGIN)."),
    ({"TOKEN_EXPIRED"}, re.compile(r"Get a new token: POST /api/v1/auth/token, or run 'odooops login' again\."),
     "Run 'odooops login' again."),
    ({"VALIDATION_FAILED"}, re.compile(r"Fix the fields listed in details and send the request again\."),
     "Fix the values named above and run the command again."),
    ({"RATE_LIMITED"}, re.compile(r"Wait (?P<s>\d+) s \(see the Retry-After header\) and slow down\."),
     lambda m, r: f"Wait {m['s']} s, then run the command again."),
    ({"CONFLICT", "VALIDATION_FAILED"},
     re.compile(r'Name one with \{"deployment": id\} \(odooops deployment list ENV\)\.'),
     "Name one with --to ID (see 'odooops deployment list ENV')."),
]


def resource_of(path):
    """'/environments/12/rollback' → 'environments'."""
    return path.strip("/").split("/")[0] if path else ""


def for_cli(code, remediation, path="", method="GET", details=None):
    """The hint to show for an API error."""
    details = details or {}
    if code == "AMBIGUOUS_REFERENCE":
        return _add_project_hint(details.get("matches") or [])
    if code == "PROJECT_HAS_ENVIRONMENTS":
        parts = path.strip("/").split("/")
        project = parts[1] if len(parts) > 1 else "PROJECT"
        return (f"Destroy them first (odooops env destroy ENV --project {project} --confirm), "
                "then delete the project again.")
    if not remediation:
        return None
    remediation = API_ASIDE.sub("", remediation).strip()
    for codes, pattern, replacement in RULES:
        match = pattern.fullmatch(remediation)
        if code in codes and match:
            text = replacement(match, resource_of(path)) if callable(replacement) else replacement
            return text or remediation
    return remediation


def _project_of(match):
    project = match.get("project")
    return project.get("slug") if isinstance(project, dict) else project


def _add_project_hint(matches):
    projects = sorted({p for p in map(_project_of, matches) if p})
    if not projects:
        return "Add --project SLUG or use the id."
    again = shlex.join(["odooops", *sys.argv[1:], "--project", projects[0]])
    return f"Add --project ({' or '.join(projects)}), e.g. {again}; or use the id."


def context_lines(code, details):
    """Plain lines that make an error actionable: what matched, what blocks, what git said."""
    details = details or {}
    if code == "AMBIGUOUS_REFERENCE" and details.get("matches"):
        rows = [("ID", "PROJECT", "SLUG", "BRANCH", "STATUS")]
        rows += [(str(m.get("id", "-")), _project_of(m) or "-", m.get("slug") or "-", m.get("branch") or "-",
                  m.get("status") or "-") for m in details["matches"]]
        widths = [max(len(row[i]) for row in rows) for i in range(5)]
        return ["  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    if code == "PROJECT_HAS_ENVIRONMENTS" and details.get("environments"):
        envs = details["environments"]
        names = [e.get("slug", str(e)) if isinstance(e, dict) else str(e) for e in envs]
        return [f"  live environments: {', '.join(names)}"]
    if code == "GIT_REMOTE_UNREACHABLE" and details.get("git"):
        return [f"  git: {line}" for line in str(details["git"]).strip().splitlines()[-10:]]
    return []
