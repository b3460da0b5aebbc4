"""The canonical revenue model: the one definition of fields, stages and movement components.

Everything that speaks about pipeline or ARR actuals (sync, mappings, exports, the CLI, pages)
imports its names from here, so a key is spelled the same way everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import polars as pl


class Domain(StrEnum):
    """The two axes of the revenue model. Both can exist on one account."""

    PIPELINE = "pipeline"
    ARR_ACTUALS = "arr_actuals"

    @property
    def label(self) -> str:
        return {"pipeline": "Pipeline", "arr_actuals": "ARR actuals"}[self.value]


class FieldType(StrEnum):
    """Types a CRM field is cast to when it is mapped onto a canonical field."""

    STRING = "string"
    NUMBER = "number"
    CURRENCY = "currency"
    DATE = "date"
    DATETIME = "datetime"
    BOOLEAN = "boolean"
    PERCENT = "percent"  # a share stated in percent (Salesforce's percent fields): 40 is 0.40


@dataclass(frozen=True)
class CanonicalField:
    """One field of a canonical record, as users and mapping files name it."""

    key: str
    label: str
    type: FieldType
    required: bool
    description: str


# Pipeline (opportunity / deal) record. Identity fields first, then the mappable fields.
PIPELINE_IDENTITY: tuple[str, ...] = ("source", "source_id", "name")
PIPELINE_FIELDS: tuple[CanonicalField, ...] = (
    CanonicalField("account", "Account", FieldType.STRING, True, "CRM account the deal belongs to"),
    CanonicalField("stage", "Stage", FieldType.STRING, True, "CRM stage, mapped onto a canonical stage"),
    CanonicalField("amount", "Amount", FieldType.CURRENCY, True, "Deal amount in the record currency"),
    CanonicalField("currency", "Currency", FieldType.STRING, False, "ISO 4217 code; workspace currency if unmapped"),
    CanonicalField("expected_close", "Expected close", FieldType.DATE, True, "Expected or actual close date"),
    CanonicalField("owner", "Owner", FieldType.STRING, False, "Deal owner (name or e-mail)"),
    CanonicalField("segment", "Segment", FieldType.STRING, False, "Customer segment, e.g. Enterprise / SMB"),
    CanonicalField(
        "opportunity_type",
        "Opportunity type",
        FieldType.STRING,
        False,
        "New business, upsell or renewal: which won deals should book an ARR movement",
    ),
    CanonicalField(
        "probability_override",
        "Probability override",
        FieldType.PERCENT,
        False,
        "The deal's own win probability, used instead of its stage's weight while it is open",
    ),
)

# ARR movement event. arr_delta is signed (see MOVEMENT_SIGN).
ARR_IDENTITY: tuple[str, ...] = ("source", "source_id")
ARR_FIELDS: tuple[CanonicalField, ...] = (
    CanonicalField("account", "Account", FieldType.STRING, True, "CRM account whose ARR moved"),
    CanonicalField("effective_date", "Effective date", FieldType.DATE, True, "Date the ARR change takes effect"),
    CanonicalField("arr_delta", "ARR change", FieldType.CURRENCY, True, "Signed change in annual recurring revenue"),
    CanonicalField(
        "movement_component", "Movement", FieldType.STRING, True, "new, expansion, contraction, churn, reactivation"
    ),
    CanonicalField("currency", "Currency", FieldType.STRING, False, "ISO 4217 code; workspace currency if unmapped"),
)

# ARR actuals read as contracts (domain/contract_arr.py derives the movements): an object whose rows are
# subscriptions, contract records or closed-won opportunities with a term.
CONTRACT_FIELDS: tuple[CanonicalField, ...] = (
    CanonicalField("account", "Account", FieldType.STRING, True, "CRM account the contract belongs to"),
    CanonicalField("contract_start", "Contract start", FieldType.DATE, True, "First day the contract counts"),
    CanonicalField("contract_end", "Contract end", FieldType.DATE, False, "Last day (inclusive); or map the term"),
    CanonicalField(
        "contract_term_months", "Term (months)", FieldType.NUMBER, False, "Length in months, when there is no end date"
    ),
    CanonicalField(
        "recurring_amount", "Recurring amount", FieldType.CURRENCY, True, "Recurring value per year (or per month)"
    ),
    CanonicalField("currency", "Currency", FieldType.STRING, False, "ISO 4217 code; workspace currency if unmapped"),
)
MOVEMENTS, CONTRACTS = "movements", "contracts"  # how an ARR object states ARR: as movement events or as contracts

FIELDS_BY_DOMAIN: dict[Domain, tuple[CanonicalField, ...]] = {
    Domain.PIPELINE: PIPELINE_FIELDS,
    Domain.ARR_ACTUALS: ARR_FIELDS,
}
IDENTITY_BY_DOMAIN: dict[Domain, tuple[str, ...]] = {
    Domain.PIPELINE: PIPELINE_IDENTITY,
    Domain.ARR_ACTUALS: ARR_IDENTITY,
}


def field_keys(domain: Domain) -> tuple[str, ...]:
    """Mappable canonical field keys of a domain, in display order."""
    return tuple(f.key for f in FIELDS_BY_DOMAIN[domain])


def required_field_keys(domain: Domain) -> tuple[str, ...]:
    """Canonical fields a domain cannot do without."""
    return tuple(f.key for f in FIELDS_BY_DOMAIN[domain] if f.required)


class MovementComponent(StrEnum):
    """Components of an ARR bridge. The order is the order of the bridge."""

    NEW = "new"
    EXPANSION = "expansion"
    REACTIVATION = "reactivation"
    CONTRACTION = "contraction"
    CHURN = "churn"


# +1: the delta must be positive; -1: negative. A zero delta is not a movement.
MOVEMENT_SIGN: dict[MovementComponent, int] = {
    MovementComponent.NEW: 1,
    MovementComponent.EXPANSION: 1,
    MovementComponent.REACTIVATION: 1,
    MovementComponent.CONTRACTION: -1,
    MovementComponent.CHURN: -1,
}


class StageSemantics(StrEnum):
    """What a canonical stage means for rollups. Won and lost are fixed; open is the rest."""

    OPEN = "open"
    WON = "won"
    LOST = "lost"


@dataclass(frozen=True)
class CanonicalStage:
    """A stage of the canonical funnel with its probability weight (0..1)."""

    key: str
    label: str
    weight: float
    semantics: StageSemantics
    order: int


CLOSED_WON = "closed_won"
CLOSED_LOST = "closed_lost"

DEFAULT_STAGES: tuple[CanonicalStage, ...] = (
    CanonicalStage("prospecting", "Prospecting", 0.10, StageSemantics.OPEN, 1),
    CanonicalStage("qualification", "Qualification", 0.20, StageSemantics.OPEN, 2),
    CanonicalStage("evaluation", "Evaluation", 0.40, StageSemantics.OPEN, 3),
    CanonicalStage("proposal", "Proposal", 0.60, StageSemantics.OPEN, 4),
    CanonicalStage("negotiation", "Negotiation", 0.80, StageSemantics.OPEN, 5),
    CanonicalStage(CLOSED_WON, "Closed won", 1.00, StageSemantics.WON, 6),
    CanonicalStage(CLOSED_LOST, "Closed lost", 0.00, StageSemantics.LOST, 7),
)

# Closed stages keep their meaning and weight whatever a workspace renames them to.
FIXED_STAGE_WEIGHTS: dict[str, float] = {CLOSED_WON: 1.0, CLOSED_LOST: 0.0}


# Column schemas of canonical tables as polars frames (what sync writes and exports read).
PIPELINE_SCHEMA: dict[str, pl.DataType] = {
    "source": pl.String(),
    "source_id": pl.String(),
    "name": pl.String(),
    "account": pl.String(),
    "stage": pl.String(),
    "amount": pl.Float64(),
    "currency": pl.String(),
    "expected_close": pl.Date(),
    "owner": pl.String(),
    "segment": pl.String(),
    "opportunity_type": pl.String(),
    "probability_override": pl.Float64(),
}
ARR_SCHEMA: dict[str, pl.DataType] = {
    "source": pl.String(),
    "source_id": pl.String(),
    "account": pl.String(),
    "effective_date": pl.Date(),
    "arr_delta": pl.Float64(),
    "movement_component": pl.String(),
    "currency": pl.String(),
}


def canonical_fields_frame(domain: Domain, *, contracts: bool = False) -> pl.DataFrame:
    """The canonical fields of a domain (or of ARR read as contracts) as a table in words, with the key a mapping
    file uses last."""
    fields = CONTRACT_FIELDS if contracts and domain == Domain.ARR_ACTUALS else FIELDS_BY_DOMAIN[domain]
    return pl.DataFrame(
        {
            "Field": [f.label for f in fields],
            "Type": [f.type.value for f in fields],
            "Required": [f.required for f in fields],
            "What it holds": [f.description for f in fields],
            "Key in the mapping file": [f.key for f in fields],
        }
    )


class QuarantineReason(StrEnum):
    """Why a source row did not roll up. Every quarantined row carries one, with the field and value."""

    UNMAPPED_STAGE = "unmapped_stage"  # the CRM stage has no approved canonical stage
    UNMAPPED_COMPONENT = "unmapped_component"  # the CRM movement type has no canonical component
    UNRECONCILED_ACCOUNT = "unreconciled_account"  # the CRM account is not in the crosswalk
    MISSING_VALUE = "missing_value"  # a required field is empty (an empty amount is never 0)
    INVALID_VALUE = "invalid_value"  # the value does not cast to the field's type
    SIGN_CONTRADICTS_COMPONENT = "sign_contradicts_component"
    UNKNOWN_CURRENCY = "unknown_currency"  # no FX rate into the reporting currency
    DUPLICATE_SOURCE_ID = "duplicate_source_id"  # the same record ID twice in one read
    OUT_OF_RANGE = "out_of_range"  # a number or date no real record holds (beyond MONEY_LIMIT, outside the window)
    TEXT_TOO_LONG = "text_too_long"  # longer than the canonical field holds (TEXT_LIMITS)


REASON_LABELS: dict[QuarantineReason, str] = {
    QuarantineReason.UNMAPPED_STAGE: "Unmapped stage",
    QuarantineReason.UNMAPPED_COMPONENT: "Unmapped movement type",
    QuarantineReason.UNRECONCILED_ACCOUNT: "Unreconciled account",
    QuarantineReason.MISSING_VALUE: "Missing required value",
    QuarantineReason.INVALID_VALUE: "Value does not fit the field's type",
    QuarantineReason.SIGN_CONTRADICTS_COMPONENT: "Sign contradicts the movement type",
    QuarantineReason.UNKNOWN_CURRENCY: "No FX rate for the currency",
    QuarantineReason.DUPLICATE_SOURCE_ID: "Same record ID twice",
    QuarantineReason.OUT_OF_RANGE: "Value outside the possible range",
    QuarantineReason.TEXT_TOO_LONG: "Text longer than the field holds",
}

# Money beyond a quadrillion in any currency is a unit or export error, not a deal (and past 2**53 a double
# no longer holds whole cents).
MONEY_LIMIT = 1e15
# Characters each text value may hold once it lands; the same limits on SQLite and PostgreSQL, so one long
# value is quarantined by name on both instead of failing the whole run on one and bloating the other.
TEXT_LIMITS: dict[str, int] = {
    "source_id": 64,
    "name": 255,
    "account": 64,
    "stage": 120,
    "pipeline": 120,
    "owner": 255,
    "segment": 80,
    "opportunity_type": 80,
    "movement_component": 120,
    "currency": 16,
}
