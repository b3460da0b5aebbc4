import polars as pl
import pytest

from connectors.files import FileSource
from domain.errors import SourceError
from sandbox.demo_data import DemoSpec, write_demo


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    write_demo(DemoSpec(accounts=60, opportunities=200, movements=150), folder)
    return folder


def test_test_connection_lists_every_file_with_rows(demo_folder):
    check = FileSource(demo_folder, source_key="demo").test_connection()
    assert check.ok
    assert {o.name: o.row_count for o in check.objects} == {
        "accounts": 60,
        "arr_movements": 150,
        "opportunities": 200,
        "owners": 12,
        "stages": 14,
    }


def test_describe_reports_types_custom_fields_and_samples(demo_folder):
    objects = {o.name: o for o in FileSource(demo_folder, source_key="demo").describe()}
    fields = {f.name: f for f in objects["opportunities"].fields}
    assert fields["Amount"].type == "number"
    assert fields["Segment__c"].custom and not fields["Amount"].custom
    assert fields["CurrencyIsoCode"].samples and set(fields["CurrencyIsoCode"].samples) <= {"USD", "EUR"}


def test_read_keeps_raw_text_and_adds_source_columns(demo_folder):
    frame = FileSource(demo_folder, source_key="demo_export").read("opportunities")
    assert frame.schema["Amount"] == pl.String  # bad values reach validation untouched
    assert "31/02/2025" in frame["CloseDate"].to_list()
    assert (frame["source"] == "demo_export").all()
    assert frame["source_id"].equals(frame["Id"].alias("source_id"))
    assert (
        frame["source_modified_at"].dtype == pl.Datetime("us", "UTC") and frame["source_modified_at"].null_count() == 0
    )


def test_missing_folder_and_missing_object_name_the_path(tmp_path, demo_folder):
    check = FileSource(tmp_path / "nope", source_key="x").test_connection()
    assert not check.ok and "does not exist" in check.headline
    with pytest.raises(SourceError, match="no file for 'deals'"):
        FileSource(demo_folder, source_key="x").read("deals")


def test_a_corrupt_file_is_named(tmp_path):
    (tmp_path / "good.csv").write_text("Id,Name\n1,A\n")
    (tmp_path / "broken.parquet").write_bytes(b"PAR1 this is not parquet")
    check = FileSource(tmp_path, source_key="x").test_connection()
    assert not check.ok and "broken.parquet" in check.headline


def test_a_file_without_an_id_column_is_refused(tmp_path):
    (tmp_path / "deals.csv").write_text("Name,Amount\nA,1\n")
    with pytest.raises(SourceError, match="no ID column"):
        FileSource(tmp_path, source_key="x").read("deals")
    frame = FileSource(tmp_path, source_key="x", id_fields={"deals": "Name"}).read("deals")
    assert frame["source_id"].to_list() == ["A"]


def test_an_empty_folder_is_not_ok(tmp_path):
    check = FileSource(tmp_path, source_key="x").test_connection()
    assert not check.ok and "No CSV or Parquet files" in check.headline


def test_testing_a_folder_names_the_file_line_and_column_of_a_broken_export(tmp_path):
    from connectors.files import FileSource

    (tmp_path / "accounts.csv").write_text("Id,Name\n1,Acme\n")
    (tmp_path / "deals.csv").write_bytes(b"Id,Name,Amount\n1,Acme,10\n2,Be\x00ta,20\n")
    check = FileSource(tmp_path, source_key="f").test_connection()
    assert not check.ok
    assert check.headline == "'deals.csv', line 3, column 'Name': holds a NUL byte (binary data, not text)."
    (tmp_path / "deals.csv").write_bytes(b"Id,Name,Amount\n1,Acme,10\n")
    assert FileSource(tmp_path, source_key="f").test_connection().ok
