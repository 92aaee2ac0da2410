"""A GTD table as notebooks rename it, brought through the file chooser in Chromium: the
mapping step shows the date split over Year/Month/Day, the user confirms it, and the map
shows the events (screenshots ``26-`` to ``28-`` in tests/artifacts/journeys/).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.pages import COUNT, bring_to_mapping_step, idle, map_frame, selected
from tests.test_journeys import page, shoot  # noqa: F401 (page: the journeys' fixture, by size)

pytestmark = [pytest.mark.browser, pytest.mark.server]

GTD_RENAMED = Path(__file__).parent / "data" / "real" / "gtd_renamed_columns.csv"
NONE = "(not in this table)"


def test_a_gtd_table_with_a_split_date_is_guessed_confirmed_and_mapped(page, server):  # noqa: F811
    bring_to_mapping_step(page, server.url, GTD_RENAMED)
    # the guess: the date is split, over Year, Month and Day
    split = page.get_by_role("radio", name="Split over year, month and day columns")
    expect(split).to_be_checked()
    assert selected(page, "Year column (split date)") == "Year"
    assert selected(page, "Month column (split date)") == "Month"
    assert selected(page, "Day column (split date)") == "Day"
    assert selected(page, "Date (one column)") == NONE
    assert selected(page, "Actor") == "Group"
    split.scroll_into_view_if_needed()
    shoot(page, "26-split-date-guess")
    # the table has no source column: one value for every row, then confirm
    page.get_by_label("Source for rows that name none").fill("Global Terrorism Database (START)")
    page.get_by_role("button", name="Load with this mapping").click()
    page.get_by_text("4 read, 4 accepted, 0 rejected").wait_for(timeout=4 * 60_000)
    idle(page)
    expect(page.get_by_text("give no day or no month", exact=False).first).to_be_visible()
    shoot(page, "27-split-date-loaded")
    page.get_by_role("link", name="Show them on the map").click()
    frame = map_frame(page)
    idle(page)
    expect(page.get_by_text("1 other open dataset is hidden")).to_be_visible()
    expect(page.get_by_text("4 of ", exact=False).first).to_be_visible()
    # the four events, the month- and year-long ones included, are drawn
    assert frame.evaluate(f"() => ({COUNT})('atlas-event')") == 4
    shoot(page, "28-split-date-on-the-map")
    assert page.get_by_test_id("stException").count() == 0
    assert page.errors == []
