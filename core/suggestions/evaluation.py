"""`python -m core eval`: precision, recall and F1 of each suggestion type on the labelled sets in tests/evaluation.

Fields and stages are scored as a classification (a correct "nothing" counts towards accuracy; precision and
recall are over the fields that map to something). Accounts are scored pairwise: a pair is predicted a
duplicate when it is suggested (auto-accept or review band) and is truly one when both rows share `entity`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from core.config import PROJECT_ROOT
from core.suggestions.accounts import suggest_duplicates
from core.suggestions.headless import (
    ACCOUNT_COLUMNS,
    FIELD_COLUMNS,
    STAGE_COLUMNS,
    account_records,
    field_suggestions,
    read_table,
    stage_suggestions,
)
from core.suggestions.model import Band

EVALUATION_DIR = PROJECT_ROOT / "tests" / "evaluation"


@dataclass(frozen=True)
class Score:
    kind: str
    items: int
    precision: float
    recall: float
    f1: float
    accuracy: float | None = None
    auto_accept_wrong: int = 0
    mistakes: tuple[str, ...] = ()

    def line(self) -> str:
        accuracy = f"  top-1 accuracy {self.accuracy:.3f}" if self.accuracy is not None else ""
        return (f"{self.kind:<9} n={self.items:<5} precision {self.precision:.3f}  recall {self.recall:.3f}  "
                f"F1 {self.f1:.3f}{accuracy}  wrong in auto-accept: {self.auto_accept_wrong}")


def _prf(true_positive: int, predicted: int, actual: int) -> tuple[float, float, float]:
    precision = true_positive / predicted if predicted else 1.0
    recall = true_positive / actual if actual else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def _classification(kind: str, labels: list[str], subjects: list[str], suggestions) -> Score:
    predicted = [s.target for s in suggestions]
    correct = [p == e for p, e in zip(predicted, labels, strict=True)]
    true_positive = sum(c and e != "" for c, e in zip(correct, labels, strict=True))
    precision, recall, f1 = _prf(true_positive, sum(p != "" for p in predicted), sum(e != "" for e in labels))
    wrong_auto = sum(not c and s.band == Band.AUTO_ACCEPT for c, s in zip(correct, suggestions, strict=True))
    mistakes = tuple(f"{subject}: suggested '{s.target}' ({s.score:.2f}, {s.band.value}), expected '{e}'"
                     for subject, s, e, c in zip(subjects, suggestions, labels, correct, strict=True) if not c)
    return Score(kind, len(labels), precision, recall, f1, sum(correct) / len(labels), wrong_auto, mistakes)


def evaluate_fields(path: Path = EVALUATION_DIR / "fields.csv") -> Score:
    frame = read_table(path, FIELD_COLUMNS + ("expected",))
    suggestions = field_suggestions(frame)
    labels = [e or "" for e in frame["expected"].to_list()]
    return _classification("fields", labels, [f"{o}.{n}" for o, n in frame.select("object", "name").iter_rows()],
                           suggestions)


def evaluate_stages(path: Path = EVALUATION_DIR / "stages.csv") -> Score:
    frame = read_table(path, STAGE_COLUMNS + ("expected",))
    suggestions = stage_suggestions(frame)
    labels = [e or "" for e in frame["expected"].to_list()]
    return _classification("stages", labels, [f"{p}/{s}" for p, s in frame.select("pipeline", "stage_id").iter_rows()],
                           suggestions)


def evaluate_accounts(path: Path = EVALUATION_DIR / "accounts.csv") -> Score:
    frame = read_table(path, ACCOUNT_COLUMNS + ("entity",))
    run = suggest_duplicates(account_records(frame))
    names = dict(frame.select("account_id", "name").iter_rows())
    predicted = {(a, b): band for a, b, band in run.pairs.select("account_id_a", "account_id_b", "band").iter_rows()}
    groups = frame.group_by("entity").agg(pl.col("account_id"))
    actual = {tuple(sorted((x, y))) for ids in groups["account_id"].to_list() for x in ids for y in ids if x < y}
    true_positive = sum(pair in actual for pair in predicted)
    precision, recall, f1 = _prf(true_positive, len(predicted), len(actual))
    wrong_auto = sum(pair not in actual and band == Band.AUTO_ACCEPT.value for pair, band in predicted.items())
    mistakes = tuple([f"false pair: {names[a]} / {names[b]}" for a, b in predicted if (a, b) not in actual]
                     + [f"missed pair: {names[a]} / {names[b]}" for a, b in sorted(actual) if (a, b) not in predicted])
    return Score("accounts", len(actual), precision, recall, f1, None, wrong_auto, mistakes)


def evaluate_all() -> list[Score]:
    return [evaluate_fields(), evaluate_stages(), evaluate_accounts()]
