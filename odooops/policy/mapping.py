"""Branch patterns and which mapping wins for a branch.

Precedence (docs/policies.md): an exact name beats any glob, a glob beats any regex;
among globs the one with more literal characters wins. Two matching mappings of equal
specificity are a tie: ``AmbiguousMapping`` at evaluation, and a validation error when
the validator finds a branch both match (``witnesses``).
"""
from __future__ import annotations

import functools
import itertools
import re
from dataclasses import dataclass

GLOB_CHARS = frozenset("*?[")
KIND_RANK = {"exact": 0, "glob": 1, "regex": 2}


class AmbiguousMapping(Exception):
    """More than one mapping of the same specificity matches a branch."""

    def __init__(self, message: str, candidates=()):
        super().__init__(message)
        self.message = message
        self.candidates = tuple(candidates)


class GlobError(ValueError):
    def __init__(self, message: str, position: int):
        super().__init__(message)
        self.position = position        # 0-based index into the pattern


@dataclass(frozen=True)
class Glob:
    regex: re.Pattern
    literals: int                       # literal characters: the glob's specificity
    chunks: tuple                       # literal runs, to build witness branches
    wildcards: int


def kind_of(pattern: str) -> str:
    return "glob" if GLOB_CHARS & set(pattern) else "exact"


@functools.lru_cache(maxsize=512)
def compile_glob(pattern: str) -> Glob:
    """``*`` within a path segment, ``**`` across ``/``, ``?`` one character, ``[a-z]``/``[!a-z]`` a class."""
    out, chunks, literal, literals, wildcards, i = [], [], "", 0, 0, 0
    while i < len(pattern):
        char = pattern[i]
        if char in "*?[":
            chunks.append(literal)
            literal = ""
            wildcards += 1
        if char == "*":
            run = len(pattern) - i - len(pattern[i:].lstrip("*"))
            if run > 2:
                raise GlobError("'***' means nothing: use * within a segment or ** across '/'", i)
            if run == 2:
                follows_slash = pattern[i + 2:i + 3] == "/" and (i == 0 or pattern[i - 1] == "/")
                out.append("(?:.*/)?" if follows_slash else ".*")
                i += 3 if follows_slash else 2
            else:
                out.append("[^/]*")
                i += 1
        elif char == "?":
            out.append("[^/]")
            i += 1
        elif char == "[":
            end = _class_end(pattern, i)
            body = pattern[i + 1:end]
            negate = body[:1] in ("!", "^")
            body = body[1:] if negate else body
            if not body:
                raise GlobError("empty character class '[]'", i)
            try:
                re.compile(f"[{body}]")
            except re.error as exc:
                raise GlobError(f"bad character class: {exc.msg}", i) from None
            out.append(f"[{'^/' if negate else ''}{_escape_class(body)}]")
            i = end + 1
        else:
            out.append(re.escape(char))
            literal += char
            literals += 1
            i += 1
    chunks.append(literal)
    return Glob(re.compile("".join(out), re.DOTALL), literals, tuple(chunks), wildcards)


def _class_end(pattern: str, start: int) -> int:
    end = pattern.find("]", start + 2 if pattern[start + 1:start + 2] in ("!", "^", "]") else start + 1)
    if end < 0:
        raise GlobError("unclosed character class '['", start)
    return end


def _escape_class(body: str) -> str:
    return body.replace("\\", "\\\\").replace("[", "\\[")


def specificity(kind: str, pattern: str, glob: Glob | None) -> tuple:
    """Sort key: smaller is more specific. Equal keys on a matching branch are a tie."""
    if kind == "glob":
        return (KIND_RANK["glob"], -glob.literals)
    if kind == "exact":
        return (KIND_RANK["exact"], 0)
    return (KIND_RANK["regex"], 0)


def select(mappings, branch: str):
    """The mapping for ``branch`` (None when no mapping matches); AmbiguousMapping on a tie."""
    matching = [m for m in mappings if m.matches(branch)]
    if not matching:
        return None
    best = min(m.specificity for m in matching)
    winners = [m for m in matching if m.specificity == best]
    if len(winners) > 1:
        shown = ", ".join(f"{m.kind} {m.pattern!r} ({m.tier})" for m in winners)
        raise AmbiguousMapping(f"branch {branch!r} matches {len(winners)} mappings of equal specificity: {shown}",
                               winners)
    return winners[0]


def witnesses(pattern: str, kind: str, fillers=("", "x")) -> list[str]:
    """Branch names ``pattern`` matches, built by filling its wildcards with ``fillers``.

    The fillers come from the other patterns of the file, so two overlapping globs share a
    witness (``feat*`` and ``*ture`` both match ``featture``). Capped to stay cheap.
    """
    if kind == "exact":
        return [pattern]
    if kind == "regex":
        return regex_examples(pattern, fillers)
    glob = compile_glob(pattern)
    found = []
    choices = list(dict.fromkeys(list(fillers) + ["x/x"]))
    for combo in itertools.islice(itertools.product(choices, repeat=glob.wildcards), 200):
        text = "".join(chunk + fill for chunk, fill in zip(glob.chunks, combo + ("",), strict=True))
        if glob.regex.fullmatch(text):
            found.append(text)
    return found


def _sre():
    try:
        from re import _parser as sre_parse  # noqa: PLC0415 — Python 3.11+
    except ImportError:  # pragma: no cover — Python 3.10
        import sre_parse  # noqa: PLC0415
    return sre_parse


def backtracking_risk(pattern: str) -> bool:
    """Does the (compilable) regex repeat something that itself repeats or alternates, like
    ``(a+)+`` or ``(a|ab)*``? Such a regex can take exponential time on a crafted branch name,
    and a policy is evaluated on every push."""
    sre = _sre()

    def walk(items, inside_repeat: bool) -> bool:
        for op, arg in items:
            if op in (sre.MAX_REPEAT, sre.MIN_REPEAT):
                if inside_repeat or (arg[1] > 1 and walk(arg[2], True)):
                    return True
            elif op == sre.BRANCH:
                if inside_repeat or any(walk(alt, inside_repeat) for alt in arg[1]):
                    return True
            elif op == sre.SUBPATTERN and walk(arg[-1], inside_repeat):
                return True
        return False

    try:
        return walk(sre.parse(pattern), False)
    except Exception:  # noqa: BLE001 — the compile check reports a pattern that does not parse
        return False


def regex_examples(pattern: str, fillers=(), limit: int = 24) -> list[str]:
    """A few strings the regex fully matches, from its parse tree (best effort, never raises).

    A repeated wildcard (``.+``, ``[^/]*``) is also tried with each of ``fillers``, so the
    examples of ``release/.+`` include ``release/v0`` when another pattern suggests ``v0``.
    """
    sre_parse = _sre()
    try:
        tree = sre_parse.parse(pattern)
        texts = _examples(tree, sre_parse, limit, tuple(f for f in fillers if f))
    except Exception:  # noqa: BLE001 — an unusual construct only means fewer witnesses
        return []
    compiled = re.compile(pattern)
    return [t for t in dict.fromkeys(texts) if compiled.fullmatch(t)][:limit]


def _examples(items, sre, limit, fillers=()) -> list[str]:
    results = [""]
    for op, arg in items:
        options = _item_examples(op, arg, sre, limit, fillers)
        if options is None:
            continue
        results = [a + b for a, b in itertools.islice(itertools.product(results, options), limit)]
    return results


def _item_examples(op, arg, sre, limit, fillers):
    c = sre  # constants live on the parser module in 3.11+ (via re._constants)
    if op == c.LITERAL:
        return [chr(arg)]
    if op == c.ANY:
        return ["x"]
    if op == c.IN:
        for kind, value in arg:
            if kind == c.LITERAL:
                return [chr(value)]
            if kind == c.RANGE:
                return [chr(value[0])]
            if kind == c.CATEGORY:
                return ["0" if "DIGIT" in str(value) else "x"]
        return ["x"]
    if op in (c.MAX_REPEAT, c.MIN_REPEAT):
        low, _high, sub = arg
        once = _examples(sub, sre, limit, fillers)
        reps = [low, max(low, 1)]
        found = ["".join(p) for n in reps for p in itertools.islice(itertools.product(once, repeat=n), limit)]
        return list(dict.fromkeys(found + list(fillers[:limit])))
    if op == c.SUBPATTERN:
        return _examples(arg[-1], sre, limit, fillers)
    if op == c.BRANCH:
        return [text for alt in arg[1] for text in _examples(alt, sre, limit, fillers)][:limit]
    if op == c.AT:
        return None
    raise ValueError(f"no examples for {op}")
