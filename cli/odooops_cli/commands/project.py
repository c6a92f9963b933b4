"""odooops project list|get|create|update|delete."""
import functools
from urllib.parse import quote

import click

from .. import exit_codes, output
from ..client import CliError
from ..context import client, json_option, page_options, wide_option


@click.group("project")
def project_group():
    """Projects: git repositories of Odoo addons."""


@project_group.command("list")
@wide_option
@page_options
@json_option
def project_list(wide, paging, as_json):
    """List the projects you can see.

    \b
    Examples:
      odooops project list
      odooops project list --wide
    """
    body = client().get("/projects", params=paging)
    if as_json:
        return output.print_json(body["data"])
    if not body["data"]:
        output.note("no projects yet: create one with 'odooops project create NAME --git-remote URL'")
        return
    columns = [
        ("SLUG", lambda p: p["slug"]), ("NAME", lambda p: p["name"]), ("DOMAIN", lambda p: p.get("domain")),
        ("BRANCH", lambda p: p.get("default_branch")), ("ENVS", lambda p: p.get("environment_count")),
        ("AGE", lambda p: output.age(p.get("created_at"))),
    ]
    if wide:
        columns = [("ID", lambda p: p["id"])] + columns + [
            ("GIT REMOTE", lambda p: p.get("git_remote")), ("BASE IMAGE", lambda p: p.get("base_image")),
            ("MEMBERS", lambda p: ", ".join(p.get("members") or []) or None),
            ("TEST COMMAND", lambda p: p.get("test_command")),
        ]
    output.table(body["data"], columns)
    output.page_footer(body["meta"])


@project_group.command("get")
@click.argument("ref")
@json_option
def project_get(ref, as_json):
    """Show one project, by id or slug."""
    project = client().get(f"/projects/{quote(ref, safe='')}")["data"]
    if as_json:
        return output.print_json(project)
    output.fields(project, [
        ("slug", lambda p: p["slug"]), ("id", lambda p: p["id"]), ("name", lambda p: p["name"]),
        ("git remote", lambda p: p.get("git_remote")), ("default branch", lambda p: p.get("default_branch")),
        ("domain", lambda p: p.get("domain")), ("base image", lambda p: p.get("base_image")),
        ("test command", lambda p: p.get("test_command")),
        ("members", lambda p: ", ".join(p.get("members") or []) or "everyone (no member list)"),
        ("environments", lambda p: p.get("environment_count")),
        ("created", lambda p: output.when(p.get("created_at"))), ("updated", lambda p: output.when(p.get("updated_at"))),
    ])


def project_fields(func):
    """The optional fields of a project; only those given are sent."""
    @click.option("--domain", help="Environments are served as <env>.<domain> (default: <slug>.<the host's domain>).")
    @click.option("--base-image", help="Docker image the builds start FROM (default: the host's Odoo 19 image).")
    @click.option("--default-branch", help="The branch of production (default: main).")
    @click.option("--member", "members", multiple=True, metavar="LOGIN",
                  help="Only these users (and admins) see the project; repeatable, replaces the list.")
    @click.option("--test-command", metavar="CMD", help="Run in each new image before it is deployed.")
    @functools.wraps(func)
    def wrapper(*args, domain, base_image, default_branch, members, test_command, **kwargs):
        given = {"domain": domain, "base_image": base_image, "default_branch": default_branch,
                 "members": list(members) or None, "test_command": test_command}
        return func(*args, fields={k: v for k, v in given.items() if v is not None}, **kwargs)
    return wrapper


@project_group.command("create")
@click.argument("name")
@click.option("--git-remote", required=True, metavar="URL", help="Where git clones the addons from.")
@project_fields
@json_option
def project_create(name, git_remote, fields, as_json):
    """Register a project: a git repository of Odoo addons.

    \b
    Examples:
      odooops project create Acme --git-remote https://github.com/acme/odoo-addons.git
      odooops project create Shop --git-remote git@git.example.com:shop/addons.git \\
          --domain shop.example.com --member alice --member bob --test-command 'pytest -q'
    """
    project = client().post("/projects", json={"name": name, "git_remote": git_remote, **fields})["data"]
    if as_json:
        return output.print_json(project)
    output.success(f"project {project['slug']} created; environments are served as <env>.{project.get('domain')}")
    output.note(f"next: odooops env create {project.get('default_branch') or 'main'} --project {project['slug']} --wait")


@project_group.command("update")
@click.argument("ref")
@click.option("--name", help="New display name (the slug stays).")
@click.option("--git-remote", metavar="URL", help="New git remote.")
@project_fields
@json_option
def project_update(ref, name, git_remote, fields, as_json):
    """Change a project's settings.

    \b
    Examples:
      odooops project update acme --domain acme.example.com
      odooops project update acme --member alice --member bob
    """
    body = {**({"name": name} if name else {}), **({"git_remote": git_remote} if git_remote else {}), **fields}
    if not body:
        raise CliError("nothing to change", code=exit_codes.USAGE,
                       remediation="Pass --name, --git-remote, --domain, --base-image, --default-branch, "
                                   "--member or --test-command.")
    project = client().patch(f"/projects/{quote(ref, safe='')}", json=body)["data"]
    if as_json:
        return output.print_json(project)
    output.success(f"project {project['slug']} updated: {', '.join(sorted(body))}")


@project_group.command("delete")
@click.argument("ref")
@click.option("--confirm", is_flag=True, help="Required: the project is deleted.")
@json_option
def project_delete(ref, confirm, as_json):
    """Delete a project that has no live environment left."""
    if not confirm:
        raise CliError(f"deleting project {ref} cannot be undone", code=exit_codes.USAGE,
                       remediation=f"Run again with --confirm: odooops project delete {ref} --confirm")
    answer = client().delete(f"/projects/{quote(ref, safe='')}")["data"]
    if as_json:
        return output.print_json(answer)
    output.success(f"project {(answer.get('project') or {}).get('slug', ref)} deleted")
