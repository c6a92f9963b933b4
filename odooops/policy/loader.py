"""Parse policies.yaml safely into plain data plus where each piece sits in the file.

Hostile input must neither hang nor exhaust memory, so before anything is built:
the size is capped, anchors and aliases are refused (no billion laughs), nesting is
capped, and duplicate keys are errors (PyYAML would silently keep the last one).
Only the node tree is composed; values are built here from it, never by a YAML
constructor that could instantiate anything.
"""
from __future__ import annotations

import yaml

from .issues import Issue

MAX_BYTES = 1024 * 1024
MAX_DEPTH = 20
_NON_PRINTABLE = yaml.reader.Reader.NON_PRINTABLE
_SCALARS = {"tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool",
            "tag:yaml.org,2002:null"}


class LoadError(Exception):
    def __init__(self, message: str, line: int = 1, column: int = 1, suggestion: str = "", code: str = "YAML"):
        super().__init__(message)
        self.issue_args = dict(line=line, column=column, message=message, suggestion=suggestion, code=code)

    def issue(self, filename: str) -> Issue:
        return Issue(file=filename, **self.issue_args)


class Positions:
    """JSON path (a tuple) → (line, column), 1-based, of each value and each key."""

    def __init__(self):
        self.values: dict[tuple, tuple[int, int]] = {}
        self.keys: dict[tuple, tuple[int, int]] = {}
        self.quoted: set[tuple] = set()     # scalars written in quotes: content starts one column later
        self.problems: list[LoadError] = []  # found while building (duplicate keys): reported, not fatal

    def value(self, path) -> tuple[int, int]:
        path = tuple(path)
        while path not in self.values and path:
            path = path[:-1]
        return self.values.get(path, (1, 1))

    def key(self, path) -> tuple[int, int]:
        return self.keys.get(tuple(path)) or self.value(path)


# libyaml's event parser when PyYAML has it (ten times faster on a large hostile file),
# else PyYAML's own; either way only events are read and this module builds the values.
_EventParser = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_RESOLVER = yaml.resolver.Resolver()
_CONSTRUCTOR = yaml.constructor.SafeConstructor()


class _Frame:
    __slots__ = ("container", "path", "key", "key_mark", "keep")

    def __init__(self, container, path, keep):
        self.container, self.path, self.keep = container, path, keep
        self.key = self.key_mark = None


def _at(mark) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1) if mark else (1, 1)


def _refused(what, mark) -> LoadError:
    return LoadError(f"{what} is not allowed in a policy file", *_at(mark),
                     suggestion="write the value out in full; anchors and aliases are refused so a "
                                "small file cannot expand into a huge one", code="ALIAS")


def decode(content: str | bytes) -> str:
    """The file's text; LoadError when it is too large or not UTF-8."""
    raw = content.encode("utf-8", "surrogatepass") if isinstance(content, str) else bytes(content)
    if len(raw) > MAX_BYTES:
        raise LoadError(f"the file is {_size(len(raw))}; the limit is {_size(MAX_BYTES)}",
                        suggestion="a policy file is a few kilobytes; is this the right file?", code="TOO_LARGE")
    if isinstance(content, str):
        return content
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = raw[:exc.start]
        line = before.count(b"\n") + 1
        column = len(before) - (before.rfind(b"\n") + 1) + 1
        raise LoadError(f"the file is not UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})",
                        line, column, suggestion="save the file as UTF-8", code="ENCODING") from None


def _size(count: int) -> str:
    return f"{count / 2 ** 20:.1f} MiB" if count >= 2 ** 20 and count % 2 ** 20 else (
        f"{count // 2 ** 20} MiB" if count >= 2 ** 20 else f"{count} bytes")


def parse(text: str) -> tuple[object, Positions]:
    """(data, positions) of the YAML ``text``; None for an empty file.

    Raises LoadError when the text cannot be read at all; smaller problems (duplicate
    keys) are left in ``positions.problems``.
    """
    positions = Positions()
    bad = _NON_PRINTABLE.search(text)        # YAML's own rule, checked here so the error is the same everywhere
    if bad:
        before = text[:bad.start()]
        raise LoadError(f"invalid YAML: character U+{ord(bad.group()):04X} is not allowed",
                        before.count("\n") + 1, bad.start() - (before.rfind("\n") + 1) + 1,
                        suggestion="remove it; YAML text may not contain control characters", code="YAML")
    loader = None
    try:
        loader = _EventParser(text)        # its reader refuses control characters right away
        return _compose(loader, positions), positions
    except LoadError:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        if "nesting depth" in problem:                      # libyaml's own cap (1000), met while scanning ahead
            raise LoadError(f"nesting deeper than {MAX_DEPTH} levels", *_at(mark),
                            suggestion="a policy file is at most a few levels deep; flatten it",
                            code="TOO_DEEP") from None
        offending = text[mark.index:mark.index + 1] if mark is not None and mark.index is not None else ""
        raise LoadError(f"invalid YAML: {problem}", *_at(mark),
                        suggestion=_yaml_hint(problem, offending), code="YAML") from None
    except yaml.YAMLError as exc:
        raise LoadError(f"invalid YAML: {exc}", suggestion="check the file's syntax", code="YAML") from None
    finally:
        if loader is not None:
            loader.dispose()


def _compose(loader, positions: Positions):
    """Build the one document from the event stream, without recursion (depth is capped)."""
    loader.get_event()                                      # StreamStart
    if loader.check_event(yaml.StreamEndEvent):
        return None
    loader.get_event()                                      # DocumentStart
    root, stack = None, []
    while True:
        event = loader.get_event()
        if isinstance(event, yaml.AliasEvent):
            raise _refused(f"an alias (*{event.anchor})", event.start_mark)
        if getattr(event, "anchor", None):
            raise _refused(f"an anchor (&{event.anchor})", event.start_mark)
        if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            stack.pop()
            if not stack:
                break
            continue
        if isinstance(event, yaml.ScalarEvent):
            value, container = _scalar(event), False
        else:                                               # a mapping or a sequence starts
            if len(stack) >= MAX_DEPTH:
                raise LoadError(f"nesting deeper than {MAX_DEPTH} levels", *_at(event.start_mark),
                                suggestion="a policy file is at most a few levels deep; flatten it", code="TOO_DEEP")
            value, container = ({} if isinstance(event, yaml.MappingStartEvent) else []), True
        if not stack:
            root = value
            positions.values[()] = _at(event.start_mark)
            if not container:
                break
            stack.append(_Frame(value, (), True))
            continue
        frame = stack[-1]
        path, keep = _place(frame, event, value, container, positions)
        if container:
            stack.append(_Frame(value, path, keep))
    loader.get_event()                                      # DocumentEnd
    if not loader.check_event(yaml.StreamEndEvent):
        mark = loader.peek_event().start_mark
        raise LoadError("invalid YAML: but found another document", *_at(mark),
                        suggestion=_yaml_hint("but found another document"), code="YAML")
    return root


def _place(frame: _Frame, event, value, container: bool, positions: Positions):
    """Put ``value`` into its parent ``frame``: (its path, whether it is kept)."""
    at = _at(event.start_mark)
    if isinstance(frame.container, list):
        path = frame.path + (len(frame.container),)
        frame.container.append(value)
    elif frame.key is None:                                 # this is a key
        if container:
            raise LoadError("a key must be a plain word, not a list or a mapping", *at,
                            suggestion="write 'name: value'", code="YAML")
        frame.key, frame.key_mark = event.value, at
        return None, False
    else:                                                   # this is the value of frame.key
        key, frame.key = frame.key, None
        path = frame.path + (key,)
        if key in frame.container:
            first = positions.keys[path]
            if frame.keep:
                positions.problems.append(LoadError(
                    f"duplicate key {key!r} (first at line {first[0]})", *frame.key_mark,
                    suggestion="YAML would keep only the last one; merge them into one", code="DUPLICATE_KEY"))
            return path, False                              # built, then dropped
        frame.container[key] = value
        positions.keys[path] = frame.key_mark
    if frame.keep:
        positions.values[path] = at
        if not container and event.style in ("'", '"'):
            positions.quoted.add(path)
    return path, frame.keep


def _scalar(event):
    """The value of a scalar: YAML's int, float, bool and null; every other scalar is text."""
    tag = event.tag if event.tag and event.tag != "!" else _RESOLVER.resolve(yaml.ScalarNode, event.value,
                                                                            event.implicit)
    if tag in _SCALARS:
        return _CONSTRUCTOR.construct_object(yaml.ScalarNode(tag, event.value))
    return event.value


def _yaml_hint(problem: str, offending: str = "") -> str:
    if "expected a single document" in problem or "but found another document" in problem:
        return "a policy file holds one YAML document; remove the extra '---'"
    if offending == "\t" or "\\t" in problem:
        return "indent with spaces, not tabs"
    return "check the indentation and quoting near this position"
