from domain.canonical import (
    ARR_FIELDS,
    ARR_IDENTITY,
    DEFAULT_STAGES,
    MOVEMENT_SIGN,
    PIPELINE_FIELDS,
    PIPELINE_IDENTITY,
    Domain,
    MovementComponent,
    StageSemantics,
    canonical_fields_frame,
    required_field_keys,
)


def test_pipeline_and_arr_keys_are_the_published_ones():
    assert [f.key for f in PIPELINE_FIELDS] == [
        "account",
        "stage",
        "amount",
        "currency",
        "expected_close",
        "owner",
        "segment",
        "opportunity_type",
        "probability_override",
    ]
    assert PIPELINE_IDENTITY == ("source", "source_id", "name")
    assert [f.key for f in ARR_FIELDS] == ["account", "effective_date", "arr_delta", "movement_component", "currency"]
    assert ARR_IDENTITY == ("source", "source_id")


def test_movement_components_and_signs():
    assert {c.value for c in MovementComponent} == {"new", "expansion", "contraction", "churn", "reactivation"}
    positive = {c for c, sign in MOVEMENT_SIGN.items() if sign > 0}
    assert positive == {MovementComponent.NEW, MovementComponent.EXPANSION, MovementComponent.REACTIVATION}
    assert {c for c, sign in MOVEMENT_SIGN.items() if sign < 0} == {
        MovementComponent.CONTRACTION,
        MovementComponent.CHURN,
    }


def test_default_stages_and_weights():
    assert [(s.key, s.weight) for s in DEFAULT_STAGES] == [
        ("prospecting", 0.10),
        ("qualification", 0.20),
        ("evaluation", 0.40),
        ("proposal", 0.60),
        ("negotiation", 0.80),
        ("closed_won", 1.00),
        ("closed_lost", 0.00),
    ]
    assert [s.semantics for s in DEFAULT_STAGES if s.semantics != StageSemantics.OPEN] == [
        StageSemantics.WON,
        StageSemantics.LOST,
    ]


def test_required_fields_and_field_table():
    assert required_field_keys(Domain.ARR_ACTUALS) == ("account", "effective_date", "arr_delta", "movement_component")
    table = canonical_fields_frame(Domain.PIPELINE)
    assert table["Field"].to_list()[:3] == ["Account", "Stage", "Amount"]
    assert table.filter(table["Required"])["Key in the mapping file"].to_list() == [
        "account",
        "stage",
        "amount",
        "expected_close",
    ]
