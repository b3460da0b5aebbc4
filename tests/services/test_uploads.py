import pytest

from connectors.files import FileSource
from domain.config import load_settings
from domain.errors import ValidationError
from services.uploads import save_uploads


def test_uploaded_files_become_a_readable_folder(tmp_path):
    settings = load_settings({"REVENUE_CONNECTOR_DATA": str(tmp_path)})
    folder = save_uploads(settings, 3, "Finance ARR export", [("arr_movements.csv", b"Id,Delta\na1,100\na2,-50\n")])
    assert folder == tmp_path / "uploads" / "workspace_3" / "finance_arr_export"
    assert FileSource(folder, source_key="f").read("arr_movements")["Delta"].to_list() == ["100", "-50"]
    assert not list(folder.glob("*.tmp"))


@pytest.mark.parametrize(("files", "message"), [([], "choose at least one"), ([("deals.xlsx", b"x")], "not a .csv")])
def test_bad_uploads_are_refused(tmp_path, files, message):
    settings = load_settings({"REVENUE_CONNECTOR_DATA": str(tmp_path)})
    with pytest.raises(ValidationError, match=message):
        save_uploads(settings, 1, "x", files)
