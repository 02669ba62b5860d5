"""Property steps: hypothesis-generated operation sequences, judged by an executable model.

How one property step runs (all inside the case's box, against one actor)::

    hypothesis (seeded, fixed example count, no database)
      └─ for each generated sequence: model.setup → model.apply(op) for each op → teardown
           each model call → the step's binding → a protocol call to the actor → reply
      on a divergence: hypothesis shrinks the sequence and re-runs it, smaller and smaller
    ─► StepFailed with the smallest failing sequence, the expected and the observed outcome

Grading stays reproducible: the seed and the example count come from the spec and are
written into the result. Anything that makes further examples meaningless (the actor died,
an operation did not return) stops the search at once rather than being "shrunk".
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis.errors import HypothesisException

from conformance.models import MODELS, Divergence, Op
from conformance.models.base import Call, Raised
from conformance.runner import values
from conformance.runner.session import CaseTimeout, StepFailed
from conformance.spec.model import PropertyStep

if TYPE_CHECKING:
    from conformance.runner.session import ActorState
    from conformance.runner.steps import CaseExecution

#: Seconds one generated operation may take before the search stops (none should block).
OPERATION_TIMEOUT = 3.0


class _Stop(BaseException):
    """Ends the search at once (hypothesis lets BaseException through unshrunk)."""

    def __init__(self, failure: StepFailed | CaseTimeout) -> None:
        super().__init__(str(failure))
        self.failure = failure


class _Sequence(Divergence):
    """A divergence together with the operations that led to it."""

    def __init__(self, divergence: Divergence, ran: list[str]) -> None:
        super().__init__(divergence.op, divergence.expected, divergence.observed)
        self.ran = ran


def run_property(execution: CaseExecution, step: PropertyStep) -> None:
    """Run a property step; raises ``StepFailed`` with the smallest failing sequence."""
    model_class = MODELS[step.model]
    actor = execution.live_actor(step.actor)
    base_key = int(execution.variables["box"]["key"])
    counter = iter(range(1, 1_000_000))

    def call(binding: str, names: dict[str, Any]) -> Any:
        return _call_binding(execution, actor, step, binding, names)

    call_binding: Call = call

    def one_sequence(ops: list[Op]) -> None:
        model = model_class(base_key)  # type: ignore[call-arg]
        try:
            model.setup(call_binding, next(counter))
        except Raised as raised:  # nothing to shrink: the state every sequence needs cannot be made
            words = execution.error_sentence(actor, "the 'open' binding", raised.error)
            raise _Stop(StepFailed(words, observed=raised.words)) from None
        ran: list[str] = []
        try:
            for op in ops:
                ran.append(op.text)
                try:
                    model.apply(call_binding, op)
                except Raised as raised:  # an error the rules do not allow for this operation
                    raise Divergence(op, "no error", raised.words) from None
        except Divergence as divergence:
            _teardown(model, call_binding)
            raise _Sequence(divergence, ran) from None
        except _Stop as stop:  # the actor is stuck or gone: no cleanup, no shrinking
            if isinstance(stop.failure, StepFailed) and ran:
                stop.failure.message += f" (after: {'; '.join(ran)})"
            raise
        _teardown(model, call_binding)

    search = settings(max_examples=step.examples, database=None, deadline=None, derandomize=False,
                      phases=(Phase.generate, Phase.shrink), suppress_health_check=list(HealthCheck),
                      verbosity=Verbosity.quiet, report_multiple_bugs=False, print_blob=False)
    seed = step.seed if execution.seed is None else execution.seed
    check = search(hypothesis_seed(seed)(given(model_class.operations(step.max_ops))(one_sequence)))
    where = f"seed {seed}, {step.examples} examples of up to {step.max_ops} operations"
    try:
        check()
    except _Stop as stop:
        if isinstance(stop.failure, StepFailed):
            stop.failure.args = (stop.failure.message,)
        raise stop.failure from None
    except _Sequence as found:
        sequence = "; ".join(found.ran)
        raise StepFailed(
            f"{actor.name}: the implementation breaks {model_class.TITLE} ({where}). Smallest failing sequence: "
            f"{sequence} → expected {found.expected}, got {found.observed}",
            expected=found.expected, observed=found.observed) from None
    except HypothesisException as exc:
        raise StepFailed(f"{actor.name}: the implementation answered the same sequence differently when it was "
                         f"repeated ({where}): {type(exc).__name__}") from None
    execution.log(f"{actor.name}: {model_class.TITLE} held for {step.examples} generated sequences ({where})")


def _teardown(model: Any, call: Any) -> None:
    try:
        model.teardown(call)
    except Raised:
        pass  # a failing cleanup is judged by the cases that check cleanup


def _call_binding(execution: CaseExecution, actor: ActorState, step: PropertyStep, binding: str,
                  names: dict[str, Any]) -> Any:
    """Run one binding in the actor with the model's values for its ``$names``."""
    template = dict(step.bindings)[binding]
    saved = execution.variables
    execution.variables = {**saved, **names}
    try:
        message = {"op": "call", **execution.call_target(template["call"])}
        message["args"] = values.to_wire([execution.value(a) for a in template.get("args", [])])
        message["kwargs"] = values.to_wire({k: execution.value(v) for k, v in template.get("kwargs", {}).items()})
    finally:
        execution.variables = saved
    ident = execution.session.request(actor, message)
    _wait_reply(execution, actor, ident, f"{binding} ({template['call']})")
    reply = actor.replies.pop(ident)
    if reply["status"] == "raised":
        raise Raised(reply["error"])
    return values.from_wire(reply.get("value"))


def _wait_reply(execution: CaseExecution, actor: ActorState, ident: int, what: str) -> None:
    session = execution.session
    case_deadline = session.deadline
    session.deadline = min(case_deadline, time.monotonic() + OPERATION_TIMEOUT)
    try:
        session.wait_until(lambda: ident in actor.replies or actor.exited or actor.closed, f"{actor.name}: {what}")
    except CaseTimeout as timeout:
        if session.deadline >= case_deadline:
            raise _Stop(timeout) from None
        raise _Stop(StepFailed(f"{actor.name}: {what} did not return within {OPERATION_TIMEOUT:g}s, although by "
                               "the rules it had an answer at once (nothing should make it wait)")) from None
    finally:
        session.deadline = case_deadline
    if ident not in actor.replies:
        raise _Stop(StepFailed(f"{actor.name} {execution.exit_words(actor)} during {what}"))
