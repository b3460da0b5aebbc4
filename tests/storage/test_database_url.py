"""The database URL as pages and logs show it."""

from storage.db import display_database_url


def test_passwords_never_show_in_the_database_url():
    shown = display_database_url("postgresql+psycopg://finance:s3cret@db.internal:5432/revenue")
    assert "s3cret" not in shown and "db.internal" in shown
