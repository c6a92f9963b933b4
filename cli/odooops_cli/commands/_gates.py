"""A deployment's health gates and manual approval, as `deployment get` and --wait show them."""
from rich.text import Text

from .. import exit_codes, output
from ..client import CliError

AWAITING = "awaiting_approval"
# status → (mark, style); a failed gate that only warns is shown as a warning, not as a failure.
MARKS = {"passed": ("✓", "green"), "approved": ("✓", "green"), "failed": ("✗", "red"), "rejected": ("✗", "red"),
         "warning": ("⚠", "yellow"), "waiting": ("⏳", "cyan"), "running": ("⏳", "cyan"), "pending": ("⏳", "cyan"),
         "skipped": ("-", "dim")}
FINAL = ("passed", "approved", "failed", "rejected", "warning", "skipped")


def _status(gate) -> str:
    status = gate.get("status") or "pending"
    return "warning" if status == "failed" and not gate.get("required", True) else status


def mark(gate) -> Text:
    symbol, style = MARKS.get(_status(gate), ("?", ""))
    return Text(f"{symbol} {_status(gate)}", style=style)


def _note(gate) -> str | None:
    """Why: the rejection reason, the approver's comment, or the first line of the gate's output."""
    if gate.get("reason"):
        return gate["reason"]
    if gate.get("comment"):
        return gate["comment"]
    lines = [line for line in str(gate.get("output") or "").splitlines() if line.strip()]
    return lines[-1] if lines else None


def show(dep) -> None:
    """The Gates section of `deployment get`."""
    gates = dep.get("gates") or []
    if not gates:
        return
    output.heading("gates")
    output.table(gates, [
        ("GATE", lambda g: g.get("type")), ("KIND", lambda g: "blocking" if g.get("required", True) else "warning"),
        ("STATUS", mark), ("TIME", lambda g: output.duration(g["seconds"]) if g.get("seconds") else None),
        ("BY", lambda g: g.get("by")), ("AT", lambda g: output.age(g.get("at"))), ("NOTE", _note),
    ])


def show_approval(dep) -> None:
    """Who approved or rejected it, or, while it waits, who may and how."""
    approval = dep.get("approval") or {}
    if dep.get("status") == AWAITING:
        output.heading("awaiting approval")
        who = ", ".join(approval.get("approvers") or []) or "an approver"
        author = "" if approval.get("allow_author") else f" (not {dep.get('requested_by')}, who requested it)" \
            if dep.get("requested_by") else ""
        output.plain(f"  it waits for {who}{author}; it does not go on by itself")
        output.plain(f"  approve: odooops deployment approve {dep['id']} [--comment TEXT]")
        output.plain(f"  reject:  odooops deployment reject {dep['id']} --reason TEXT")
        return
    decided = approval.get("status") in ("approved", "rejected")
    if decided:
        why = approval.get("comment") or approval.get("reason")
        output.heading("approval")
        output.plain(f"  {approval['status']} by {approval.get('by') or '-'} {output.when(approval.get('at')) or ''}"
                     + (f": {why}" if why else ""))


def awaiting(dep, summary) -> CliError:
    """What --wait says when a deployment stops at a manual approval: it will not go on by itself."""
    approval = dep.get("approval") or {}
    who = ", ".join(approval.get("approvers") or []) or "an approver"
    return CliError(f"{summary} is awaiting approval by {who}: it will not go on by itself",
                    code=exit_codes.AWAITING_APPROVAL, error="AWAITING_APPROVAL",
                    details={"deployment": dep["id"], "approval": approval},
                    remediation=f"An approver runs 'odooops deployment approve {dep['id']}' (or 'odooops deployment "
                                f"reject {dep['id']} --reason TEXT'); then follow it: "
                                f"odooops deployment get {dep['id']} --wait")


def progress_lines(dep, shown) -> list[Text]:
    """Lines for gates that ended since the last poll (--wait prints each once)."""
    lines = []
    for index, gate in enumerate(dep.get("gates") or []):
        key = (index, gate.get("type"))
        if key in shown or gate.get("status") not in FINAL:
            continue
        shown.add(key)
        symbol, style = MARKS.get(_status(gate), ("?", ""))
        took = f" in {output.duration(gate['seconds'])}" if gate.get("seconds") else ""
        by = f" by {gate['by']}" if gate.get("by") else ""
        lines.append(Text.assemble("  ", (symbol, style), f" gate {gate.get('type')}: {_status(gate)}{by}{took}"))
    return lines
