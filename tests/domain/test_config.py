import pytest

from domain.config import ensure_data_dir, load_settings
from domain.errors import DataFolderError


def test_defaults_use_sqlite_in_the_data_folder(tmp_path):
    settings = load_settings({"REVENUE_CONNECTOR_DATA": str(tmp_path)})
    assert settings.database_url == f"sqlite:///{tmp_path / 'revenue.db'}"
    assert settings.demo_enabled and not settings.llm.configured


def test_llm_is_configured_only_with_a_model_and_an_endpoint():
    assert not load_settings({"OPENAI_BASE_URL": "http://127.0.0.1:9/v1"}).llm.configured
    assert load_settings(
        {"OPENAI_BASE_URL": "http://127.0.0.1:9/v1", "REVENUE_CONNECTOR_LLM_MODEL": "m"}
    ).llm.configured


def test_an_explicit_missing_folder_is_not_created(tmp_path):
    missing = tmp_path / "typo"
    with pytest.raises(DataFolderError, match="does not exist"):
        ensure_data_dir(load_settings({"REVENUE_CONNECTOR_DATA": str(missing)}))
    assert not missing.exists()


def test_a_file_where_the_folder_should_be_is_left_alone(tmp_path):
    target = tmp_path / "data"
    target.write_text("precious")
    with pytest.raises(DataFolderError, match="is a file"):
        ensure_data_dir(load_settings({"REVENUE_CONNECTOR_DATA": str(target)}))
    assert target.read_text() == "precious"
