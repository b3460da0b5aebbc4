"""A workspace's canonical stage set: rename, reweight, add and reorder, with closed stages fixed."""

from __future__ import annotations

import re
from collections.abc import Iterable

from domain.canonical import (
    CLOSED_LOST,
    CLOSED_WON,
    DEFAULT_STAGES,
    FIXED_STAGE_WEIGHTS,
    CanonicalStage,
    StageSemantics,
)
from domain.errors import InvalidStageSet

_KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def default_stage_set() -> list[CanonicalStage]:
    """The stages every new workspace starts with."""
    return list(DEFAULT_STAGES)


def stage_key_from_label(label: str) -> str:
    """A stable key for a new stage a user adds by label, e.g. 'Security review' -> 'security_review'."""
    key = re.sub(r"[^a-z0-9]+", "_", label.strip().lower()).strip("_")
    if not key or not key[0].isalpha():
        key = f"stage_{key}".strip("_")
    return key[:40]


def validate_stage_set(stages: Iterable[CanonicalStage]) -> list[CanonicalStage]:
    """Check a stage set and return it ordered, open stages first, then won, then lost.

    Rules: keys unique and lower_snake_case; labels non-empty and unique; open weights within
    [0, 1]; exactly one won stage keyed `closed_won` weighted 1.0 and one lost stage keyed
    `closed_lost` weighted 0.0, because rollups rely on that meaning whatever the label says.
    """
    stages = list(stages)
    if not stages:
        raise InvalidStageSet("A workspace needs at least its two closed stages.")
    seen_keys: set[str] = set()
    seen_labels: set[str] = set()
    for stage in stages:
        if not _KEY_PATTERN.match(stage.key):
            raise InvalidStageSet(
                f"Stage key '{stage.key}' is not valid.",
                hint="Use lower-case letters, digits and underscores, starting with a letter.",
            )
        if stage.key in seen_keys:
            raise InvalidStageSet(f"Stage key '{stage.key}' is used twice.")
        seen_keys.add(stage.key)
        label = stage.label.strip()
        if not label:
            raise InvalidStageSet(f"Stage '{stage.key}' has an empty label.")
        if label.lower() in seen_labels:
            raise InvalidStageSet(f"Stage label '{label}' is used twice.")
        seen_labels.add(label.lower())
        if not 0.0 <= stage.weight <= 1.0:
            raise InvalidStageSet(
                f"Stage '{label}' has weight {stage.weight}.", hint="Weights run from 0 to 1 (0.35 = 35%)."
            )
        expected = {CLOSED_WON: StageSemantics.WON, CLOSED_LOST: StageSemantics.LOST}.get(
            stage.key, StageSemantics.OPEN
        )
        if stage.semantics != expected:
            raise InvalidStageSet(
                f"Stage '{label}' cannot be '{stage.semantics.value}'.",
                hint="Only closed_won is won and only closed_lost is lost.",
            )
        if stage.key in FIXED_STAGE_WEIGHTS and stage.weight != FIXED_STAGE_WEIGHTS[stage.key]:
            raise InvalidStageSet(
                f"Stage '{label}' must keep weight {FIXED_STAGE_WEIGHTS[stage.key]:.0%}.",
                hint="Closed won always counts in full and closed lost never counts.",
            )
    for fixed in (CLOSED_WON, CLOSED_LOST):
        if fixed not in seen_keys:
            raise InvalidStageSet(f"The stage set must keep '{fixed}'.", hint="It can be renamed, not removed.")
    open_stages = sorted((s for s in stages if s.semantics == StageSemantics.OPEN), key=lambda s: s.order)
    won = [s for s in stages if s.key == CLOSED_WON]
    lost = [s for s in stages if s.key == CLOSED_LOST]
    ordered = open_stages + won + lost
    return [
        CanonicalStage(s.key, s.label.strip(), float(s.weight), s.semantics, position)
        for position, s in enumerate(ordered, start=1)
    ]


def stages_from_rows(rows: list[dict]) -> list[CanonicalStage]:
    """Stages from an edited table (label, weight, order, key): new rows get a key from their label.

    Closed stages keep their semantics by key; everything else is an open stage.
    """
    stages = []
    for position, row in enumerate(rows, start=1):
        label = str(row.get("label") or "").strip()
        key = str(row.get("key") or "").strip() or stage_key_from_label(label)
        semantics = {CLOSED_WON: StageSemantics.WON, CLOSED_LOST: StageSemantics.LOST}.get(key, StageSemantics.OPEN)
        weight = row.get("weight")
        if weight is None:
            raise InvalidStageSet(f"Stage '{label or key}' has no weight.", hint="Enter a weight between 0 and 1.")
        order = row.get("order")
        stages.append(
            CanonicalStage(key, label, float(weight), semantics, int(order) if order is not None else position)
        )
    return stages


def stage_set_revision(stages: Iterable[CanonicalStage]) -> str:
    """A short fingerprint of a stage set; editors key on it so a saved change drops stale drafts."""
    import hashlib

    text = "|".join(f"{s.key}:{s.label}:{s.weight}:{s.order}" for s in stages)
    return hashlib.sha1(text.encode()).hexdigest()[:10]
