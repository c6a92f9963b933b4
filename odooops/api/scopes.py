"""RBAC: the API's scopes and the roles (Odoo groups) that grant them."""
from __future__ import annotations

from ..errors import Forbidden, ValidationFailed

READ_SCOPES = frozenset({
    "projects:read", "environments:read", "deployments:read", "backups:read", "hosts:read",
})
WRITE_SCOPES = frozenset({
    "environments:write", "deployments:write", "backups:write",
})
ADMIN_SCOPES = frozenset({
    "projects:write", "hosts:write", "policies:write", "audit:read", "secrets:read",
})
ALL_SCOPES = READ_SCOPES | WRITE_SCOPES | ADMIN_SCOPES

# Roles are cumulative: a developer can do what a viewer can, an admin all.
ROLE_SCOPES = {
    "viewer": READ_SCOPES,
    "developer": READ_SCOPES | WRITE_SCOPES,
    "admin": ALL_SCOPES,
}


def scopes_for_roles(roles) -> frozenset:
    granted = frozenset()
    for role in roles:
        granted |= ROLE_SCOPES[role]
    return granted


def narrow(requested, granted: frozenset) -> frozenset:
    """Scopes for a token that asks for ``requested`` out of what ``granted`` allows."""
    if requested is None:
        return granted
    requested = frozenset(requested)
    unknown = requested - ALL_SCOPES
    if unknown:
        raise ValidationFailed(f"unknown scope(s): {', '.join(sorted(unknown))}",
                               details={"unknown": sorted(unknown), "known": sorted(ALL_SCOPES)})
    beyond = requested - granted
    if beyond:
        raise Forbidden(f"your role does not grant: {', '.join(sorted(beyond))}",
                        details={"not_granted": sorted(beyond), "granted": sorted(granted)})
    return requested


def require(scope: str, granted: frozenset) -> None:
    if scope not in granted:
        raise Forbidden(f"this call needs the '{scope}' scope",
                        details={"required_scope": scope, "granted_scopes": sorted(granted)})
