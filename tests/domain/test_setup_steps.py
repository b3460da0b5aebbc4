from domain.canonical import Domain
from domain.setup_steps import SetupFacts, StepStatus, next_step, progress


def _statuses(facts):
    return [s.status for s in progress(facts)]


def test_fresh_workspace_starts_at_connect_with_everything_else_blocked():
    states = progress(SetupFacts())
    assert [s.status for s in states] == [StepStatus.CURRENT] + [StepStatus.BLOCKED] * 4
    assert states[1].blocked_by.key == "connect"
    assert next_step(states).step.key == "connect"


def test_untested_connection_does_not_count():
    states = progress(SetupFacts(connections=2, connections_ok=0))
    assert states[0].status == StepStatus.CURRENT
    assert "Test a connection" in states[0].todo_note


def test_routing_one_domain_is_enough_and_the_other_is_flagged_optional():
    states = progress(SetupFacts(connections=1, connections_ok=1, routed_domains=frozenset({Domain.PIPELINE})))
    assert states[1].status == StepStatus.DONE
    assert "ARR actuals not routed" in states[1].todo_note
    assert next_step(states).step.key == "mapping"


def test_mapping_needs_every_required_field_and_reviewed_stages():
    base = {"connections": 1, "connections_ok": 1, "routed_domains": frozenset({Domain.PIPELINE})}
    partial = SetupFacts(**base, mapped_fields={Domain.PIPELINE: frozenset({"account", "stage"})}, stages_approved=3)
    state = progress(partial)[2]
    assert state.status == StepStatus.CURRENT and "Amount, Expected close" in state.todo_note
    full = SetupFacts(
        **base,
        mapped_fields={Domain.PIPELINE: frozenset({"account", "stage", "amount", "expected_close"})},
        stages_approved=3,
        stages_pending=1,
    )
    assert "1 stage(s) to review" in progress(full)[2].todo_note
    done = SetupFacts(**base, mapped_fields=full.mapped_fields, stages_approved=4)
    assert progress(done)[2].status == StepStatus.DONE


def test_later_data_does_not_unlock_steps_after_an_undone_one():
    # A sync ran once, then the connection was removed: steps 2-5 are blocked again.
    facts = SetupFacts(connections=0, routed_domains=frozenset({Domain.PIPELINE}), successful_syncs=3)
    assert _statuses(facts) == [StepStatus.CURRENT] + [StepStatus.BLOCKED] * 4


def test_complete_setup_has_no_next_step():
    facts = SetupFacts(
        connections=1,
        connections_ok=1,
        routed_domains=frozenset({Domain.ARR_ACTUALS}),
        mapped_fields={Domain.ARR_ACTUALS: frozenset({"account", "effective_date", "arr_delta", "movement_component"})},
        accounts_approved=10,
        successful_syncs=1,
    )
    states = progress(facts)
    assert all(s.status == StepStatus.DONE for s in states)
    assert next_step(states) is None


def test_fx_rates_a_sync_would_miss_keep_step_3_from_done_without_blocking_later_steps():
    from datetime import date

    from domain.fx_rates import MissingRate

    facts = SetupFacts(
        connections=1,
        connections_ok=1,
        routed_domains=frozenset({Domain.PIPELINE}),
        mapped_fields={Domain.PIPELINE: frozenset({"account", "stage", "amount", "expected_close"})},
        stages_approved=4,
        accounts_approved=10,
        reporting_currency="USD",
        missing_rates=(
            MissingRate(Domain.PIPELINE, "EUR", 1158, None),
            MissingRate(Domain.PIPELINE, "GBP", 12, date(2024, 3, 1)),
            MissingRate(Domain.ARR_ACTUALS, "EUR", 1, None),
        ),
    )
    states = progress(facts)
    assert _statuses(facts) == [
        StepStatus.DONE,
        StepStatus.DONE,
        StepStatus.ATTENTION,
        StepStatus.DONE,
        StepStatus.CURRENT,
    ]
    assert states[2].todo_note.startswith(
        "1,171 row(s) are held back for want of an FX rate into USD: EUR (1,158 deals, 1 ARR movement), "
        "GBP (12 deals dated from 2024-03-01)."
    )
    assert next_step(states).step.key == "sync"
    synced = SetupFacts(**{**facts.__dict__, "successful_syncs": 1})
    assert next_step(progress(synced)).step.key == "mapping"  # nothing open: the step that needs attention
