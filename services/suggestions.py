"""Suggestions for a workspace: describe the routed objects, run the engine (and the LLM when configured),
keep the results for review, and turn approved decisions into the mapping version the sync uses."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import polars as pl
from sqlalchemy import Engine
from sqlmodel import Session

from connectors.base import ObjectInfo
from connectors.llm import Reranker, RerankOutcome
from connectors.registry import pipeline_keys
from domain.canonical import FIELDS_BY_DOMAIN, MOVEMENTS, Domain, MovementComponent
from domain.config import Settings
from domain.errors import RevenueConnectorError, ValidationError
from domain.mapping_config import FieldMap, MappingConfig, ObjectMapping, StageMap, to_yaml
from domain.roles import Access, Permission
from domain.source_kinds import SourceKind
from domain.suggestions.accounts import suggest_duplicates
from domain.suggestions.fields import SourceField, canonical_type, suggest_fields
from domain.suggestions.model import DEFAULT_THRESHOLDS, BandThresholds
from domain.suggestions.stages import CrmStage, suggest_stages
from domain.suggestions.values import suggest_movement_components
from services.connections import connector_for
from storage import review
from storage.connections import get_connection
from storage.mappings import latest_mapping, save_mapping
from storage.routing import load_routes
from storage.tables import FieldMapping, MappingVersion, StageMapping, ValueMapping
from storage.workspaces import load_stage_set


@dataclass
class SuggestionRun:
    """What one 'Suggest mappings' did, for the page's confirmation."""

    fields: dict[str, int] = field(default_factory=lambda: {"new": 0, "refreshed": 0, "kept": 0})
    stages: dict[str, int] = field(default_factory=lambda: {"new": 0, "refreshed": 0, "kept": 0})
    values: dict[str, int] = field(default_factory=lambda: {"new": 0, "refreshed": 0, "kept": 0})
    llm: RerankOutcome = RerankOutcome()
    problems: list[str] = field(default_factory=list)

    def add(self, bucket: dict[str, int], counts: dict[str, int]) -> None:
        for key, value in counts.items():
            bucket[key] += value


def source_fields(kind: str, obj: ObjectInfo) -> list[SourceField]:
    """The engine's view of an object's fields: metadata plus picklist values or a few samples.

    Connectors describe the fields their reads add too (Owner.Email on a Salesforce opportunity, a HubSpot
    deal's primary company and owner e-mail), since owner mapping and account reconciliation need them.
    """
    return [SourceField(kind, obj.name, f.name, f.label, f.type, f.picklist_values or f.samples) for f in obj.fields]


def _reranker(settings: Settings, engine: Engine, thresholds: BandThresholds) -> Reranker | None:
    if not settings.llm.configured:
        return None
    return Reranker(settings.llm, review.DatabaseAnswerCache(engine), thresholds=thresholds)


def suggest_mappings(
    session: Session,
    engine: Engine,
    workspace_id: int,
    settings: Settings,
    *,
    thresholds: BandThresholds = DEFAULT_THRESHOLDS,
) -> SuggestionRun:
    """Suggest fields, stages and movement values for every routed object; decided rows keep their decision."""
    run = SuggestionRun()
    reranker = _reranker(settings, engine, thresholds)
    routes = load_routes(session, workspace_id)
    canonical_stages = tuple(load_stage_set(session, workspace_id))
    stages_done: set[int] = set()
    in_force = latest_mapping(session, workspace_id)
    # Objects read as contracts (the mapping in force says so) are offered the contract fields.
    as_contracts = {(o.source, o.object_name) for o in (in_force[1].objects if in_force else ()) if o.from_contracts}
    for domain in Domain:
        canonical_fields = {f.key: f.description for f in FIELDS_BY_DOMAIN[domain]}
        if domain == Domain.PIPELINE:
            canonical_fields["name"] = "deal or opportunity name"
        for route in routes[domain]:
            connection = get_connection(session, route.connection_id)
            try:
                connector = connector_for(connection, settings)
                objects = {o.name: o for o in connector.describe()}
            except RevenueConnectorError as exc:
                run.problems.append(f"{connection.name}: {exc}")
                continue
            obj = objects.get(route.object_name)
            if obj is None:
                run.problems.append(f"{connection.name} no longer offers {route.object_name}.")
                continue
            fields = source_fields(connection.kind, obj)
            contracts = (connection.source_key, obj.name) in as_contracts
            suggestions = suggest_fields(fields, domain, thresholds=thresholds, contracts=contracts)
            if reranker and not contracts:
                suggestions, outcome = reranker.rerank_fields(suggestions, fields, canonical_fields)
                run.llm = run.llm + outcome
            types = {f.name: (f.label, f.type) for f in fields}
            run.add(
                run.fields,
                review.store_field_suggestions(
                    session, workspace_id, connection.id, obj.name, domain.value, suggestions, types, canonical_type
                ),
            )
            if domain == Domain.PIPELINE and connection.id not in stages_done:
                stages_done.add(connection.id)
                crm_stages = _crm_stages(connector, connection.kind, obj, suggestions)
                if crm_stages:
                    stage_suggestions = suggest_stages(crm_stages, canonical_stages, thresholds=thresholds)
                    if reranker:
                        stage_suggestions, outcome = reranker.rerank_stages(
                            stage_suggestions,
                            crm_stages,
                            {s.key: s.label for s in canonical_stages if s.semantics.value == "open"},
                        )
                        run.llm = run.llm + outcome
                    run.add(
                        run.stages,
                        review.store_stage_suggestions(
                            session, workspace_id, connection.id, stage_suggestions, crm_stages
                        ),
                    )
            if domain == Domain.ARR_ACTUALS:
                movement = next((s for s in suggestions if s.target == "movement_component"), None)
                if movement:
                    info = next(f for f in fields if f.name == movement.subject)
                    values = suggest_movement_components(
                        list(info.samples), group=movement.subject, thresholds=thresholds
                    )
                    run.add(
                        run.values,
                        review.store_value_suggestions(
                            session, workspace_id, connection.id, obj.name, movement.subject, values
                        ),
                    )
    return run


def _crm_stages(connector, kind: str, obj: ObjectInfo, suggestions) -> list[CrmStage]:
    """Stages with CRM metadata when the CRM has them; else the distinct values of the stage field."""
    if hasattr(connector, "stages"):
        frame = connector.stages()
        return [
            CrmStage(
                kind,
                r["pipeline_id"],
                r["stage_id"],
                r["label"],
                # already normalised to 0..1 by the connector
                r["probability"] * 100 if kind == "salesforce" and r["probability"] is not None else r["probability"],
                r["is_closed"],
                r["is_won"],
                r["sort_order"] or 0,
                r["pipeline_label"] or "",
            )
            for r in frame.iter_rows(named=True)
        ]
    stage_field = next((s.subject for s in suggestions if s.target == "stage"), None)
    if stage_field is None:
        return []
    values = connector.read(obj.name).get_column(stage_field).drop_nulls().unique(maintain_order=True).head(200)
    return [CrmStage(kind, "default", v, v, None, None, None, i) for i, v in enumerate(values.to_list())]


@dataclass(frozen=True)
class DuplicateFind:
    """What one 'Find possible duplicates' did."""

    added: int
    llm: RerankOutcome = RerankOutcome()


def pair_judge(settings: Settings, engine: Engine, thresholds: BandThresholds) -> Reranker | None:
    """The LLM that judges review-band account pairs, when one is configured."""
    return _reranker(settings, engine, thresholds)


def suggest_duplicate_accounts(
    session: Session,
    workspace_id: int,
    *,
    thresholds: BandThresholds = DEFAULT_THRESHOLDS,
    judge: Reranker | None = None,
) -> DuplicateFind:
    """Suggest same-company and related pairs among the live canonical accounts (the LLM, when given, judges the
    review-band pairs). Pairs already decided are never re-suggested, and neither is an account and its parent in
    the hierarchy (the CRM or a person linked them)."""
    accounts = review.live_accounts(session, workspace_id)
    linked = {
        (str(child), str(parent))
        for child, parent in accounts.drop_nulls("parent_id").select("id", "parent_id").iter_rows()
    }
    run = suggest_duplicates(
        accounts.with_columns(pl.col("id").cast(pl.String)),
        thresholds=thresholds,
        exclude=review.known_pairs(session, workspace_id) | linked,
    )
    pairs, outcome = run.pairs, RerankOutcome()
    if judge is not None:
        pairs, outcome = judge.judge_pairs(pairs, accounts)
    return DuplicateFind(review.store_duplicate_pairs(session, workspace_id, pairs), outcome)


def apply_approved(session: Session, workspace_id: int, *, access: Access) -> MappingVersion:
    """Write approved field, stage and value mappings as the next mapping version (what the sync uses).

    Approved decisions are merged into the version in force: an approved field sets (or, approved as
    "nothing", removes) its own mapping and takes its canonical field from any other source field; fields
    nobody decided keep their mapping, and objects with no approved field stay as they are. So approving
    one field that appeared later never drops a mapping written as code. Settings the review does not
    cover (filters, amount policy, reporting currency, FX rates, null policies) are carried over.
    """
    access.require(Permission.APPROVE_SUGGESTIONS)
    current = latest_mapping(session, workspace_id)
    base = current[1] if current else MappingConfig()
    approved_fields: list[FieldMapping] = review.approved(session, "field", workspace_id)
    if not any(f.canonical_field for f in approved_fields) and not base.objects:
        raise ValidationError("No approved field mapping yet: approve at least one field before putting it in force.")
    connections = {f.connection_id: get_connection(session, f.connection_id) for f in approved_fields}
    stage_rows: list[StageMapping] = review.approved(session, "stage", workspace_id)
    grouped: dict[tuple[int, str, str], list[FieldMapping]] = {}
    for row in approved_fields:
        grouped.setdefault((row.connection_id, row.object_name, row.domain), []).append(row)
    objects = {(o.source, o.object_name): o for o in base.objects}
    for (connection_id, object_name, domain), rows in grouped.items():
        connection = connections[connection_id]
        previous = objects.get((connection.source_key, object_name))
        fields = _merged_fields(previous.fields if previous else (), rows)
        if not fields:
            objects.pop((connection.source_key, object_name), None)
            continue
        # Only a pipeline object has stages (an ARR object of the same connection has no pipeline field).
        keys = (
            pipeline_keys(
                SourceKind(connection.kind), {s.pipeline_id for s in stage_rows if s.connection_id == connection_id}
            )
            if Domain(domain) == Domain.PIPELINE
            else (None, "default")
        )
        pipeline_field, default_pipeline = keys or (
            (previous.pipeline_field, previous.default_pipeline) if previous else (None, "default")
        )
        objects[(connection.source_key, object_name)] = ObjectMapping(
            source=connection.source_key,
            object_name=object_name,
            domain=Domain(domain),
            fields=fields,
            filters=previous.filters if previous else (),
            pipeline_field=pipeline_field,
            default_pipeline=default_pipeline,
            # How the object states ARR stays as the file in force says.
            arr_from=previous.arr_from if previous else MOVEMENTS,
            amount_per=previous.amount_per if previous else "year",
        )
    decided_stages = {(s.pipeline_id, s.stage_id) for s in stage_rows}
    stages = tuple(s for s in base.stages if (s.pipeline_id, s.stage_id) not in decided_stages) + tuple(
        StageMap(s.pipeline_id, s.stage_id, s.canonical_stage, s.weight) for s in stage_rows if s.canonical_stage
    )
    values: list[ValueMapping] = review.approved(session, "value", workspace_id)
    components = {
        **base.movement_components,
        **{v.source_value: MovementComponent(v.target) for v in values if v.target},
    }
    pipelines = {
        **base.pipelines,
        **{
            s.pipeline_id: s.pipeline_label
            for s in stage_rows
            if s.pipeline_label and s.pipeline_label != s.pipeline_id
        },
    }
    config = replace(
        base, objects=tuple(objects.values()), stages=stages, movement_components=components, pipelines=pipelines
    )
    if current is not None and to_yaml(config) == to_yaml(base):
        # Nothing approved differs from what is in force (an import already says the same): no empty version.
        raise ValidationError(
            f"Every approved mapping is already in force (version {current[0].version}); no new version was made."
        )
    return save_mapping(session, workspace_id, to_yaml(config), actor=access.actor, note="from approved suggestions")


def approved_in_force(session: Session, kind: str, workspace_id: int) -> set[int]:
    """IDs of the approved suggestions of one kind (field, stage, value) that the mapping in force already does:
    the review table says 'in force' for them, and only the others are left to put in force."""
    current = latest_mapping(session, workspace_id)
    if current is None:
        return set()
    config = current[1]
    rows = review.approved(session, kind, workspace_id)
    if kind == "field":
        keys = {r.connection_id: get_connection(session, r.connection_id).source_key for r in rows}
        return {
            r.id
            for r in rows
            if config.maps_field(keys[r.connection_id], r.object_name, r.source_field, r.canonical_field)
        }
    if kind == "stage":
        return {r.id for r in rows if config.maps_stage(r.pipeline_id, r.stage_id, r.canonical_stage, r.weight)}
    return {r.id for r in rows if config.maps_value(r.source_value, r.target)}


def _merged_fields(in_force: tuple[FieldMap, ...], approved: list[FieldMapping]) -> tuple[FieldMap, ...]:
    """Field mappings of one object after its approved decisions (see apply_approved)."""
    decided = {r.source_field: r for r in approved}
    claimed = {r.canonical_field for r in approved if r.canonical_field}
    kept = [f for f in in_force if f.source_field not in decided and f.canonical_field not in claimed]
    nulls = {f.source_field: f.null_policy for f in in_force}
    types = {f.source_field: f.type for f in in_force}
    chosen = [
        FieldMap(
            r.source_field,
            r.canonical_field,
            # A type written as code for the same field and target stays; a new target gets its own.
            types[r.source_field]
            if any(f.source_field == r.source_field and f.canonical_field == r.canonical_field for f in in_force)
            else canonical_type(r.canonical_field),
            nulls.get(r.source_field, r.null_policy),
        )
        for r in approved
        if r.canonical_field
    ]
    return tuple(kept + chosen)
