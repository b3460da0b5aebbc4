"""A workspace's mapping configuration (the results of steps 2–4) and its YAML form, "mapping as code".

One YAML file holds everything the sync needs to turn source rows into canonical rows: which fields
map to which canonical fields and how they cast, how CRM stages map onto canonical stages (by stage ID
within a pipeline), how CRM movement types map onto movement components, record filters, the amount
policy, the reporting currency and FX rates. Import validates every entry and names the key at fault,
e.g. `objects[0].fields.Amount.type`.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import yaml

from domain.canonical import (
    CONTRACT_FIELDS,
    CONTRACTS,
    FIELDS_BY_DOMAIN,
    MOVEMENTS,
    CanonicalField,
    Domain,
    FieldType,
    MovementComponent,
    field_keys,
)
from domain.errors import ValidationError

AMOUNT_FIELDS = frozenset({"amount", "arr_delta"})  # canonical fields that hold a customer's money
NULL_POLICIES = ("keep", "clear")  # keep: a null leaves the canonical value; clear: a null clears it
DEFAULT_VALID_DATES = (date(1900, 1, 1), date(2200, 12, 31))
# A mapping is a few hundred kilobytes at most; anything bigger is a mistake or an attack, and every sync parses it.
MAX_MAPPING_BYTES = 2_000_000
MAX_ALIASES = 100  # YAML anchors reused more often than this are refused (a "billion laughs" bomb)
MAX_NODES = 200_000  # values in the document once aliases are expanded

# The keys each part of a mapping file may have; anything else is refused with its path and a "did you mean".
_KEYS = {
    "": (
        "version",
        "reporting_currency",
        "amount_policy",
        "fx_rates",
        "pipelines",
        "objects",
        "stages",
        "movement_components",
        "valid_dates",
    ),
    "amount_policy": ("include_zero", "include_negative"),
    "valid_dates": ("from", "to"),
    "fx_rates": ("currency", "from", "rate"),
    "objects": (
        "source",
        "object",
        "domain",
        "pipeline_field",
        "default_pipeline",
        "arr_from",
        "amount_per",
        "filters",
        "fields",
    ),
    "fields": ("to", "type", "nulls"),
    "filters": ("field", "in"),
    "stages": ("pipeline", "stage", "to", "weight"),
}


@dataclass(frozen=True)
class FieldMap:
    source_field: str
    canonical_field: str
    type: FieldType
    null_policy: str = "keep"


@dataclass(frozen=True)
class RecordFilter:
    field: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class ObjectMapping:
    """How one routed source object becomes canonical rows."""

    source: str  # the connection's source key
    object_name: str
    domain: Domain
    fields: tuple[FieldMap, ...]
    filters: tuple[RecordFilter, ...] = ()
    pipeline_field: str | None = None  # the field holding the pipeline ID; None: one pipeline
    default_pipeline: str = "default"
    # ARR actuals only: the rows are movement events, or contracts the movements are derived from.
    arr_from: str = MOVEMENTS
    amount_per: str = "year"  # contracts: the recurring amount is per year or per month

    def source_field_for(self, canonical: str) -> str | None:
        return next((f.source_field for f in self.fields if f.canonical_field == canonical), None)

    @property
    def from_contracts(self) -> bool:
        return self.domain == Domain.ARR_ACTUALS and self.arr_from == CONTRACTS


def canonical_fields_of(obj: ObjectMapping) -> tuple[CanonicalField, ...]:
    """The canonical fields an object maps onto: its domain's, or the contract fields for ARR from contracts."""
    return CONTRACT_FIELDS if obj.from_contracts else FIELDS_BY_DOMAIN[obj.domain]


@dataclass(frozen=True)
class StageMap:
    pipeline_id: str
    stage_id: str
    canonical_stage: str
    weight: float | None = None  # None: the canonical stage's weight


@dataclass(frozen=True)
class FxRate:
    currency: str
    valid_from: date
    rate: float  # 1 unit of `currency` in the reporting currency


@dataclass(frozen=True)
class AmountPolicy:
    include_zero: bool = True
    include_negative: bool = False


@dataclass(frozen=True)
class MappingConfig:
    objects: tuple[ObjectMapping, ...] = ()
    stages: tuple[StageMap, ...] = ()
    movement_components: dict[str, MovementComponent] = field(default_factory=dict)
    amount_policy: AmountPolicy = AmountPolicy()
    reporting_currency: str = "USD"
    fx_rates: tuple[FxRate, ...] = ()
    pipelines: dict[str, str] = field(default_factory=dict)  # pipeline ID -> its name in the CRM
    # Dates a record may carry; outside them a date is an entry error (9999-12-31 as "never") and is quarantined.
    valid_dates: tuple[date, date] = DEFAULT_VALID_DATES

    @property
    def currencies(self) -> frozenset[str]:
        """Currencies amounts can be converted from: the reporting currency and every FX rate's."""
        return frozenset({self.reporting_currency, *(r.currency for r in self.fx_rates)})

    # Whether a reviewed decision is what this mapping does (the review table says 'in force' for it).

    def maps_field(self, source: str, object_name: str, source_field: str, canonical: str | None) -> bool:
        """The source field maps onto `canonical` here (None: the field is not mapped at all)."""
        obj = next((o for o in self.objects if (o.source, o.object_name) == (source, object_name)), None)
        targets = {f.canonical_field for f in obj.fields if f.source_field == source_field} if obj else set()
        return canonical in targets if canonical else not targets

    def maps_stage(self, pipeline_id: str, stage_id: str, canonical: str | None, weight: float | None) -> bool:
        """The CRM stage maps onto `canonical` at `weight` here (None: the stage is not mapped)."""
        found = next((s for s in self.stages if (s.pipeline_id, s.stage_id) == (pipeline_id, stage_id)), None)
        if not canonical:
            return found is None
        return found is not None and found.canonical_stage == canonical and found.weight == weight

    def maps_value(self, source_value: str, target: str | None) -> bool:
        """The picklist value maps onto the movement type `target` here (None: not mapped)."""
        found = self.movement_components.get(source_value)
        return (found.value if found else None) == (target or None)


def mappable_fields(domain: Domain) -> tuple[str, ...]:
    """Canonical fields a source field can map onto (a deal's name is identity, but it comes from a field)."""
    return field_keys(domain) + (("name",) if domain == Domain.PIPELINE else ())


def mappable_field_labels() -> dict[str, str]:
    """Every canonical field a source field can map onto, key -> the label people read, both domains in order."""
    labels = {f.key: f.label for domain in Domain for f in FIELDS_BY_DOMAIN[domain]}
    return {key: labels.get(key, "Deal name") for domain in Domain for key in mappable_fields(domain)} | {
        f.key: f.label for f in CONTRACT_FIELDS
    }


# --- YAML ---------------------------------------------------------------------------------------


def to_yaml(config: MappingConfig) -> str:
    """The configuration as one human-editable YAML document."""
    document = {
        "version": 1,
        "reporting_currency": config.reporting_currency,
        "amount_policy": {
            "include_zero": config.amount_policy.include_zero,
            "include_negative": config.amount_policy.include_negative,
        },
        "fx_rates": [
            {"currency": r.currency, "from": r.valid_from.isoformat(), "rate": r.rate} for r in config.fx_rates
        ],
        **({"pipelines": dict(config.pipelines)} if config.pipelines else {}),
        "objects": [
            {
                "source": o.source,
                "object": o.object_name,
                "domain": o.domain.value,
                **({"pipeline_field": o.pipeline_field} if o.pipeline_field else {}),
                **({"default_pipeline": o.default_pipeline} if o.default_pipeline != "default" else {}),
                **({"arr_from": o.arr_from, "amount_per": o.amount_per} if o.from_contracts else {}),
                "filters": [{"field": f.field, "in": list(f.values)} for f in o.filters],
                "fields": {
                    f.source_field: {"to": f.canonical_field, "type": f.type.value, "nulls": f.null_policy}
                    for f in o.fields
                },
            }
            for o in config.objects
        ],
        "stages": [
            {
                "pipeline": s.pipeline_id,
                "stage": s.stage_id,
                "to": s.canonical_stage,
                **({"weight": s.weight} if s.weight is not None else {}),
            }
            for s in config.stages
        ],
        "movement_components": {k: v.value for k, v in config.movement_components.items()},
        **(
            {"valid_dates": {"from": config.valid_dates[0].isoformat(), "to": config.valid_dates[1].isoformat()}}
            if config.valid_dates != DEFAULT_VALID_DATES
            else {}
        ),
    }
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)


class _Loader(yaml.SafeLoader):
    """SafeLoader that leaves dates as text, so a bad date is reported with its key instead of crashing, and
    refuses a document that reuses anchors more than MAX_ALIASES times."""

    aliases = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                raise ValidationError(
                    f"The mapping file reuses YAML anchors more than {MAX_ALIASES} times; write the entries out."
                )
        return super().compose_node(parent, index)


_Loader.yaml_implicit_resolvers = {
    first: [r for r in resolvers if r[0] != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class _Reader:
    """Reads a parsed YAML document, raising ValidationError that names the key path."""

    def __init__(self, document: Any) -> None:
        if not isinstance(document, dict):
            raise ValidationError("The mapping file must be a YAML mapping (key: value) at the top level.")
        self.document = document

    @staticmethod
    def fail(path: str, message: str) -> ValidationError:
        return ValidationError(f"{path}: {message}")

    def known_keys(self, node: dict, path: str, part: str) -> None:
        """Refuse a key this part of the file does not have (a misspelling would otherwise be ignored)."""
        allowed = _KEYS[part]
        for key in node:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
                hint = f"; did you mean '{close[0]}'?" if close else f" (known keys: {', '.join(allowed)})"
                raise self.fail(f"{path}.{key}".lstrip("."), f"is not a known key{hint}")

    def get(self, node: dict, key: str, path: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
        if key not in node or node[key] is None:
            if default is ...:
                raise self.fail(f"{path}.{key}".lstrip("."), "is required")
            return default
        value = node[key]
        if not isinstance(value, kind):
            names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            raise self.fail(f"{path}.{key}".lstrip("."), f"must be a {names}, not {type(value).__name__}")
        return value

    def date(self, node: dict, key: str, path: str, default: Any = ...) -> date:
        value = self.get(node, key, path, (date, str), default)
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(value)
        except ValueError as exc:
            raise self.fail(f"{path}.{key}".lstrip("."), f"'{value}' is not a date (YYYY-MM-DD)") from exc


def _check_size(document: Any) -> None:
    """Walk the document with a budget: anchors can make a small file expand without end."""
    pending, seen = [document], 0
    while pending:
        node = pending.pop()
        seen += 1
        if seen > MAX_NODES:
            raise ValidationError(
                f"The mapping file expands to more than {MAX_NODES:,} values; it cannot be a mapping."
            )
        if isinstance(node, dict):
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)


def load_yaml(text: str, what: str = "The mapping file") -> Any:
    """Parse YAML safely for a file a person hands us: size, anchor and expansion limits, dates left as text,
    errors with line and column. `what` names the file in messages."""
    if len(text) > MAX_MAPPING_BYTES:
        raise ValidationError(
            f"{what} is {len(text) / 1e6:.1f} MB; at most {MAX_MAPPING_BYTES / 1e6:.0f} MB is accepted.",
            hint="Check that the right file was chosen.",
        )
    try:
        document = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise ValidationError(f"{what} is not valid YAML{where}.") from exc
    except RecursionError as exc:
        raise ValidationError(f"{what} nests deeper than any setting can.") from exc
    _check_size(document)
    return document


def from_yaml(text: str) -> MappingConfig:
    """Parse and validate a mapping file; every error names the key that is wrong."""
    document = load_yaml(text)
    r = _Reader(document)
    doc = r.document
    r.known_keys(doc, "", "")
    version = r.get(doc, "version", "", int, 1)
    if version != 1:
        raise r.fail("version", f"{version} is not supported (this release reads version 1)")
    reporting = r.get(doc, "reporting_currency", "", str, "USD").upper()
    if len(reporting) != 3 or not reporting.isalpha():
        raise r.fail("reporting_currency", f"'{reporting}' is not a 3-letter ISO code")
    policy_node = r.get(doc, "amount_policy", "", dict, {})
    r.known_keys(policy_node, "amount_policy", "amount_policy")
    policy = AmountPolicy(
        include_zero=r.get(policy_node, "include_zero", "amount_policy", bool, True),
        include_negative=r.get(policy_node, "include_negative", "amount_policy", bool, False),
    )
    rates = []
    for i, node in enumerate(r.get(doc, "fx_rates", "", list, [])):
        path = f"fx_rates[{i}]"
        if not isinstance(node, dict):
            raise r.fail(path, "must be a mapping with currency, from and rate")
        r.known_keys(node, path, "fx_rates")
        start = r.date(node, "from", path)
        rate = r.get(node, "rate", path, (int, float))
        if not is_usable_rate(rate):
            raise r.fail(f"{path}.rate", f"{rate} is not a finite number above 0")
        rates.append(FxRate(r.get(node, "currency", path, str).upper(), start, float(rate)))
    objects = [_read_object(r, node, f"objects[{i}]") for i, node in enumerate(r.get(doc, "objects", "", list, []))]
    stages = []
    for i, node in enumerate(r.get(doc, "stages", "", list, [])):
        path = f"stages[{i}]"
        if not isinstance(node, dict):
            raise r.fail(path, "must be a mapping with pipeline, stage and to")
        r.known_keys(node, path, "stages")
        weight = r.get(node, "weight", path, (int, float), None)
        if weight is not None and not 0 <= weight <= 1:
            raise r.fail(f"{path}.weight", f"{weight} is outside 0..1")
        stages.append(
            StageMap(
                str(r.get(node, "pipeline", path, (str, int))),
                str(r.get(node, "stage", path, (str, int))),
                r.get(node, "to", path, str),
                None if weight is None else float(weight),
            )
        )
    components = {}
    for label, value in r.get(doc, "movement_components", "", dict, {}).items():
        try:
            components[str(label)] = MovementComponent(value)
        except ValueError as exc:
            allowed = ", ".join(c.value for c in MovementComponent)
            raise r.fail(f"movement_components.{label}", f"'{value}' is not one of {allowed}") from exc
    pipelines = {str(k): str(v) for k, v in r.get(doc, "pipelines", "", dict, {}).items()}
    window_node = r.get(doc, "valid_dates", "", dict, {})
    r.known_keys(window_node, "valid_dates", "valid_dates")
    window = (
        r.date(window_node, "from", "valid_dates", DEFAULT_VALID_DATES[0]),
        r.date(window_node, "to", "valid_dates", DEFAULT_VALID_DATES[1]),
    )
    if window[0] >= window[1]:
        raise r.fail("valid_dates", f"from {window[0]} is not before to {window[1]}")
    return MappingConfig(tuple(objects), tuple(stages), components, policy, reporting, tuple(rates), pipelines, window)


def is_usable_rate(rate: float) -> bool:
    """An FX rate can convert money: a finite number above 0 (NaN, inf and 0 cannot)."""
    return math.isfinite(rate) and rate > 0


def _read_object(r: _Reader, node: Any, path: str) -> ObjectMapping:
    if not isinstance(node, dict):
        raise r.fail(path, "must be a mapping with source, object, domain and fields")
    r.known_keys(node, path, "objects")
    domain_text = r.get(node, "domain", path, str)
    try:
        domain = Domain(domain_text)
    except ValueError as exc:
        raise r.fail(f"{path}.domain", f"'{domain_text}' is not one of {', '.join(d.value for d in Domain)}") from exc
    arr_from = r.get(node, "arr_from", path, str, MOVEMENTS)
    if arr_from not in (MOVEMENTS, CONTRACTS) or (arr_from == CONTRACTS and domain != Domain.ARR_ACTUALS):
        raise r.fail(f"{path}.arr_from", f"'{arr_from}' is not one of {MOVEMENTS}, {CONTRACTS} (ARR actuals only)")
    amount_per = r.get(node, "amount_per", path, str, "year")
    if amount_per not in ("year", "month"):
        raise r.fail(f"{path}.amount_per", f"'{amount_per}' is not one of year, month")
    contract_keys = tuple(f.key for f in CONTRACT_FIELDS)
    fields, seen = [], set()
    for source_field, spec in r.get(node, "fields", path, dict).items():
        fpath = f"{path}.fields.{source_field}"
        if not isinstance(spec, dict):
            raise r.fail(fpath, "must be a mapping with to and type")
        r.known_keys(spec, fpath, "fields")
        target = r.get(spec, "to", fpath, str)
        allowed = contract_keys if arr_from == CONTRACTS else mappable_fields(domain)
        if target not in allowed:
            raise r.fail(f"{fpath}.to", f"'{target}' is not a canonical field of {domain.value} ({', '.join(allowed)})")
        if target in seen:
            raise r.fail(f"{fpath}.to", f"'{target}' is already mapped from another field")
        seen.add(target)
        type_text = r.get(spec, "type", fpath, str, "string")
        try:
            field_type = FieldType(type_text)
        except ValueError as exc:
            raise r.fail(
                f"{fpath}.type", f"'{type_text}' is not one of {', '.join(t.value for t in FieldType)}"
            ) from exc
        nulls = r.get(spec, "nulls", fpath, str, "keep")
        if nulls not in NULL_POLICIES:
            raise r.fail(f"{fpath}.nulls", f"'{nulls}' is not one of {', '.join(NULL_POLICIES)}")
        fields.append(FieldMap(str(source_field), target, field_type, nulls))
    filters = []
    for j, spec in enumerate(r.get(node, "filters", path, list, [])):
        fpath = f"{path}.filters[{j}]"
        if not isinstance(spec, dict):
            raise r.fail(fpath, "must be a mapping with field and in")
        r.known_keys(spec, fpath, "filters")
        values = r.get(spec, "in", fpath, list)
        filters.append(RecordFilter(r.get(spec, "field", fpath, str), tuple(str(v) for v in values)))
    return ObjectMapping(
        source=r.get(node, "source", path, str),
        object_name=r.get(node, "object", path, str),
        domain=domain,
        fields=tuple(fields),
        filters=tuple(filters),
        pipeline_field=r.get(node, "pipeline_field", path, str, None),
        default_pipeline=str(r.get(node, "default_pipeline", path, (str, int), "default")),
        arr_from=arr_from,
        amount_per=amount_per,
    )


def check_against_workspace(config: MappingConfig, source_keys: set[str], stage_keys: set[str]) -> None:
    """Refuse a mapping that names sources or canonical stages the workspace does not have."""
    for i, obj in enumerate(config.objects):
        if obj.source not in source_keys:
            known = ", ".join(sorted(source_keys)) or "none yet"
            raise ValidationError(
                f"objects[{i}].source: '{obj.source}' is not a connection of this workspace (source keys: {known})."
            )
    for i, stage in enumerate(config.stages):
        if stage.canonical_stage not in stage_keys:
            raise ValidationError(
                f"stages[{i}].to: '{stage.canonical_stage}' is not one of this workspace's stages "
                f"({', '.join(sorted(stage_keys))})."
            )


def mapped_fields_by_domain(config: MappingConfig) -> dict[Domain, frozenset[str]]:
    """Canonical fields each domain gets from the mapping (for the wizard's progress)."""
    result: dict[Domain, set[str]] = {d: set() for d in Domain}
    for obj in config.objects:
        mapped = {f.canonical_field for f in obj.fields}
        if obj.from_contracts:
            # Contracts give the movement fields once their own required fields and an end (or a term) are mapped.
            needed = {f.key for f in CONTRACT_FIELDS if f.required}
            if needed <= mapped and mapped & {"contract_end", "contract_term_months"}:
                mapped |= {f.key for f in FIELDS_BY_DOMAIN[Domain.ARR_ACTUALS] if f.required}
        result[obj.domain] |= mapped
    return {d: frozenset(v) for d, v in result.items()}


def amount_source_fields(config: MappingConfig | None) -> frozenset[str]:
    """Source fields that carry customer-linked amounts, for masking: whatever is mapped onto an amount (whatever
    type it was given: an amount mapped as `number` is still money) and every number or currency field."""
    if config is None:
        return frozenset({"amount", "arr_delta"})
    return frozenset(
        {"amount", "arr_delta"}
        | {
            f.source_field
            for obj in config.objects
            for f in obj.fields
            if f.canonical_field in AMOUNT_FIELDS or f.type in (FieldType.CURRENCY, FieldType.NUMBER)
        }
    )
