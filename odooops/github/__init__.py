"""GitHub integration, plain Python: webhook signatures, payloads, decisions and the REST client.

Nothing here imports Odoo; the odooops_git addon records and executes what these modules decide.
"""
from . import app_auth, client, decide, payloads, repository, signature
from .client import GitHubClient, GitHubError
from .decide import Decision, EnvSummary
from .payloads import Delete, Ping, PullRequest, Push, Unknown

__all__ = ["Decision", "Delete", "EnvSummary", "GitHubClient", "GitHubError", "Ping", "PullRequest", "Push",
           "Unknown", "app_auth", "client", "decide", "payloads", "repository", "signature"]
