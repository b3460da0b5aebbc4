"""Versioned mapping files on both databases: validated against the workspace, audited, newest in force."""

from pathlib import Path

import pytest

from domain.config import PROJECT_ROOT
from domain.errors import ValidationError
from services.startup import start
from storage.db import session_scope
from storage.mappings import latest_mapping, save_mapping
from storage.progress import setup_facts

DEMO_MAPPING = Path(PROJECT_ROOT / "docs" / "demo-mapping.yaml").read_text()


@pytest.fixture
def engine(settings):
    engine = start(settings)
    yield engine
    engine.dispose()


def test_each_import_is_a_new_version_and_the_newest_is_in_force(engine):
    with session_scope(engine) as session:
        assert latest_mapping(session, 1) is None
        first = save_mapping(session, 1, DEMO_MAPPING, actor="dana")
        second = save_mapping(session, 1, DEMO_MAPPING.replace("rate: 1.12", "rate: 1.15"), actor="sam", note="new FX")
    with session_scope(engine) as session:
        row, config = latest_mapping(session, 1)
        assert (first.version, second.version, row.version) == (1, 2, 2)
        assert config.fx_rates[-1].rate == 1.15 and row.created_by == "sam"
        facts = setup_facts(session, 1)
        assert {"account", "stage", "amount", "expected_close"} <= facts.mapped_fields[
            next(iter(d for d in facts.mapped_fields if d.value == "pipeline"))
        ]
        assert facts.stages_approved == 14


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda t: t.replace("source: demo_crm_salesforce_sandbox", "source: hubspot_prod", 1),
            r"objects\[0\].source: 'hubspot_prod' is not a connection of this workspace",
        ),
        (lambda t: t.replace("to: negotiation", "to: verbal", 1), r"stages\[\d+\].to: 'verbal' is not one of"),
    ],
)
def test_a_mapping_that_does_not_fit_the_workspace_is_refused_and_nothing_is_stored(engine, change, message):
    with pytest.raises(ValidationError, match=message), session_scope(engine) as session:
        save_mapping(session, 1, change(DEMO_MAPPING), actor="dana")
    with session_scope(engine) as session:
        assert latest_mapping(session, 1) is None
