"""Odoo's own tests (``--test-tags``) of an environment's serving release, run against a
throwaway copy of its database: the QA journey's ``odooops test run``.

The copy is made as a migration dry run makes its own (migrate_check.py: a copy-on-write
clone where the cluster can, the serving release paused for the milliseconds of the
clone; the filestore hard-linked into a data dir of its own). The tests run in a one-off
container of the release's image on the release's pinned Odoo tree, their HTTP server
on a free localhost port (HttpCase tests call it). The copy and its data dir are dropped
whatever happens; the environment's database, filestore, container and route are never
written. Odoo's log is read into per-test outcomes by test_results.py.
"""
from __future__ import annotations

import re
import socket
import time

from . import odoo_commands, templates, test_results
from .dataplane import Release, labels
from .drivers import filestore, postgres
from .errors import ValidationFailed
from .pipeline import Pipeline
from .refresh import _link_tree

TAGS_MAX = 500
TAGS_CHARS = re.compile(r"[A-Za-z0-9_.,:/*+-]+")      # fullmatch: no newline
# One --test-tags spec, read as Odoo reads it (odoo/tests/tag_selector.py, without the
# [parameters]): [-][tag][/module][:class][.method]. A spec Odoo would take for a file
# path (its ``file`` group) is refused: it names files of the container.
TAG_SPEC = re.compile(r"(?P<sign>[+-]?)(?P<tag>\*|\w*)(?P<file>/[\w/.-]+.py)?(?:/(?P<module>\w+))?"
                      r"(?::(?P<cls>\w*))?(?:\.(?P<method>\w*))?", re.ASCII)
MODULE_NAME = re.compile(r"^[a-z0-9_]{1,100}$")
LOG_TAIL = 20000
TAGS_HELP = ("Odoo's --test-tags syntax: comma-separated specs [-][tag][/module][:class][.method], "
             "e.g. '/sample', '/sample:TestNote.test_create', 'post_install/sample', '-slow'.")


def check_tags(tags: str, limit: int | None = TAGS_MAX) -> list[str]:
    """The specs of a ``--test-tags`` value (a user's: at most ``limit`` characters);
    ValidationFailed for anything else (it becomes one argument of Odoo's command line,
    never a shell's)."""
    if not isinstance(tags, str) or not tags.strip():
        raise ValidationFailed("test tags are empty", remediation=TAGS_HELP)
    if limit is not None and len(tags) > limit:
        raise ValidationFailed(f"test tags are {len(tags)} characters long, at most {limit} are allowed",
                               details={"length": len(tags)}, remediation=TAGS_HELP)
    if not TAGS_CHARS.fullmatch(tags):
        bad = sorted({c for c in tags if not TAGS_CHARS.fullmatch(c)})
        raise ValidationFailed(f"test tags may not contain {''.join(bad)!r}", details={"tags": tags},
                               remediation="Letters, digits and _ . , : / * + - only. " + TAGS_HELP)
    specs = [spec for spec in tags.split(",") if spec]
    for spec in specs:
        parts = TAG_SPEC.fullmatch(spec)
        if not parts or parts["file"] or not spec.lstrip("+-"):
            raise ValidationFailed(f"not a test tag spec: {spec!r}", details={"spec": spec}, remediation=TAGS_HELP)
    return specs


def effective_tags(tags: str | None, modules=(), default_modules=()) -> str:
    """The ``--test-tags`` value a run uses. ``modules`` narrow the tags' includes to those
    modules (``post_install`` with ['sample'] is ``post_install/sample``; an include that
    names its module stays as it is); with no tags, they are ``/module`` each. With
    neither, the release's own modules (``default_modules``) are tested: every installed
    module's tests (Odoo's and the OCA's) would take hours."""
    for module in modules:
        if not isinstance(module, str) or not MODULE_NAME.match(module):
            raise ValidationFailed(f"not a module name: {module!r}", details={"module": module},
                                   remediation="Module names are lowercase letters, digits and underscores.")
    specs = check_tags(tags) if tags else []
    if not modules:
        if specs:
            return ",".join(specs)
        if not default_modules:
            raise ValidationFailed("the serving release has no module of the project's own to test",
                                   remediation="Name what to test: tags (e.g. '/base:TestORM') or modules.")
        return ",".join(f"/{m}" for m in sorted(default_modules))
    includes = [s for s in specs if not s.startswith("-")]
    excludes = [s for s in specs if s.startswith("-")]
    narrowed = []
    for spec in includes or [""]:
        parts = TAG_SPEC.fullmatch(spec)
        if parts["module"]:
            narrowed.append(spec)
            continue
        tail = (f":{parts['cls']}" if parts["cls"] is not None else "") + \
               (f".{parts['method']}" if parts["method"] is not None else "")
        narrowed += [f"{parts['sign']}{parts['tag']}/{m}{tail}" for m in modules]
    return ",".join(dict.fromkeys(narrowed + excludes))


def free_port() -> int:
    """A port the kernel has free now, outside the environments' range (its ephemeral range)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class OdooTests(Pipeline):
    """A pipeline that runs Odoo's tests of the serving release in a copy."""

    def run_tests(self, *, run, current: Release, tags: str, timeout=None, active=()) -> dict:
        """Run the tests ``tags`` selects; the outcome of each, the summary and the status
        (test_results.verdict). The copy and its data dir are gone when this returns or raises;
        those of earlier runs (not ``active``) whose worker died are dropped first."""
        started = time.monotonic()
        check_tags(tags, limit=None)     # made by effective_tags: many modules make a long value
        left = self.drop_leftovers(set(active) | {run})
        revision, tree = self._odoo_source(current.odoo_revision)
        copy = postgres.snapshot_name(self.env.database, f"t{run}")
        data_dir = filestore.path(self.plane.filestore_root, copy)
        result = {"sha": current.sha, "image": current.image, "odoo_revision": revision, "tags": tags,
                  "copy": {"database": copy, "leftovers_dropped": left}}
        try:
            result["copy"]["strategy"] = self._step("copy", self._copy_for_check, current, copy)
            self._step("filestore", _link_tree, templates.filestore_dir(self.plane.filestore_root, self.env.database),
                       data_dir / "filestore" / copy)
            code, logs, seconds = self._step("tests", self._odoo_tests, run, copy, current.image, tree, data_dir,
                                             tags, timeout or self.plane.migration_timeout)
        finally:
            self._step("cleanup", self._drop_copy, copy, data_dir)
        result["copy"]["dropped"] = not postgres.database_exists(self.plane.pg, copy) and not data_dir.exists()
        report = test_results.parse(logs)
        status, why = test_results.verdict(report, code)
        result.update(status=status, message=why, exit_code=code, timed_out=code == 124, tests_seconds=seconds,
                      seconds=round(time.monotonic() - started, 3), summary=report.summary(),
                      results=[r.to_dict() for r in report.results], errors=report.error_lines,
                      log_tail=logs[-LOG_TAIL:])
        return result

    def drop_leftovers(self, active) -> list[str]:
        """Drop the copies (and data dirs) of this environment's test runs other than the
        ``active`` ones: a worker that died mid-run could not drop its own."""
        prefix = postgres.snapshot_name(self.env.database, "t")
        if not prefix.endswith("__st"):     # a name long enough to be hashed: none to find by prefix
            return []
        dropped = []
        for name in postgres.list_databases(self.plane.pg, prefix):
            number = name[len(prefix):]
            if number.isdigit() and int(number) not in active:
                self._drop_copy(name, filestore.path(self.plane.filestore_root, name))
                dropped.append(name)
        return dropped

    def _odoo_tests(self, run, copy, image, tree, data_dir, tags, timeout):
        pg = self.plane.pg
        target = odoo_commands.Target(copy, pg.host, pg.port, self.env.db_role, self.env.db_password)
        # Not this control plane's "owner": its reconciler would remove a container it does not know.
        owner = labels(environment=self.env.label, project=self.env.project, owner=f"{self.plane.owner}/tests")
        port = free_port()
        self.notes["tests"] = f"--test-tags={tags} (HTTP on 127.0.0.1:{port})"
        started = time.monotonic()
        code, logs = self.plane.docker.run_once(
            name=f"odooops-{self.plane.owner_tag}-{self.env.key}-tests{run}"[:128], image=image,
            command=odoo_commands.run_tests(target, tags, http_port=port), env=target.env(), labels=owner,
            timeout=int(timeout),
            volumes={str(tree): {"bind": odoo_commands.ODOO_MOUNT, "mode": "ro"},
                     str(data_dir): {"bind": odoo_commands.DATA_DIR, "mode": "rw"}})
        return code, logs, round(time.monotonic() - started, 3)
