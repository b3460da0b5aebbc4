"""Turn one source object's rows into canonical rows, and quarantine what does not roll up.

Everything is polars expressions over whole columns (no loop over rows). A row with several problems
gets one quarantine entry per problem, each naming the source field and the offending value, so a
reviewer sees everything that needs fixing at once. Deleted source records become tombstones and are
not validated: a deletion must land even when the deleted record was malformed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import polars as pl

from domain.canonical import (
    MONEY_LIMIT,
    MOVEMENT_SIGN,
    TEXT_LIMITS,
    Domain,
    FieldType,
    MovementComponent,
    QuarantineReason,
    StageSemantics,
)
from domain.canonical import CanonicalStage as Stage
from domain.contract_arr import CONTRACT_COLUMNS, derive_movements, end_from_term
from domain.errors import SourceError, ValidationError
from domain.mapping_config import MappingConfig, ObjectMapping, canonical_fields_of
from domain.money import ROUNDING, exact, round_money
from domain.salesforce_ids import to_18
from domain.storable_text import has_nul, preview, too_long
from domain.timestamps import parse_date, parse_utc

QUARANTINE_SCHEMA = {
    "source": pl.String,
    "source_object": pl.String,
    "source_id": pl.String,
    "reason_code": pl.String,
    "field": pl.String,
    "value": pl.String,
}


@dataclass(frozen=True)
class TransformResult:
    canonical: pl.DataFrame  # rows that rolled up, in the canonical shape plus provenance
    quarantine: pl.DataFrame  # one row per problem (QUARANTINE_SCHEMA)
    tombstones: pl.DataFrame  # source, source_id of records deleted in the source
    filtered_out: int  # rows a record filter excluded (by the user's rule, not an error)
    excluded_by_policy: int  # rows the amount policy excluded (zero or negative amounts)

    def for_account(self, account_id: int) -> TransformResult:
        """Only the rows that rolled up onto one canonical account (a targeted 'sync this account')."""
        return replace(
            self,
            canonical=self.canonical.filter(pl.col("account_id") == account_id),
            quarantine=self.quarantine.clear(),
        )


def _clean_text(column: str) -> pl.Expr:
    text = pl.col(column).cast(pl.String).str.strip_chars()
    return pl.when(text == "").then(None).otherwise(text)


def cast_expr(raw: pl.Expr, field_type: FieldType, time_zone: str = "UTC") -> pl.Expr:
    """Cast text to a canonical type; a value that does not cast becomes null (and is reported).

    `time_zone` is the source's own (the org's or portal's): an instant cast to a date is the date its
    users saw there, not the UTC date.
    """
    if field_type in (FieldType.NUMBER, FieldType.CURRENCY, FieldType.PERCENT):
        # A percent may come with its sign ("40%"); stored as the share it states.
        text = raw.str.strip_chars().str.strip_chars_end("%") if field_type == FieldType.PERCENT else raw
        number = text.cast(pl.Float64, strict=False)
        if field_type == FieldType.PERCENT:
            number = number / 100
        # NaN and ±inf ("NaN", "inf", 1e309) are no amount: null here, so they are reported as invalid values.
        return pl.when(number.is_finite()).then(number)
    if field_type == FieldType.DATE:
        return parse_date(raw, time_zone)
    if field_type == FieldType.DATETIME:
        return parse_utc(raw)
    if field_type == FieldType.BOOLEAN:
        lowered = raw.str.to_lowercase()
        return (
            pl.when(lowered.is_in(["true", "1", "yes"]))
            .then(True)
            .when(lowered.is_in(["false", "0", "no"]))
            .then(False)
            .otherwise(None)
        )
    return raw


def check_mapping(obj: ObjectMapping, config: MappingConfig, stages: list[Stage]) -> None:
    """Refuse a configuration that cannot produce valid rows, naming what is missing."""
    mapped = {f.canonical_field for f in obj.fields}
    missing = [f.key for f in canonical_fields_of(obj) if f.required and f.key not in mapped]
    if obj.from_contracts and not mapped & {"contract_end", "contract_term_months"}:
        missing.append("contract_end or contract_term_months")
    if missing:
        raise ValidationError(
            f"{obj.domain.label} from {obj.object_name}: required field(s) {', '.join(missing)} not mapped.",
            hint="Map them in step 3.",
        )
    known = {s.key for s in stages}
    unknown = sorted({s.canonical_stage for s in config.stages} - known)
    if unknown:
        raise ValidationError(f"Stage mapping targets {', '.join(unknown)}, which the workspace's stages do not have.")


BOOKKEEPING = ("source", "source_id", "is_deleted", "source_modified_at")
# Rows transformed in one pass: a larger read goes in slices of this many (the same rows come out; see transform).
CHUNK_ROWS = 200_000


def transform(
    frame: pl.DataFrame,
    obj: ObjectMapping,
    config: MappingConfig,
    stages: list[Stage],
    crosswalk: pl.DataFrame,
    *,
    time_zone: str = "UTC",
    as_of: date | None = None,
) -> TransformResult:
    """Apply `obj`'s mapping to `frame` (a connector read). `crosswalk`: source_account_id -> account_id.

    `time_zone`: the source's own time zone (see cast_expr), UTC for sources that have none.
    `as_of`: today; ARR derived from contracts stops there (a contract ending next year is not churn yet, and a
    signed upgrade starting next month is not ARR yet). None: no cut (tests of the derivation alone).
    """
    check_mapping(obj, config, stages)
    absent = [f.source_field for f in obj.fields if f.source_field not in frame.columns]
    absent += [f.field for f in obj.filters if f.field not in frame.columns]
    if obj.domain == Domain.PIPELINE and obj.pipeline_field and obj.pipeline_field not in frame.columns:
        absent.append(obj.pipeline_field)
    if absent:
        raise SourceError(
            f"{obj.object_name} no longer has the field(s) {', '.join(sorted(set(absent)))}.",
            hint="The CRM schema changed after the mapping was approved; review step 3.",
        )

    # Only the columns the mapping reads (a CRM read carries many more): every copy below is then narrower.
    wanted = {f.source_field for f in obj.fields} | {f.field for f in obj.filters} | set(BOOKKEEPING)
    if obj.domain == Domain.PIPELINE and obj.pipeline_field:
        wanted.add(obj.pipeline_field)
    rows = frame.select([c for c in frame.columns if c in wanted])
    for rule in obj.filters:
        rows = rows.filter(pl.col(rule.field).cast(pl.String).is_in(list(rule.values)))
    filtered_out = frame.height - rows.height
    tombstones = rows.filter(pl.col("is_deleted")).select("source", "source_id")
    rows = rows.filter(~pl.col("is_deleted"))
    if obj.from_contracts:
        # Contract IDs are not movement IDs: a deleted contract changes the derived movements instead.
        tombstones = tombstones.clear()
    if obj.from_contracts or rows.height <= CHUNK_ROWS:
        clean, quarantine, excluded = _transform_rows(rows, obj, config, stages, crosswalk, time_zone, as_of, None)
        return TransformResult(clean, quarantine, tombstones, filtered_out, excluded)
    # A million rows in one pass hold every intermediate column of all of them at once; in slices the working
    # set is a slice's. An ID twice in the read is found over the whole read first, so a pair split across
    # slices is still held.
    ids = rows.get_column("source_id")
    duplicated = ids.filter(ids.is_duplicated()).unique()
    parts = [
        _transform_rows(rows.slice(first, CHUNK_ROWS), obj, config, stages, crosswalk, time_zone, as_of, duplicated)
        for first in range(0, rows.height, CHUNK_ROWS)
    ]
    return TransformResult(
        pl.concat([p[0] for p in parts]),
        pl.concat([p[1] for p in parts]).sort("source_id", "reason_code"),
        tombstones,
        filtered_out,
        sum(p[2] for p in parts),
    )


def _transform_rows(
    rows: pl.DataFrame,
    obj: ObjectMapping,
    config: MappingConfig,
    stages: list[Stage],
    crosswalk: pl.DataFrame,
    time_zone: str,
    as_of: date | None,
    duplicated: pl.Series | None,
) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """Validate, map and convert live rows (filters and tombstones already applied): the canonical rows, the
    quarantine and how many rows the amount policy excluded. `duplicated`: the IDs seen twice in the whole read
    (None: look within these rows)."""
    rows = rows.with_row_index("_row")
    by_canonical = {f.canonical_field: f for f in obj.fields}
    rows = rows.with_columns(
        [_clean_text(f.source_field).alias(f"_raw_{f.canonical_field}") for f in obj.fields]
    ).with_columns(
        [cast_expr(pl.col(f"_raw_{f.canonical_field}"), f.type, time_zone).alias(f.canonical_field) for f in obj.fields]
    )
    problems: list[pl.LazyFrame] = []

    def report(condition: pl.Expr, reason: QuarantineReason, field: str, value: pl.Expr) -> None:
        # Lazy, so each check reads only the columns it names; all checks run together at the end.
        problems.append(
            rows.lazy()
            .filter(condition)
            .select(
                "_row",
                pl.lit(reason.value).alias("reason_code"),
                pl.lit(field).alias("field"),
                value.cast(pl.String).alias("value"),
            )
        )

    twice = (
        pl.col("source_id").is_duplicated() if duplicated is None else pl.col("source_id").is_in(duplicated.implode())
    )
    report(twice, QuarantineReason.DUPLICATE_SOURCE_ID, "Id", pl.col("source_id"))
    source_id = pl.col("source_id").cast(pl.String)
    report(has_nul(source_id), QuarantineReason.INVALID_VALUE, "Id", source_id)
    report(_too_long(source_id, "source_id"), QuarantineReason.TEXT_TOO_LONG, "Id", source_id)
    if obj.domain == Domain.PIPELINE and obj.pipeline_field:
        pipeline = pl.col(obj.pipeline_field).cast(pl.String)
        report(_too_long(pipeline, "pipeline"), QuarantineReason.TEXT_TOO_LONG, obj.pipeline_field, pipeline)
    required = {f.key for f in canonical_fields_of(obj) if f.required}
    low, high = config.valid_dates
    for f in obj.fields:
        raw, value = pl.col(f"_raw_{f.canonical_field}"), pl.col(f.canonical_field)
        # A NUL byte is no text any database keeps (PostgreSQL refuses it outright).
        unusable = value.is_null() | has_nul(raw)
        report(raw.is_not_null() & unusable, QuarantineReason.INVALID_VALUE, f.source_field, raw)
        if f.canonical_field in required:
            report(raw.is_null(), QuarantineReason.MISSING_VALUE, f.source_field, pl.lit(None, pl.String))
        if f.type == FieldType.STRING and f.canonical_field in TEXT_LIMITS:
            report(_too_long(raw, f.canonical_field), QuarantineReason.TEXT_TOO_LONG, f.source_field, raw)
        elif f.type in (FieldType.NUMBER, FieldType.CURRENCY, FieldType.PERCENT):
            report(value.abs() > MONEY_LIMIT, QuarantineReason.OUT_OF_RANGE, f.source_field, raw)
        if f.canonical_field == "probability_override":
            # A probability is a share: 140% or -5% is an entry error, not a weight.
            report((value < 0) | (value > 1), QuarantineReason.OUT_OF_RANGE, f.source_field, raw)
        elif f.type in (FieldType.DATE, FieldType.DATETIME):
            day = value if f.type == FieldType.DATE else value.dt.date()
            report((day < low) | (day > high), QuarantineReason.OUT_OF_RANGE, f.source_field, raw)

    # Currency: the record's own, or the reporting currency when the source has none.
    if "currency" in by_canonical:
        rows = rows.with_columns(pl.col("currency").str.to_uppercase().fill_null(config.reporting_currency))
        report(
            ~pl.col("currency").is_in(list(config.currencies)),
            QuarantineReason.UNKNOWN_CURRENCY,
            by_canonical["currency"].source_field,
            pl.col("currency"),
        )
    else:
        rows = rows.with_columns(pl.lit(config.reporting_currency).alias("currency"))

    # Accounts resolve by CRM ID through the crosswalk, so a renamed account stays one account.
    account_field = by_canonical["account"].source_field
    rows = rows.with_columns(_account_ids(rows, crosswalk).alias("account_id"))
    report(
        pl.col("account").is_not_null() & pl.col("account_id").is_null(),
        QuarantineReason.UNRECONCILED_ACCOUNT,
        account_field,
        pl.col("account"),
    )

    if obj.domain == Domain.PIPELINE:
        rows = _map_stages(rows, obj, config, stages)
        if "probability_override" in rows.columns:
            # A deal's own probability replaces its stage's weight while it is open; won and lost stay 100% and 0%.
            open_keys = [s.key for s in stages if s.semantics == StageSemantics.OPEN]
            overridden = pl.col("canonical_stage").is_in(open_keys) & pl.col("probability_override").is_not_null()
            rows = rows.with_columns(
                pl.when(overridden).then(pl.col("probability_override")).otherwise(pl.col("weight")).alias("weight"),
                pl.when(overridden).then(pl.col("probability_override")).alias("probability_override"),
            )
        report(
            pl.col("stage").is_not_null() & pl.col("canonical_stage").is_null(),
            QuarantineReason.UNMAPPED_STAGE,
            by_canonical["stage"].source_field,
            pl.col("stage"),
        )
        amount_col, date_col = "amount", "expected_close"
    elif obj.from_contracts:
        end = pl.col("contract_end") if "contract_end" in rows.columns else pl.lit(None, pl.Date)
        if "contract_term_months" in rows.columns:
            end = pl.coalesce(end, end_from_term(pl.col("contract_start"), pl.col("contract_term_months")))
        rows = rows.with_columns(end.alias("_end"))
        end_field = (by_canonical.get("contract_end") or by_canonical["contract_term_months"]).source_field
        report(
            pl.col("_end").is_not_null() & (pl.col("_end") < pl.col("contract_start")),
            QuarantineReason.INVALID_VALUE,
            end_field,
            pl.col("_end").cast(pl.String),
        )
        amount_field = by_canonical["recurring_amount"].source_field
        report(pl.col("recurring_amount") < 0, QuarantineReason.INVALID_VALUE, amount_field, pl.col("recurring_amount"))
        # The rate of the contract's start values it for classifying only (the movements keep its currency).
        amount_col, date_col = "recurring_amount", "contract_start"
    else:
        rows = _map_components(rows, config)
        component_field = by_canonical["movement_component"].source_field
        report(
            pl.col("movement_component").is_not_null() & pl.col("component").is_null(),
            QuarantineReason.UNMAPPED_COMPONENT,
            component_field,
            pl.col("movement_component"),
        )
        report(
            pl.col("component").is_not_null()
            & pl.col("arr_delta").is_not_null()
            & (pl.col("arr_delta").sign() != pl.col("expected_sign")),
            QuarantineReason.SIGN_CONTRADICTS_COMPONENT,
            by_canonical["arr_delta"].source_field,
            pl.col("arr_delta"),
        )
        amount_col, date_col = "arr_delta", "effective_date"

    rows = rows.with_columns(_exact_amount(amount_col, sorted(config.currencies)).alias(amount_col))
    rows = _convert_currency(rows, config, amount_col, date_col)
    report(
        pl.col(amount_col).is_not_null()
        & pl.col(date_col).is_not_null()
        & pl.col("currency").is_in(list(config.currencies))
        & pl.col("fx_rate").is_null(),
        QuarantineReason.UNKNOWN_CURRENCY,
        by_canonical["currency"].source_field if "currency" in by_canonical else "currency",
        pl.concat_str([pl.col("currency"), pl.col(date_col).cast(pl.String)], separator=" on "),
    )

    quarantine_rows = (
        pl.concat(problems, how="vertical").collect()
        if problems
        else pl.DataFrame(schema={"_row": pl.UInt32, "reason_code": pl.String, "field": pl.String, "value": pl.String})
    )
    bad_rows = quarantine_rows["_row"].unique().implode()
    # Narrow to the canonical columns first, then drop bad rows: filtering the wide frame copies it all.
    if obj.from_contracts:
        clean = _movements_from_contracts(rows.filter(~pl.col("_row").is_in(bad_rows)), obj, config, as_of)
    else:
        clean = _canonical(rows, obj, config.reporting_currency).filter(~pl.col("_row").is_in(bad_rows))

    excluded = 0
    if obj.domain == Domain.PIPELINE:
        keep = pl.lit(True)
        if not config.amount_policy.include_zero:
            keep = keep & (pl.col("amount") != 0)
        if not config.amount_policy.include_negative:
            keep = keep & (pl.col("amount") >= 0)
        before = clean.height
        clean = clean.filter(keep)
        excluded = before - clean.height

    identities = rows.filter(pl.col("_row").is_in(bad_rows)).select("_row", "source", "source_id")
    quarantine = (
        quarantine_rows.join(identities, on="_row", how="left")
        .select(
            "source",
            pl.lit(obj.object_name).alias("source_object"),
            preview(pl.col("source_id").cast(pl.String), TEXT_LIMITS["source_id"]).alias("source_id"),
            "reason_code",
            "field",
            preview(pl.col("value")).alias("value"),
        )
        .sort("source_id", "reason_code")
    )
    return clean.drop("_row"), quarantine, excluded


def _movements_from_contracts(
    contracts: pl.DataFrame, obj: ObjectMapping, config: MappingConfig, as_of: date | None
) -> pl.DataFrame:
    """Clean contract rows -> canonical ARR movements (domain/contract_arr.py), each valued at its effective date
    like a movement read from a CRM, stamped with the newest change among the contracts behind it."""
    per_year = 12 if obj.amount_per == "month" else 1
    frame = contracts.select(
        pl.col("source_id").cast(pl.String).alias("contract_id"),
        "account_id",
        pl.col("contract_start").alias("start_date"),
        pl.col("_end").alias("end_date"),
        (pl.col("recurring_amount") * per_year).alias("annual_amount"),
        "currency",
        (pl.col("recurring_amount_reporting") * per_year).alias("annual_amount_reporting"),
    ).cast(CONTRACT_COLUMNS)
    movements = derive_movements(frame, until=as_of)
    stamps = (
        movements.select("source_id", "contracts")
        .explode("contracts")
        .join(
            contracts.select(pl.col("source_id").cast(pl.String).alias("contracts"), "source_modified_at"),
            on="contracts",
            how="left",
        )
        .group_by("source_id")
        .agg(pl.col("source_modified_at").max())
    )
    source = contracts["source"][0] if contracts.height else obj.source
    rows = (
        movements.join(stamps, on="source_id", how="left", maintain_order="left")
        .with_row_index("_row")
        .with_columns(pl.lit(source).alias("source"))
    )
    rows = _convert_currency(rows, config, "arr_delta", "effective_date")
    return rows.select(
        "_row",
        "source",
        pl.lit(obj.object_name).alias("source_object"),
        "source_id",
        "source_modified_at",
        "account_id",
        "effective_date",
        pl.col("arr_delta").round(2),
        "movement_component",
        "currency",
        "arr_delta_reporting",
    )


def _too_long(text: pl.Expr, key: str) -> pl.Expr:
    return too_long(text, TEXT_LIMITS[key])


def _account_ids(rows: pl.DataFrame, crosswalk: pl.DataFrame) -> pl.Expr:
    """Canonical account ID of each row's account value, or null.

    Both sides compare in Salesforce's 18-character form, so a 15-character ID (a report export, a text
    or formula field such as Account_Id_15__c) finds the account its 18-character ID was reconciled as.
    The conversion runs on distinct values only, and the result is a lookup rather than a join (a join
    gathers every column of a million-row frame again).
    """
    links = crosswalk.select(to_18(pl.col("source_account_id")).alias("_key"), "account_id").unique(
        "_key", keep="first", maintain_order=True
    )
    values = rows.select(pl.col("account").drop_nulls().unique())
    found = values.with_columns(to_18(pl.col("account")).alias("_key")).join(links, on="_key", how="inner")
    return pl.col("account").replace_strict(found["account"], found["account_id"], default=None, return_dtype=pl.Int64)


def _map_stages(rows: pl.DataFrame, obj: ObjectMapping, config: MappingConfig, stages: list[Stage]) -> pl.DataFrame:
    defaults = {s.key: s.weight for s in stages}
    closed = {s.key for s in stages if s.semantics != StageSemantics.OPEN}
    mapping = pl.DataFrame(
        {
            "pipeline_id": [s.pipeline_id for s in config.stages],
            "stage": [s.stage_id for s in config.stages],
            "canonical_stage": [s.canonical_stage for s in config.stages],
            # Closed stages keep their fixed weight whatever a mapping says.
            "weight": [
                defaults[s.canonical_stage] if s.canonical_stage in closed or s.weight is None else s.weight
                for s in config.stages
            ],
        },
        schema={"pipeline_id": pl.String, "stage": pl.String, "canonical_stage": pl.String, "weight": pl.Float64},
    )
    # A record with no pipeline value (a Salesforce opportunity with no record type) is in the default one.
    pipeline = (
        pl.col(obj.pipeline_field).cast(pl.String).fill_null(obj.default_pipeline)
        if obj.pipeline_field
        else pl.lit(obj.default_pipeline)
    )
    return rows.with_columns(pipeline.alias("pipeline_id")).join(
        mapping, on=["pipeline_id", "stage"], how="left", maintain_order="left"
    )


def _map_components(rows: pl.DataFrame, config: MappingConfig) -> pl.DataFrame:
    labels = {
        **{c.value: c.value for c in MovementComponent},
        **{k: v.value for k, v in config.movement_components.items()},
    }
    component = pl.col("movement_component").replace_strict(labels, default=None, return_dtype=pl.String)
    return rows.with_columns(component.alias("component")).with_columns(
        pl.col("component")
        .replace_strict({c.value: s for c, s in MOVEMENT_SIGN.items()}, default=None, return_dtype=pl.Int64)
        .alias("expected_sign")
    )


def _convert_currency(rows: pl.DataFrame, config: MappingConfig, amount: str, when: str) -> pl.DataFrame:
    """Rate in force on the record's date (expected close / effective date), per currency.

    The as-of join runs on a narrow frame (row, currency, date): sorting the whole wide frame by date
    and back was half the cost of transforming a million opportunities.
    """
    rates = pl.DataFrame(
        {
            "currency": [r.currency for r in config.fx_rates],
            "_valid_from": [r.valid_from for r in config.fx_rates],
            "fx_rate": [r.rate for r in config.fx_rates],
        },
        schema={"currency": pl.String, "_valid_from": pl.Date, "fx_rate": pl.Float64},
    ).sort("_valid_from")
    keys = rows.select("_row", "currency", pl.col(when).alias("_on")).sort("_on", nulls_last=True)
    found = keys.join_asof(
        rates, left_on="_on", right_on="_valid_from", by="currency", strategy="backward", check_sortedness=False
    ).sort("_row")
    if rows["_row"].is_sorted() and found.height == rows.height:
        rate = found.get_column("fx_rate")
        joined = rows.with_columns(rate)
    else:
        joined = rows.join(found.select("_row", "fx_rate"), on="_row", how="left", maintain_order="left")
    joined = joined.with_columns(
        pl.when(pl.col("currency") == config.reporting_currency).then(1.0).otherwise(pl.col("fx_rate")).alias("fx_rate")
    )
    reporting = config.reporting_currency
    converted = exact(pl.col(amount)) * exact(pl.col("fx_rate"))
    return joined.with_columns(round_money(converted, pl.lit(reporting), [reporting]).alias(f"{amount}_reporting"))


def _exact_amount(column: str, currencies: list[str]) -> pl.Expr:
    """The amount read from its text as a decimal and rounded at its currency's minor unit (domain/money.py);
    a value the decimal reader refuses but the number cast took keeps that number, rounded the same way."""
    from_text = round_money(exact(pl.col(f"_raw_{column}")), pl.col("currency"), currencies)
    return (
        pl.when(pl.col(column).is_null())
        .then(None)
        .otherwise(pl.coalesce(from_text, pl.col(column).round(2, mode=ROUNDING)))
    )


def _canonical(rows: pl.DataFrame, obj: ObjectMapping, reporting: str) -> pl.DataFrame:
    provenance = [
        pl.col("_row"),
        pl.col("source"),
        pl.lit(obj.object_name).alias("source_object"),
        pl.col("source_id"),
        pl.col("source_modified_at"),
    ]
    if obj.domain == Domain.PIPELINE:
        name = pl.col("name") if "name" in rows.columns else pl.lit(None, pl.String)
        return rows.select(
            *provenance,
            name.alias("name"),
            "account_id",
            pl.col("canonical_stage").alias("stage"),
            pl.col("stage").alias("source_stage"),
            "pipeline_id",
            "weight",
            "amount",
            "currency",
            "amount_reporting",
            round_money(
                exact(pl.col("amount_reporting")) * exact(pl.col("weight")), pl.lit(reporting), [reporting]
            ).alias("weighted_amount"),
            "expected_close",
            (pl.col("owner") if "owner" in rows.columns else pl.lit(None, pl.String)).alias("owner"),
            (pl.col("segment") if "segment" in rows.columns else pl.lit(None, pl.String)).alias("segment"),
            (pl.col("opportunity_type") if "opportunity_type" in rows.columns else pl.lit(None, pl.String)).alias(
                "opportunity_type"
            ),
            (
                pl.col("probability_override") if "probability_override" in rows.columns else pl.lit(None, pl.Float64)
            ).alias("probability_override"),
        )
    return rows.select(
        *provenance,
        "account_id",
        "effective_date",
        pl.col("arr_delta").round(2),
        pl.col("component").alias("movement_component"),
        "currency",
        "arr_delta_reporting",
    )
