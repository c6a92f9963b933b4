"""The HTTP API's plain-Python pieces: envelope, OpenAPI document, tokens, scopes,
rate-limit arithmetic, body validation and time filters (the addons serve them)."""
