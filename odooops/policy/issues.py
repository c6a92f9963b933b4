"""What validation reports: one Issue per problem, each at a file:line:column with a hint."""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Issue:
    file: str
    line: int                           # 1-based
    column: int                         # 1-based
    message: str
    suggestion: str = ""
    path: tuple = ()                    # where in the document, e.g. ("branch_mappings", 0, "tier")
    code: str = "INVALID"
    severity: str = "error"             # "error" | "warning"

    def __str__(self) -> str:
        hint = f" ({self.suggestion})" if self.suggestion else ""
        return f"{self.file}:{self.line}:{self.column}: {self.message}{hint}"

    def to_dict(self) -> dict:
        return {"file": self.file, "line": self.line, "column": self.column, "message": self.message,
                "suggestion": self.suggestion, "path": format_path(self.path), "code": self.code,
                "severity": self.severity, "text": str(self)}


@dataclass
class LoadResult:
    policy: object = None               # Policy, or None when there are errors
    errors: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    data: object = None                 # the file as parsed (before defaults)

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict:
        return {"valid": self.ok, "errors": [e.to_dict() for e in self.errors],
                "warnings": [w.to_dict() for w in self.warnings]}


def format_path(path) -> str:
    """("branch_mappings", 0, "tier") → "branch_mappings[0].tier"."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def did_you_mean(word, choices) -> str:
    """'did you mean …?' for a typo or an abbreviation ('prod' → 'production'), else ""."""
    word, choices = str(word), [str(c) for c in choices]
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if not close and len(word) >= 2:
        close = [c for c in choices if c.lower().startswith(word.lower())][:1] or difflib.get_close_matches(
            word.lower(), [c.lower() for c in choices], n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else ""


def one_of(choices) -> str:
    return ", ".join(str(c) for c in choices)
