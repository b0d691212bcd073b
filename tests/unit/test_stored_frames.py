"""A projection's tables through JSON and back: same values, same column types, no pickle."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from ics_capacity.projections.stored_frames import (
    StoredProjection,
    frame_from_json,
    frame_to_json,
)


def _round_trip(frame: pd.DataFrame) -> pd.DataFrame:
    return frame_from_json(json.loads(json.dumps(frame_to_json(frame))))


def test_every_column_type_the_dashboard_stores_comes_back_equal() -> None:
    frame = pd.DataFrame(
        {
            "provider": np.array([1, 2, 3], dtype="int64"),
            "pool": pd.Series(["Cannock", None, "Walsall"], dtype="str"),
            "week_start": pd.to_datetime(["2026-01-05", "2026-01-12", "2026-01-19"]).astype(
                "datetime64[us]"
            ),
            "stamp": pd.to_datetime(["2026-01-05", "2026-01-12", "2026-01-19"]).astype(
                "datetime64[ns]"
            ),
            "due": pd.Series([dt.date(2027, 3, 31), None, dt.date(2028, 3, 31)], dtype=object),
            "value": [1.5, np.nan, -2.25],
            "met": [True, False, True],
        }
    )
    back = _round_trip(frame)
    pd.testing.assert_frame_equal(back, frame)
    assert back["due"].iloc[0] == dt.date(2027, 3, 31) and back["due"].iloc[1] is None


def test_an_empty_table_keeps_its_columns() -> None:
    frame = pd.DataFrame({"pool": pd.Series([], dtype="str"), "week": pd.Series([], dtype="int64")})
    pd.testing.assert_frame_equal(_round_trip(frame), frame)


def test_a_stored_projection_gives_copies_and_names_what_it_lacks() -> None:
    total = pd.DataFrame({"week": [0, 1], "list_size": [10.0, 9.0]})
    stored = StoredProjection({"frame:total": total})
    given = stored.frame("total")
    given["list_size"] = 0.0  # a caller adding to or changing what it was given
    assert stored.frame("total")["list_size"].tolist() == [10.0, 9.0]
    with pytest.raises(KeyError, match="'frame:tfc' was not kept"):
        stored.frame("tfc")
