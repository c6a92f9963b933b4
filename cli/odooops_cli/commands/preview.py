"""odooops preview create|list|destroy: pull request previews by hand (the webhook makes them by itself)."""
from urllib.parse import quote

import click

from .. import exit_codes, output
from ..client import CliError
from ..context import client, json_option, wait_option
from ._follow import cleanup_report, finish, wait_for

PR = click.IntRange(1, 2**31 - 1)
SHA_HELP = "Full SHA of the commit to deploy (default: the PR's head, asked of GitHub with the project's credentials)."


@click.group("preview")
def preview_group():
    """Preview environments of pull requests (pr-<n>): create, list, destroy."""


def project_of(project) -> str:
    """--project, or the only project there is."""
    if project:
        return project
    projects = client().get("/projects", params={"per_page": 200})["data"]
    if len(projects) == 1:
        return projects[0]["slug"]
    if not projects:
        raise CliError("there is no project", code=exit_codes.NOT_FOUND, error="NOT_FOUND",
                       remediation="Create one: odooops project create NAME --git-remote URL")
    slugs = ", ".join(sorted(p["slug"] for p in projects))
    raise CliError("several projects: which one has the pull request?", code=exit_codes.USAGE,
                   remediation=f"Add --project SLUG ({slugs}).")


def _path(project, pr=None) -> str:
    return f"/projects/{quote(project, safe='')}/previews" + (f"/{pr}" if pr is not None else "")


def _split(answer):
    """(environment, deployment) of an answer that is either an environment with its deployment
    (like POST /environments) or a deployment."""
    if "kind" in answer and isinstance(answer.get("environment"), dict):
        return answer["environment"], answer
    env = answer.get("environment") if isinstance(answer.get("environment"), dict) else answer
    return env, answer.get("deployment")


def _url(env) -> str | None:
    if env.get("url"):
        return env["url"]
    if env.get("id"):
        return client().get(f"/environments/{env['id']}")["data"].get("url")
    return None


@preview_group.command("create")
@click.option("--pr", "pr", type=PR, required=True, help="Pull request number.")
@click.option("--project", "-p", metavar="SLUG", help="Project of the repository (needed when there are several).")
@click.option("--sha", help=SHA_HELP)
@click.option("--branch", help="The PR's head branch (default: from GitHub, else pr-<n>).")
@wait_option("deployment")
@json_option
def preview_create(pr, project, sha, branch, wait, as_json):
    """Create (or update) the preview of a pull request and deploy it.

    The same as the webhook does when a PR is opened or pushed to: environment pr-<n>, tier
    preview, with the preview TTL of the project's policy. It exists already: the commit is
    deployed to it. With --wait, follows the deployment and ends with the preview's URL
    (exit code 10 when the deployment fails).

    \b
    Examples:
      odooops preview create --pr 123 --wait
      odooops preview create --pr 123 --project acme --sha 1a2b3c4d… --branch feature/x
    """
    project = project_of(project)
    body = {"pr": pr, **({"sha": sha} if sha else {}), **({"branch": branch} if branch else {})}
    answer = client().post(_path(project), json=body)["data"]
    env, dep = _split(answer)
    if dep is None:
        if as_json:
            return output.print_json(answer)
        return output.success(f"preview {env.get('slug') or f'pr-{pr}'} is up to date: {env.get('url') or '-'}")
    if as_json and not wait:
        return output.print_json(answer)
    if not as_json:
        output.success(f"preview {env.get('slug') or dep['environment']['slug']} of PR #{pr} ({project}): "
                       f"{env.get('url') or 'URL once deployed'}")
    finish(dep, wait, as_json)
    if wait and not as_json:
        url = _url(env or dep["environment"])
        if url:
            click.echo(url)


@preview_group.command("list")
@click.option("--project", "-p", metavar="SLUG", help="Only this project (default: every project's previews).")
@json_option
def preview_list(project, as_json):
    """List preview environments, with their pull request.

    \b
    Examples:
      odooops preview list
      odooops preview list --project acme --json
    """
    if project:
        previews = client().get(_path(project))["data"]
    else:
        previews = client().get("/environments", params={"tier": "preview", "per_page": 200})["data"]
    if as_json:
        return output.print_json(previews)
    if not previews:
        output.note("no previews" + (f" in {project}" if project else "") +
                    ": they come with pull requests (webhook), or odooops preview create --pr N")
        return
    output.table(previews, [
        ("PR", lambda e: f"#{e['pull_request']}" if e.get("pull_request") else None),
        ("SLUG", lambda e: e["slug"]), ("PROJECT", lambda e: (e.get("project") or {}).get("slug")),
        ("BRANCH", lambda e: e.get("branch")), ("STATUS", lambda e: output.status(e.get("status"))),
        ("SHA", lambda e: output.short_sha(e.get("deployed_sha"))),
        ("EXPIRES", lambda e: output.age(e.get("expires_at"))), ("URL", lambda e: e.get("url")),
    ])


@preview_group.command("destroy")
@click.option("--pr", "pr", type=PR, required=True, help="Pull request number.")
@click.option("--project", "-p", metavar="SLUG", help="Project of the repository (needed when there are several).")
@wait_option("cleanup")
@json_option
def preview_destroy(pr, project, wait, as_json):
    """Destroy the preview of a pull request (the webhook does it when the PR is closed).

    \b
    Examples:
      odooops preview destroy --pr 123 --wait
    """
    project = project_of(project)
    answer = client().delete(_path(project, pr))["data"]
    env, job = _split(answer)
    slug = (env or {}).get("slug") or f"pr-{pr}"
    if job is None:
        return output.print_json(answer) if as_json else output.success(f"{slug} is already being destroyed")
    if not wait:
        return output.print_json(answer) if as_json else finish(job, wait, as_json)
    done = wait_for(job["id"], as_json)
    if not as_json:
        output.success(f"{slug} destroyed: {cleanup_report(done.get('result') or {})}")
