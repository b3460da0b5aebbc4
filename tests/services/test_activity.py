"""Settings' activity list in words (issue 21): no `renames: []`, times in the viewer's zone."""

from services.activity import detail_text


def test_details_leave_out_what_is_empty_and_read_as_words():
    text = detail_text(
        {
            "renames": [],
            "accounts": 1500,
            "merged": None,
            "before": {"reactivation_window": None, "net_same_month": False},
            "after": {"reactivation_window": 90, "net_same_month": True},
            "ids": ["a", "b", "c", "d", "e", "f", "g"],
        }
    )
    assert "renames" not in text and "merged" not in text and "[]" not in text
    assert "accounts: 1,500" in text
    assert "before: reactivation window none, net same month no" in text
    assert "after: reactivation window 90, net same month yes" in text
    assert "ids: a, b, c, d, e and 2 more" in text


def test_the_activity_rows_show_times_in_the_viewers_zone(env):
    from domain.config import load_settings
    from services.activity import ACTIVITY_COLUMNS, activity_rows
    from storage.db import open_database, session_scope
    from storage.workspaces import create_workspace

    engine = open_database(load_settings(env))
    with session_scope(engine) as session:
        ws = create_workspace(session, "Acme", actor="dana").id
    with session_scope(engine) as session:
        utc = activity_rows(session, ws, "UTC")
        tokyo = activity_rows(session, ws, "Asia/Tokyo")
    assert utc.columns == list(ACTIVITY_COLUMNS) and utc["Who"].to_list() == ["dana"]
    assert utc["What"][0] == "Create workspace" and utc["When"][0] != tokyo["When"][0]
    engine.dispose()
