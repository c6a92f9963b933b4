from odoo import SUPERUSER_ID, http
from odoo.exceptions import AccessDenied
from odoo.http import request

from odooops import errors, settings
from odooops.api import scopes, tokens

from .authentication import authenticate, jwt_secret, roles_of
from .routing import api_route
from .spec import AUTHENTICATED, Principal, Result

TOKEN_BODY = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "login": {"type": "string", "minLength": 1, "maxLength": 256},
        "password": {"type": "string", "minLength": 1, "maxLength": 1024},
        "scopes": {"type": "array", "items": {"enum": sorted(scopes.ALL_SCOPES)}, "uniqueItems": True},
    },
    "dependentRequired": {"login": ["password"], "password": ["login"]},
}


def _password_principal(login, password):
    env = request.env(user=SUPERUSER_ID)
    try:
        auth_info = env["res.users"].authenticate(
            {"type": "password", "login": login, "password": password}, {"interactive": False})
    except AccessDenied:
        raise errors.Unauthenticated("wrong login or password") from None
    user = env["res.users"].browse(auth_info["uid"])
    return Principal(user.id, user.login, "password", scopes.scopes_for_roles(roles_of(user)), "", None)


class AuthController(http.Controller):

    @api_route("/auth/token", "POST", summary="Exchange an API key (bearer) or login+password for a 12 h JWT",
               scope=None, body=TOKEN_BODY, action="auth.token", tag="auth",
               responses={"201": "A JWT", "401": "Bad credentials",
                          "403": "A scope asked for is beyond what the user's roles grant"})
    def token(self, call):
        if call.body.get("login"):
            principal = _password_principal(call.body["login"], call.body["password"])
        elif request.httprequest.headers.get("Authorization"):
            principal = authenticate()
        else:
            raise errors.Unauthenticated("send an API key as 'Authorization: Bearer <key>' or a JSON body with login and password")
        call.principal = principal
        granted = scopes.narrow(call.body.get("scopes"), principal.scopes)
        issued = tokens.issue(jwt_secret(request.env(user=SUPERUSER_ID)), uid=principal.uid,
                              login=principal.login, scopes=granted, ttl=settings.current().jwt_ttl)
        call.audit_target = f"user:{principal.login}"
        call.audit_details = {"via": principal.kind, "scopes": sorted(granted), "jti": issued["claims"]["jti"]}
        return Result({"token": issued["token"], "token_type": "Bearer",
                       "expires_at": issued["claims"]["exp"], "expires_in": settings.current().jwt_ttl,
                       "scopes": sorted(granted)}, status=201)

    @api_route("/me", "GET", summary="Who the token belongs to, its roles and scopes",
               scope=AUTHENTICATED, tag="auth")
    def me(self, call):
        user = request.env.user
        return Result({"id": user.id, "login": user.login, "name": user.name, "auth": call.principal.kind,
                       "roles": roles_of(user), "scopes": sorted(call.principal.scopes)})
