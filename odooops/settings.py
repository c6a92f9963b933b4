"""Engine settings, read from ODOOOPS_* environment variables."""
from __future__ import annotations

import os
from dataclasses import dataclass, fields

from .errors import ValidationFailed
from .naming import validate_domain


@dataclass(frozen=True)
class Settings:
    domain: str = "localhost"                # environments answer at <slug>.<domain>
    public_url: str = "http://127.0.0.1:8069"  # where the control plane's API is reached
    jwt_ttl: int = 12 * 3600
    rate_limit_user: int = 100              # requests per minute per user (JWT)
    rate_limit_key: int = 1000              # requests per minute per API key
    docs_url: str = "https://docs.odooops.io"

    @classmethod
    def from_env(cls, environ=None) -> "Settings":
        environ = os.environ if environ is None else environ
        values = {}
        for f in fields(cls):
            raw = environ.get(f"ODOOOPS_{f.name.upper()}")
            if raw is None:
                continue
            if f.type == "int":
                try:
                    values[f.name] = int(raw)
                except ValueError:
                    raise ValidationFailed(f"ODOOOPS_{f.name.upper()} must be a whole number, got {raw!r}") from None
                if values[f.name] <= 0:
                    raise ValidationFailed(f"ODOOOPS_{f.name.upper()} must be positive, got {raw!r}")
            else:
                values[f.name] = raw
        settings = cls(**values)
        validate_domain(settings.domain)
        return settings
