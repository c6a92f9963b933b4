"""Finding the environment a command names: by id, slug or branch, within --project when given."""
import shlex
from urllib.parse import quote

from .. import exit_codes, hints
from ..client import CliError
from ..context import client


def fetch_environment(ref, project=None):
    """The environment named by an id, a slug or a branch name.

    Branch names may hold '/', which a path segment cannot: those go through the list filter.
    A name that is no slug (Feature_X has slug feature-x) is tried as a branch too."""
    if "/" in ref:
        return _by_branch(ref, project)
    try:
        return client().get(f"/environments/{quote(ref, safe='')}",
                            params={"project": project} if project else None)["data"]
    except CliError as err:
        if err.code != exit_codes.NOT_FOUND or ref.isdigit():
            raise
        try:
            return _by_branch(ref, project)
        except CliError:
            raise err from None


def _by_branch(branch, project):
    params = {"branch": branch, **({"project": project} if project else {})}
    found = client().get("/environments", params=params)["data"]
    if not found:
        raise CliError(f"no live environment for branch {branch!r}" + (f" in project {project}" if project else ""),
                       code=exit_codes.NOT_FOUND, error="NOT_FOUND",
                       remediation="List them with 'odooops env list'.")
    if len(found) > 1:
        matches = [{"id": e["id"], "project": e["project"]["slug"], "slug": e["slug"], "branch": e["branch"],
                    "status": e["status"]} for e in found]
        details = {"matches": matches}
        raise CliError(f"branch {branch!r} has environments in several projects", code=exit_codes.CONFLICT,
                       error="AMBIGUOUS_REFERENCE", details=details,
                       remediation=hints.for_cli("AMBIGUOUS_REFERENCE", None, details=details),
                       lines=hints.context_lines("AMBIGUOUS_REFERENCE", details))
    return found[0]


def command(*words, project=None) -> str:
    """A command line to paste: odooops rollback main --project acme."""
    return shlex.join(["odooops", *map(str, words), *(["--project", project] if project else [])])
