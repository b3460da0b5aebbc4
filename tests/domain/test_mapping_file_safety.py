"""A mapping file a person hands us is checked key by key and parsed within limits (issue 18)."""

from __future__ import annotations

import time

import pytest

from domain.errors import ValidationError
from domain.mapping_config import MAX_MAPPING_BYTES, from_yaml, load_yaml

BILLION_LAUGHS = "\n".join(
    [
        'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
        *(
            f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]"
            for prev, name in zip("abcdefgh", "bcdefghi", strict=True)
        ),
        "objects: *i",
    ]
)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("fx_rate: []", "fx_rate: is not a known key; did you mean 'fx_rates'?"),
        (
            "objects: [{source: s, objcts: d, domain: pipeline, fields: {}}]",
            "objects[0].objcts: is not a known key; did you mean 'object'?",
        ),
        (
            "objects: [{source: s, object: d, domain: pipeline, fields: {Amount: {to: amount, tpye: currency}}}]",
            "objects[0].fields.Amount.tpye: is not a known key; did you mean 'type'?",
        ),
        ("stages: [{pipeline: p, stage: s, to: proposal, wieght: 0.5}]", "stages[0].wieght: is not a known key"),
        ("amount_policy: {include_zeros: true}", "amount_policy.include_zeros: is not a known key"),
        ("fx_rates: [{currency: EUR, from: 2025-01-01, rate: 1.1, note: x}]", "fx_rates[0].note: is not a known key"),
        ("zzz: 1", "zzz: is not a known key (known keys: version,"),
    ],
)
def test_a_misspelled_key_is_refused_with_its_path_and_a_suggestion(text, message):
    with pytest.raises(ValidationError) as raised:
        from_yaml(text)
    assert message in raised.value.user_message


def test_a_billion_laughs_file_fails_fast_with_a_clear_message():
    began = time.perf_counter()
    with pytest.raises(ValidationError, match="expands to more than"):
        from_yaml(BILLION_LAUGHS)
    assert time.perf_counter() - began < 1.0


def test_anchors_reused_without_end_are_refused():
    text = "x: &x 1\nobjects: [" + ", ".join(["*x"] * 101) + "]"
    with pytest.raises(ValidationError, match="reuses YAML anchors more than 100 times"):
        load_yaml(text)


def test_a_file_far_bigger_than_any_mapping_is_refused_before_parsing():
    text = "pipelines:\n" + "".join(f"  p{i}: {'x' * 60}\n" for i in range(MAX_MAPPING_BYTES // 60))
    began = time.perf_counter()
    with pytest.raises(ValidationError, match="MB; at most 2 MB is accepted"):
        from_yaml(text)
    assert time.perf_counter() - began < 1.0


def test_a_deeply_nested_file_is_refused_not_crashed():
    with pytest.raises(ValidationError):
        load_yaml("[" * 20000 + "]" * 20000)


def test_a_window_that_ends_before_it_begins_is_refused():
    with pytest.raises(ValidationError, match="valid_dates: from 2030-01-01 is not before to 2020-01-01"):
        from_yaml("valid_dates: {from: 2030-01-01, to: 2020-01-01}")
