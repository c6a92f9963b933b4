from pathlib import Path

from odoo import fields, models

from odooops import errors, policy, settings
from odooops.drivers import git

from .policy import POLICY_FILE

# Larger files are refused before they are read (the engine refuses hostile YAML again).
MAX_POLICY_BYTES = 1 << 20


class OdooopsProject(models.Model):
    _inherit = "odooops.project"

    policy_ids = fields.One2many("odooops.policy", "project_id", string="Policies")

    def _policy(self):
        """The policy in force: the active stored version, else the defaults."""
        self.ensure_one()
        active = self.env["odooops.policy"]._active_for(self)
        return active._policy() if active else policy.DEFAULT

    def _policy_file_at(self, ref=None):
        """(full SHA, the bytes of .odooops/policies.yaml there or None) at ``ref`` (a SHA or a
        branch; default: the project's default branch), from the project's git mirror."""
        self.ensure_one()
        project = self.sudo()
        try:
            repo = git.mirror(project.git_remote, Path(settings.current().state_dir) / "git")
        except errors.GitError as exc:
            # What creating the project says when git cannot reach it (the caller's to fix).
            raise errors.ValidationFailed(
                f"git cannot fetch {project.git_remote}: {exc.message}", code="GIT_REMOTE_UNREACHABLE",
                details={"git_remote": project.git_remote, "git": exc.message},
                remediation="Check the project's git remote and that this host may read it "
                            f"(odooops project get {project.slug}), then retry.") from None
        sha = git.resolve(repo, ref or project.default_branch)
        return sha, git.read_file(repo, sha, POLICY_FILE, max_bytes=MAX_POLICY_BYTES)

    def _apply_policy_from_git(self, sha=None):
        """Read .odooops/policies.yaml at ``sha`` (default: the default branch) and make it
        the policy in force. Invalid: a 422 with every error, and nothing changes. Returns
        (version, created): the same version when the file did not change, an empty one when
        the project never had a policy and the commit has none either (the defaults apply)."""
        self.ensure_one()
        full_sha, content = self._policy_file_at(sha)
        return self.env["odooops.policy"]._apply(self, content, full_sha)
