"""odooops policy validate|show|history|diff|apply (check: policy_check.py).

`validate` reads a local file and needs no control plane: the CLI ships the engine's own
policy package (odooops_cli.policyfile), so a file valid here is valid on the server."""
from pathlib import Path
from urllib.parse import quote

import click
from rich.text import Text

from .. import exit_codes, output
from ..client import CliError
from ..context import client, json_option, page_options
from ._policy_view import count, diff_lines, print_issues, show_policy

DEFAULT_FILE = Path(".odooops") / "policies.yaml"


@click.group("policy")
def policy_group():
    """Policies (.odooops/policies.yaml): validate, show, apply, check."""


def _loader():
    """The engine's load(): shipped in the CLI, or the engine itself in a checkout of OdooOps."""
    try:
        from ..policyfile import load
    except ImportError:
        try:
            from odooops.policy import load
        except ImportError:
            raise CliError("this odooops was installed without its policy validator (odooops_cli.policyfile)",
                           remediation="Reinstall the CLI: pip install ./cli (from the OdooOps repository).") from None
    return load


@policy_group.command("validate")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--strict", is_flag=True, help="Warnings fail too (exit code 8), e.g. in CI.")
@json_option
def policy_validate(file, strict, as_json):
    """Check a policies file offline: every error with file:line:column and a suggestion.

    FILE defaults to .odooops/policies.yaml in the current directory ('-': standard input).
    Needs no control plane and no login. Exit code 8 when the file has errors (with
    --strict: warnings too).

    \b
    Examples:
      odooops policy validate
      odooops policy validate deploy/policies.yaml --strict
      git show HEAD:.odooops/policies.yaml | odooops policy validate -
    """
    path = file or DEFAULT_FILE
    content = _read(path)
    name = "<stdin>" if str(path) == "-" else str(path)
    result = _loader()(content, filename=name)
    errors = [issue.to_dict() for issue in result.errors]
    warnings = [issue.to_dict() for issue in result.warnings]
    failed = bool(errors) or (strict and bool(warnings))
    if as_json:
        output.print_json({"file": name, "valid": not errors, "errors": errors, "warnings": warnings})
    else:
        print_issues(errors, warnings)
        found = ", ".join(part for part in (errors and count(len(errors), "error"),
                                            warnings and count(len(warnings), "warning")) if part)
        if failed:
            strict_only = " (--strict: warnings fail)" if not errors else ""
            output.console(stderr=True).print(Text.assemble(("✗", "red"), f" {name}: {found}{strict_only}"))
        elif warnings:
            output.success(f"{name} is valid, with {found}")
        else:
            output.success(f"{name} is valid: {_contents(result.policy.to_dict())}")
    if failed:
        raise click.exceptions.Exit(exit_codes.INVALID)


def _read(path) -> bytes:
    if str(path) == "-":
        return click.get_binary_stream("stdin").read()
    if not path.is_file():
        looked = path if path.is_absolute() else Path.cwd() / path
        raise CliError(f"no policy file at {looked}", code=exit_codes.NOT_FOUND, error="POLICY_FILE_MISSING",
                       details={"file": str(looked)},
                       remediation="Run it at the root of your project's repository, name the file "
                                   "(odooops policy validate PATH), or create .odooops/policies.yaml "
                                   "(without one a project runs on the defaults: odooops policy show PROJECT).")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}", code=exit_codes.INVALID,
                       remediation="Check the file's permissions.") from None


def _contents(policy) -> str:
    mappings = len(policy.get("branch_mappings") or [])
    tiers = [tier for tier, gates in (policy.get("health_gates") or {}).items() if gates]
    if not mappings and not tiers:
        return "no mappings and no gates; the defaults apply where the file says nothing"
    return (f"{count(mappings, 'branch mapping')}, gates for {', '.join(tiers) or 'no tier'}; "
            "the defaults apply where the file says nothing")


@policy_group.command("show")
@click.argument("project")
@click.option("--yaml", "as_yaml", is_flag=True, help="Print the stored policies.yaml as it was applied.")
@click.option("--version", "version", type=click.IntRange(1), metavar="N", help="An earlier version (see history).")
@json_option
def policy_show(project, as_yaml, version, as_json):
    """Show the policy in force for PROJECT: where it comes from, then every rule.

    Version, source commit, who applied it and when; then the branch mappings in order of
    precedence, the gates of each tier, quotas, time to live and who may do what — with
    the defaults filled in where the file says nothing.

    \b
    Examples:
      odooops policy show acme
      odooops policy show acme --yaml > policies.yaml
      odooops policy show acme --version 2 --json
    """
    path = f"/projects/{quote(project, safe='')}/" + (f"policies/{version}" if version else "policy")
    answer = client().get(path)["data"]
    if as_json:
        return output.print_json(answer)
    if as_yaml:
        if not answer.get("content"):
            output.note(f"{project} has no policies.yaml applied: the defaults are in force (odooops policy show "
                        f"{project})")
        return click.echo(answer.get("content") or "", nl=False)
    show_policy(answer)


@policy_group.command("history")
@click.argument("project")
@page_options
@json_option
def policy_history(project, paging, as_json):
    """List PROJECT's policy versions, newest first (* in force).

    \b
    Examples:
      odooops policy history acme
      odooops policy diff acme 2 3      # what version 3 changed
    """
    body = client().get(f"/projects/{quote(project, safe='')}/policies", params=paging)
    if as_json:
        return output.print_json(body["data"])
    if not body["data"]:
        output.note(f"{project} has never applied a policy: the defaults are in force; apply the repository's "
                    f"with: odooops policy apply {project}")
        return
    output.table(body["data"], [
        ("", lambda p: Text("*", style="green") if p.get("state") == "active" else Text("")), ("VERSION", lambda p: f"v{p['version']}"),
        ("SHA", lambda p: output.short_sha(p.get("sha"))), ("SOURCE", lambda p: p.get("source")),
        ("STATE", lambda p: p.get("state")), ("APPLIED BY", lambda p: p.get("applied_by")),
        ("AGE", lambda p: output.age(p.get("applied_at"))),
        ("WARNINGS", lambda p: len(p.get("warnings") or []) or "")])
    output.page_footer(body["meta"])


@policy_group.command("diff")
@click.argument("project")
@click.argument("old", type=click.IntRange(1))
@click.argument("new", type=click.IntRange(1), required=False)
@json_option
def policy_diff(project, old, new, as_json):
    """What changed from policy version OLD to NEW (default: the version in force).

    \b
    Examples:
      odooops policy diff acme 2          # from v2 to the one in force
      odooops policy diff acme 2 3
    """
    api, ref = client(), quote(project, safe="")
    if new is None:
        new = api.get(f"/projects/{ref}/policy")["data"].get("version")
        if new is None:
            raise CliError(f"{project} has no policy version in force (the defaults apply)",
                           code=exit_codes.NOT_FOUND, remediation=f"See them: odooops policy history {project}")
    answer = api.get(f"/projects/{ref}/policies/{new}/diff", params={"against": old})["data"]
    if as_json:
        return output.print_json(answer)
    if not answer.get("diff"):
        return output.note(f"v{old} and v{new} of {project} have the same policies.yaml")
    con = output.console()
    for line in diff_lines(answer["diff"]):
        con.print(line)


@policy_group.command("apply")
@click.argument("project")
@click.option("--sha", metavar="REF", help="Commit, branch or tag to read it from (default: the default branch).")
@json_option
def policy_apply(project, sha, as_json):
    """Put PROJECT's .odooops/policies.yaml, as committed at REF, in force.

    It applies to what comes next (pushes, deploys, new environments); the version before
    is kept: 'odooops policy diff' shows what changed. A file with errors is refused (exit
    code 8) and nothing changes: each error is printed with its line and column.

    \b
    Examples:
      odooops policy apply acme
      odooops policy apply acme --sha 1a2b3c4
    """
    answer = client().post(f"/projects/{quote(project, safe='')}/policy",
                           json={"sha": sha} if sha else {})["data"]
    if as_json:
        return output.print_json(answer)
    output.success(answer.get("message") or f"policy v{answer.get('version')} is in force")
    if answer.get("created") and (answer.get("version") or 0) > 1:
        output.note(f"what changed: odooops policy diff {project} {answer['version'] - 1} {answer['version']}")
    if answer.get("warnings"):
        print_issues([], answer["warnings"])
