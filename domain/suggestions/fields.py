"""Field suggestions: which canonical field (or nothing) each CRM field of an object maps onto.

Signals, strongest first: the dictionary of Salesforce and HubSpot standard names, name and label
similarity (rapidfuzz on words, after splitting camelCase/snake_case and dropping affixes), type
compatibility (a date never maps to `amount`) and a profile of sample values. Each object gets a
one-to-one assignment: a canonical field takes at most one source field and the strongest claim wins.
"Maps to nothing" is an answer like any other, with its own score.
"""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz

from domain.canonical import CONTRACT_FIELDS, Domain, FieldType, required_field_keys
from domain.mapping_config import mappable_fields
from domain.suggestions.model import DEFAULT_THRESHOLDS, NOTHING, BandThresholds, Origin, Suggestion
from domain.suggestions.profile import Profile, profile
from domain.suggestions.text import phrase, words


@dataclass(frozen=True)
class SourceField:
    """A CRM field as the engine sees it (metadata and a few sample values only, never amounts of a record)."""

    system: str  # salesforce, hubspot, file, warehouse
    object_name: str
    name: str
    label: str
    type: str
    samples: tuple[str, ...] = ()


# Standard field names whose meaning the CRM defines. (system, lower-case name) -> (canonical field, score, why)
_DICTIONARY: dict[tuple[str, str], tuple[str, float, str]] = {
    ("salesforce", "name"): ("name", 0.97, "Salesforce standard field Name is the opportunity name"),
    ("salesforce", "accountid"): ("account", 0.98, "Salesforce standard field AccountId links the account"),
    ("salesforce", "stagename"): ("stage", 0.99, "Salesforce standard field StageName is the stage"),
    ("salesforce", "amount"): ("amount", 0.98, "Salesforce standard field Amount is the deal amount"),
    ("salesforce", "currencyisocode"): (
        "currency",
        0.99,
        "Salesforce standard field CurrencyIsoCode (multi-currency org)",
    ),
    ("salesforce", "closedate"): ("expected_close", 0.98, "Salesforce standard field CloseDate is the expected close"),
    ("salesforce", "owner.email"): ("owner", 0.98, "the owner's e-mail (Owner.Email) identifies the deal owner"),
    ("salesforce", "ownerid"): ("owner", 0.93, "Salesforce standard field OwnerId is the deal owner"),
    ("hubspot", "dealname"): ("name", 0.97, "HubSpot standard property dealname is the deal name"),
    ("hubspot", "associated_company_id"): ("account", 0.97, "the deal's primary company association"),
    ("hubspot", "associatedcompanyid"): ("account", 0.96, "the deal's associated company"),
    ("hubspot", "dealstage"): ("stage", 0.99, "HubSpot standard property dealstage is the stage"),
    ("hubspot", "amount"): ("amount", 0.98, "HubSpot standard property amount is the deal amount"),
    ("hubspot", "deal_currency_code"): ("currency", 0.99, "HubSpot standard property deal_currency_code"),
    ("hubspot", "closedate"): ("expected_close", 0.98, "HubSpot standard property closedate is the expected close"),
    ("hubspot", "owner.email"): (
        "owner",
        0.98,
        "the deal owner's e-mail (hubspot_owner_id resolved through the "
        "owners API) identifies the deal owner, as in Salesforce",
    ),
    ("hubspot", "hubspot_owner_id"): ("owner", 0.93, "HubSpot standard property hubspot_owner_id is the deal owner"),
}

# Phrases (as `phrase()` writes them) that name each canonical field in CRMs and exports.
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "name": ("name", "opportunity name", "deal name", "dealname", "opportunity", "deal title"),
    "account": (
        "account",
        "account id",
        "company",
        "company id",
        "customer",
        "customer id",
        "associated company id",
        "account number",
        "client id",
        "account ref",
    ),
    "stage": ("stage", "stage name", "deal stage", "dealstage", "sales stage", "opportunity stage", "pipeline stage"),
    "amount": (
        "amount",
        "deal amount",
        "opportunity amount",
        "deal value",
        "deal size",
        "value",
        "contract value",
        "total amount",
    ),
    "currency": ("currency", "currency code", "currency iso code", "deal currency code", "iso currency", "ccy"),
    "expected_close": (
        "close date",
        "closedate",
        "expected close",
        "expected close date",
        "close",
        "closing date",
        "target close date",
        "estimated close date",
    ),
    "owner": (
        "owner",
        "owner id",
        "deal owner",
        "owner email",
        "opportunity owner",
        "sales rep",
        "rep email",
        "account executive",
        "ae email",
        "hubspot owner id",
    ),
    "segment": (
        "segment",
        "customer segment",
        "market segment",
        "sales segment",
        "segment name",
        "tier",
        "customer tier",
    ),
    "opportunity_type": (
        "type",
        "opportunity type",
        "deal type",
        "dealtype",
        "business type",
        "sales type",
        "new or existing",
    ),
    "effective_date": (
        "effective date",
        "movement date",
        "effective",
        "effective on",
        "event date",
        "change date",
        "arr date",
        "start date",
        "date",
        "month",
        "period",
        "as of date",
        "booking date",
    ),
    "arr_delta": (
        "arr change",
        "arr delta",
        "delta arr",
        "net arr",
        "arr movement",
        "change in arr",
        "arr amount",
        "arr change amount",
        "delta",
        "arr",
    ),
    # ARR read as contracts (subscriptions, contract records, closed-won deals with a term).
    "contract_start": (
        "start date",
        "contract start",
        "contract start date",
        "subscription start",
        "subscription start date",
        "service start",
        "service start date",
        "start",
        "effective date",
    ),
    "contract_end": (
        "end date",
        "contract end",
        "contract end date",
        "subscription end",
        "subscription end date",
        "service end date",
        "expiration date",
        "expiry date",
        "end",
        "renewal date",
    ),
    "contract_term_months": ("contract term", "term", "term months", "term in months", "months", "duration months"),
    "recurring_amount": (
        "arr",
        "mrr",
        "annual recurring revenue",
        "monthly recurring revenue",
        "recurring amount",
        "recurring revenue",
        "subscription amount",
        "annual value",
        "annual contract value",
        "acv",
        "contract value",
        "monthly fee",
        "annual fee",
        "subscription fee",
        "monthly amount",
        "annual amount",
        "fee",
        "amount",
    ),
    # Only fields that say they override: a CRM's plain Probability follows the stage's default, and mapping it
    # would replace every configured weight with the CRM's own.
    "probability_override": (
        "probability override",
        "override probability",
        "manual probability",
        "forecast probability override",
        "win probability override",
    ),
    "movement_component": (
        "movement type",
        "movement",
        "change type",
        "arr movement type",
        "movement category",
        "type",
        "category",
        "component",
        "movement component",
    ),
}

# Which source type families each canonical field accepts.
_FAMILIES = {
    "id": {"id", "reference"},
    "number": {"currency", "double", "int", "integer", "number", "long", "decimal", "float"},
    "date": {"date"},
    "datetime": {"datetime", "timestamp"},
    "boolean": {"boolean", "bool", "checkbox"},
    "picklist": {"picklist", "enumeration", "combobox", "multipicklist"},
    "email": {"email"},
    "percent": {"percent"},
    "longtext": {"textarea", "html", "base64", "address", "location"},
}
_ACCEPTS = {
    "name": {"text"},
    "account": {"id", "text", "number"},
    "stage": {"picklist", "text"},
    "amount": {"number"},
    "arr_delta": {"number"},
    "currency": {"picklist", "text"},
    "expected_close": {"date", "datetime"},
    "effective_date": {"date", "datetime"},
    "owner": {"id", "text", "email"},
    "segment": {"picklist", "text"},
    "opportunity_type": {"picklist", "text"},
    "movement_component": {"picklist", "text"},
    "contract_start": {"date", "datetime"},
    "contract_end": {"date", "datetime"},
    "contract_term_months": {"number"},
    "recurring_amount": {"number"},
    "probability_override": {"percent", "number"},
}
# Sample profiles that confirm a canonical field, and text fields that may hold numbers or dates.
_CONFIRMS = {
    "amount": {Profile.NUMBERS},
    "arr_delta": {Profile.NUMBERS},
    "currency": {Profile.CURRENCY_CODES},
    "expected_close": {Profile.DATES},
    "effective_date": {Profile.DATES},
    "contract_start": {Profile.DATES},
    "contract_end": {Profile.DATES},
    "recurring_amount": {Profile.NUMBERS},
    "contract_term_months": {Profile.NUMBERS},
    "owner": {Profile.EMAILS},
    "movement_component": {Profile.MOVEMENT_WORDS},
    "account": {Profile.IDS},
}
_TELLING = {Profile.CURRENCY_CODES, Profile.MOVEMENT_WORDS, Profile.DATES, Profile.NUMBERS, Profile.EMAILS}
_NUMERIC_TARGETS = {"amount", "arr_delta", "recurring_amount", "contract_term_months"}
_DATE_TARGETS = {"expected_close", "effective_date", "contract_start", "contract_end"}
_CANDIDATE_FLOOR = 0.45  # below this a target is not worth proposing


def family(type_name: str) -> str:
    """The family of a source type ('currency' -> number, 'reference' -> id); unknown types are text."""
    lowered = (type_name or "string").lower()
    return next((name for name, members in _FAMILIES.items() if lowered in members), "text")


def canonical_type(target: str) -> FieldType:
    """The cast a mapping onto `target` uses."""
    if target == "contract_term_months":
        return FieldType.NUMBER
    if target == "probability_override":
        return FieldType.PERCENT
    if target in _NUMERIC_TARGETS:
        return FieldType.CURRENCY
    return FieldType.DATE if target in _DATE_TARGETS else FieldType.STRING


def guess_domain(object_name: str, fields: list[SourceField]) -> Domain:
    """Pipeline unless the object's name or values say ARR movements."""
    name = set(words(object_name))
    if name & {"arr", "movement", "movements", "mrr", "subscription", "subscriptions", "bridge", "revenue"}:
        return Domain.ARR_ACTUALS
    if name & {"opportunity", "opportunities", "deal", "deals", "pipeline"}:
        return Domain.PIPELINE
    if any(profile(f.samples) == Profile.MOVEMENT_WORDS for f in fields):
        return Domain.ARR_ACTUALS
    return Domain.PIPELINE


_KEY_WORDS = frozenset({"id", "key", "uuid", "guid"})


def _name_similarity(field: SourceField, target: str) -> tuple[float, str]:
    best, why = 0.0, ""
    for text in {phrase(field.name), phrase(field.label)} - {""}:
        text_words = set(text.split())
        for synonym in _SYNONYMS[target]:
            score = fuzz.ratio(text, synonym) / 100
            synonym_words = set(synonym.split())
            own, theirs = text_words - synonym_words, synonym_words - text_words
            # 'mrr delta' is not 'arr delta', nor 'created date' 'close date': a swapped word is a different meaning.
            if own and theirs and fuzz.ratio(" ".join(sorted(own)), " ".join(sorted(theirs))) < 75:
                score *= 0.7
            # 'opportunity id' is a key, not 'opportunity type': an identifier word on one side only.
            if own & _KEY_WORDS and not synonym_words & _KEY_WORDS:
                score *= 0.5
            # 'deal amount usd' contains 'deal amount': close to equal when at most one word is extra.
            if not theirs and len(own) <= 1:
                score = max(score, 0.86 if len(synonym_words) > 1 else 0.80)
            if score > best:
                best, why = score, f"'{text}' ≈ '{synonym}'" if score < 1 else f"name '{text}'"
    return best, why


def _candidate(field: SourceField, target: str, system: str, field_profile: Profile) -> tuple[float, list[str], str]:
    """Score of `field` -> `target` before the one-to-one assignment, with reasons and origin."""
    fam = family(field.type)
    accepts = _ACCEPTS[target]
    entry = _DICTIONARY.get((system, field.name.lower()))
    if fam not in accepts and not (entry and entry[0] == target):
        text_ok = fam in {"text", "picklist"} and (
            (target in _NUMERIC_TARGETS and field_profile == Profile.NUMBERS)
            or (target in _DATE_TARGETS and field_profile == Profile.DATES)
        )
        if not text_ok:
            return 0.0, [], ""
    if entry and entry[0] == target:
        score, reasons, origin = entry[1], [entry[2]], Origin.DICTIONARY.value
    else:
        similarity, why = _name_similarity(field, target)
        score, reasons, origin = 0.93 * similarity, [why] if why else [], Origin.RAPIDFUZZ.value
    if field_profile in _CONFIRMS.get(target, set()):
        score = min(0.99, score + 0.06)
        if field_profile == Profile.MOVEMENT_WORDS and origin != Origin.DICTIONARY.value:
            score = max(score, 0.75)
        if field_profile == Profile.CURRENCY_CODES and origin != Origin.DICTIONARY.value:
            score = max(score, 0.80)
        reasons.append(f"sample values are {field_profile.value}")
    elif field_profile == Profile.NUMBERS and target in {"account", "owner"}:
        pass  # numeric record IDs (HubSpot) are still IDs
    elif field_profile in _TELLING or (field_profile == Profile.TEXT and target in _NUMERIC_TARGETS | _DATE_TARGETS):
        score *= 0.5
        reasons.append(f"but sample values are {field_profile.value}")
    if fam in {"date", "datetime", "number", "picklist", "id"} and score >= _CANDIDATE_FLOOR:
        reasons.append(f"type {field.type} fits")
    return score, reasons, origin


def suggest_fields(
    fields: list[SourceField],
    domain: Domain | None = None,
    *,
    thresholds: BandThresholds = DEFAULT_THRESHOLDS,
    already_mapped: dict[str, str] | None = None,
    contracts: bool = False,
) -> list[Suggestion]:
    """One suggestion per source field of one object, in the order given.

    `already_mapped` (canonical field -> source field in force) are taken before any of `fields` claims one,
    so a field added to a mapped object is never offered a canonical field that is already filled.
    `contracts`: the object states ARR as contracts, so its fields map onto the contract fields.
    """
    if not fields:
        return []
    domain = domain or guess_domain(fields[0].object_name, fields)
    targets = tuple(f.key for f in CONTRACT_FIELDS) if contracts else mappable_fields(domain)
    candidates: dict[str, list[tuple[float, str, list[str], str]]] = {}
    for field in fields:
        field_profile = profile(field.samples)
        options = []
        for target in targets:
            score, reasons, origin = _candidate(field, target, field.system.lower(), field_profile)
            if score > 0:
                options.append((round(score, 3), target, reasons, origin))
        candidates[field.name] = sorted(options, key=lambda o: -o[0])

    # Greedy one-to-one: the strongest claim on each canonical field wins.
    claims = sorted(
        ((opt[0], name, opt) for name, opts in candidates.items() for opt in opts if opt[0] >= _CANDIDATE_FLOOR),
        key=lambda c: -c[0],
    )
    taken: dict[str, str] = dict(already_mapped or {})
    chosen: dict[str, tuple[float, str, list[str], str]] = {}
    for _, name, option in claims:
        if name in chosen or option[1] in taken:
            continue
        taken[option[1]] = name
        chosen[name] = option

    suggestions = []
    for field in fields:
        options = candidates[field.name]
        if field.name in chosen:
            score, target, reasons, origin = chosen[field.name]
            others = [o for o in options if o[1] != target]
            runner_up, runner_score = (others[0][1], others[0][0]) if others else (NOTHING, round(1 - score, 3))
            suggestions.append(
                Suggestion(
                    field.name,
                    target,
                    score,
                    thresholds.band(score),
                    tuple(reasons),
                    origin,
                    runner_up,
                    runner_score,
                    group=field.object_name,
                )
            )
            continue
        suggestions.append(_nothing(field, options, taken, thresholds, _open_required(domain, taken, contracts)))
    return suggestions


def _open_required(domain: Domain, taken: dict[str, str], contracts: bool = False) -> set[str]:
    required = {f.key for f in CONTRACT_FIELDS if f.required} if contracts else set(required_field_keys(domain))
    return required - set(taken)


def _nothing(
    field: SourceField, options: list, taken: dict[str, str], thresholds: BandThresholds, open_required: set[str]
) -> Suggestion:
    """'Maps to nothing', scored by how strong the best claim this field lost or never reached was."""
    free = [o for o in options if o[1] not in taken]
    lost = [o for o in options if o[1] in taken]
    risk = max([o[0] for o in free] + [0.6 * o[0] for o in lost] + [0.0])
    score = round(min(0.97, max(0.0, 1.0 - risk) + 0.30), 3) if risk < 0.6 else round(1.2 - risk, 3)
    unfilled = sorted(t for t in open_required if family(field.type) in _ACCEPTS[t])
    if unfilled:
        # A required canonical field is still empty and this field's type would fit it: a person should look.
        score = min(score, 0.7)
    if lost and (not free or lost[0][0] >= free[0][0]):
        best = lost[0]
        reasons = [f"closest match {best[1]} ({best[0]:.2f}) is taken by {taken[best[1]]}"]
    elif free:
        best = free[0]
        reasons = [f"no canonical field fits well; closest is {best[1]} ({best[0]:.2f})"]
    else:
        best = None
        reasons = [
            f"type {field.type} fits no canonical field"
            if family(field.type) in {"boolean", "percent", "longtext"}
            else "no canonical field resembles this field"
        ]
    if unfilled:
        reasons.append(f"required {', '.join(unfilled)} is still unmapped and type {field.type} would fit")
    return Suggestion(
        field.name,
        NOTHING,
        score,
        thresholds.band(score),
        tuple(reasons),
        Origin.RULES.value,
        best[1] if best else None,
        best[0] if best else None,
        group=field.object_name,
    )
