"""Health gates: what a deployment must pass before it takes the traffic.

The project's policy lists them per tier (``health_gates``); the pipeline runs three:

- ``tests``: a command in the new image, before anything changes (the project's own
  ``test_command`` is one more, blocking, so that it keeps its old meaning);
- ``migrations``: when the deploy migrates something, the same update first runs on a
  throwaway copy of the database (the engine of ``POST /migrations``: migrate_check.py),
  before the environment stops serving;
- ``smoke_tests``: a command run once the new release has passed its health gate, before
  the switch, with ``ODOOOPS_URL`` pointing at that release (host network: 127.0.0.1).

``manual_approval`` is the control plane's (odooops_policy): the deployment waits before its
job starts. A blocking (``required``) gate that fails fails the deployment at step
``gate:<type>`` and the previous release keeps serving; a warning gate is recorded and the
deploy goes on. Every outcome is a result dict stored on the deployment.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timezone

from .errors import DeploymentFailed

GATED_KINDS = ("deploy", "redeploy", "promote", "migrate")     # not rollback, destroy, restore, clone
PIPELINE_TYPES = ("tests", "migrations", "smoke_tests")
APPROVAL = "manual_approval"
STATUSES = ("passed", "failed", "warning", "waiting", "approved", "rejected", "skipped")
DEFAULT_TIMEOUT = 1800
OUTPUT_TAIL = 4000          # characters of a command's output kept in its result
ERROR_LINES = 15            # last lines of a failed command shown as the deployment's error lines
REDACTED = "********"


@dataclass(frozen=True)
class Gate:
    """One gate as the pipeline runs it (from a policy.Gate, or the project's test_command)."""
    type: str
    required: bool = True
    command: str | None = None
    timeout: int = DEFAULT_TIMEOUT
    origin: str = "policy"      # "policy" or "project" (its test_command)

    @classmethod
    def of(cls, gate) -> Gate:
        """From a policy.Gate (or anything with its attributes)."""
        return cls(type=gate.type, required=bool(gate.required), command=getattr(gate, "command", None) or None,
                   timeout=int(getattr(gate, "timeout", None) or DEFAULT_TIMEOUT))


def plan(policy_gates, kind: str) -> list[Gate]:
    """The policy's gates that the pipeline runs for a deployment of ``kind``."""
    if kind not in GATED_KINDS:
        return []
    return [Gate.of(gate) for gate in policy_gates or () if gate.type in PIPELINE_TYPES]


def for_run(gates, test_command: str | None = None) -> tuple[Gate, ...]:
    """What one deploy runs: the project's test command (a blocking tests gate, as it always
    blocked), then ``gates`` (Gate or policy.Gate objects; manual_approval is not the pipeline's)."""
    found = [Gate("tests", True, test_command, origin="project")] if test_command else []
    return tuple(found + [gate if isinstance(gate, Gate) else Gate.of(gate)
                          for gate in gates or () if gate.type in PIPELINE_TYPES])


def approval_gate(policy_gates, kind: str):
    """The policy's manual_approval gate that holds a deployment of ``kind``, or None."""
    if kind not in GATED_KINDS:
        return None
    return next((gate for gate in policy_gates or () if gate.type == APPROVAL), None)


def now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def result(gate, status: str, *, seconds: float = 0.0, output: str = "", reason: str | None = None,
           by: str | None = None, at: str | None = None, **extra) -> dict:
    """A gate's outcome as stored on the deployment and shown by the API."""
    assert status in STATUSES, status
    return {"type": gate.type, "required": bool(gate.required), "status": status, "seconds": round(seconds, 3),
            "output": output or "", "by": by, "at": at or now_iso(), "reason": reason, **extra}


def merge(recorded, produced) -> list[dict]:
    """The control plane's results (a manual approval) followed by the pipeline's."""
    return [r for r in recorded or () if r.get("type") not in PIPELINE_TYPES] + list(produced or ())


def redact(text: str, secrets) -> str:
    """``text`` with every secret replaced (a command may print its environment)."""
    for secret in sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


def last_lines(text: str, count: int = ERROR_LINES) -> list[str]:
    return [line.rstrip() for line in text.splitlines() if line.strip()][-count:]


class GateChecks:
    """The gate half of ``pipeline.Pipeline`` (same helpers and state: ``self.gates`` is set
    by ``deploy`` for its run only, so a rollback or a clone never runs one)."""

    gates: tuple = ()

    def _secrets(self):
        env = self.env
        return (env.db_password, env.admin_password, env.master_password, env.login_secret, self.plane.pg.password)

    def _gates_of(self, kind: str) -> list[Gate]:
        return [gate for gate in self.gates if gate.type == kind]

    def _gate_step(self, gate: Gate) -> str:
        """'gate:tests'; a second gate of a type is 'gate:tests-2' (timings are per step)."""
        done = [r for r in self.facts.get("gate_results", ()) if r["type"] == gate.type]
        return f"gate:{gate.type}" + (f"-{len(done) + 1}" if done else "")

    def _record_gate(self, entry: dict):
        self.facts["gate_results"] = [*self.facts.get("gate_results", ()), entry]

    def _skip_gates(self, kind: str, reason: str):
        for gate in self._gates_of(kind):
            self._record_gate(result(gate, "skipped", reason=reason))

    def _pass_gate(self, gate: Gate, check, *args):
        """Run ``check(gate, *args) -> (ok, output, reason)`` as the step ``gate:<type>``;
        record the outcome; a blocking gate that fails raises DeploymentFailed."""
        step = self._gate_step(gate)

        def run():
            started = time.monotonic()
            ok, output, reason = check(gate, *args)
            output = redact(output or "", self._secrets())
            status = "passed" if ok else ("failed" if gate.required else "warning")
            self._record_gate(result(gate, status, seconds=time.monotonic() - started,
                                     output=output[-OUTPUT_TAIL:], reason=None if ok else reason))
            if status == "failed":
                failure = DeploymentFailed(step, reason, output,
                                           remediation="The gate is blocking (required: true in "
                                                       ".odooops/policies.yaml). See the error lines, fix the "
                                                       "commit and deploy again.")
                failure.details["error_lines"] = [f"{step}: {reason}", *last_lines(output)]
                raise failure
            if status == "warning":
                self.notes[step] = f"warning (not blocking): {reason}"
        self._step(step, run)

    # -- the three checks ------------------------------------------------------------------

    def _command_check(self, gate: Gate, deployment, release, env: dict, volumes=None):
        if not gate.command:
            return True, "", None
        code, logs = self.plane.docker.run_once(
            name=f"{self.container_name(deployment)}-{gate.type}"[:128], image=release.image,
            command=["sh", "-c", gate.command], env=env, labels=self._labels(deployment), volumes=volumes,
            timeout=gate.timeout)
        what = "the test command" if gate.origin == "project" else f"the {gate.type} command"
        reason = (f"{what} timed out after {gate.timeout}s" if code == 124 else f"{what} exited with {code}")
        return code == 0, logs, reason

    def _run_test_gates(self, deployment, release, tree):
        """``tests``: a command in the new image, with the environment's database settings
        (PG* variables), as the project's test command always ran."""
        for gate in self._gates_of("tests"):
            if not gate.command:
                self._record_gate(result(gate, "skipped", reason="no command: set one in the gate "
                                                                  "or the project's test_command"))
                continue
            self._pass_gate(gate, self._command_check, deployment, release, self._target().env(),
                            self._volumes(tree))

    def _run_migration_gates(self, deployment, current, release, tree, todo):
        """``migrations``: the update of this deploy, first on a copy of the database (the
        environment lock is already held by the deploy)."""
        for gate in self._gates_of("migrations"):
            self._pass_gate(gate, self._migration_check, deployment, current, release, tree, todo)

    def _migration_check(self, gate: Gate, deployment, current, release, tree, todo):
        found = self._update_on_copy(f"g{deployment}", current, release.image, tree, todo, gate.timeout, locked=True)
        what = "; ".join(f"{verb} {', '.join(mods)}" for verb, mods in todo.items() if mods)
        if found["ok"]:
            return True, f"{what}: succeeded on a copy ({found['copy'].get('strategy')}) in " \
                         f"{found['update_seconds']:.1f}s", None
        output = "\n".join([*found["errors"], "", found["log_tail"][-OUTPUT_TAIL:]])
        return False, output, f"the update ({what}) failed on a copy of the database: " + \
            (found["errors"][0] if found["errors"] else f"exit code {found['exit_code']}")

    def _run_smoke_gates(self, deployment, release):
        """``smoke_tests``: a command against the new release, healthy, not yet routed to."""
        env = {"ODOOOPS_URL": f"http://127.0.0.1:{release.http_port}", "ODOOOPS_DATABASE": self.env.database,
               "ODOOOPS_ENVIRONMENT": self.env.label, "ODOOOPS_SHA": release.sha or ""}
        for gate in self._gates_of("smoke_tests"):
            if not gate.command:
                self._record_gate(result(gate, "skipped", reason="no command"))
                continue
            self._pass_gate(gate, self._command_check, deployment, release, env)
