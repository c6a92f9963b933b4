"""Drivers: the engine's only contact with the outside world (PostgreSQL, Docker,
nginx, the filesystem, git). Each is tested against the real thing."""
