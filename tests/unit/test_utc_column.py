"""The one column type for moments: whatever was written, a reader gets UTC-aware time back."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from ics_capacity.db.utc import UTCDateTime
from ics_capacity.domain.moments import as_utc, when

LONDON_SUMMER = dt.timezone(dt.timedelta(hours=1), "BST")


def _round_trip(value: dt.datetime | None) -> dt.datetime | None:
    engine = sa.create_engine("sqlite://")
    table = sa.Table("t", sa.MetaData(), sa.Column("at", UTCDateTime, nullable=True))
    table.metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(table.insert().values(at=value))
        return connection.execute(sa.select(table.c.at)).scalar_one()


def test_sqlite_gives_back_aware_utc_for_an_aware_value_in_another_zone() -> None:
    written = dt.datetime(2026, 7, 1, 9, 30, tzinfo=LONDON_SUMMER)
    read = _round_trip(written)
    assert read == written
    assert read is not None and read.tzinfo == dt.UTC and read.hour == 8


def test_a_naive_value_is_taken_as_utc() -> None:
    read = _round_trip(dt.datetime(2026, 12, 3, 21, 40))
    assert read == dt.datetime(2026, 12, 3, 21, 40, tzinfo=dt.UTC)


def test_nothing_stays_nothing() -> None:
    assert _round_trip(None) is None


def test_one_formatter_for_every_moment() -> None:
    assert when(dt.datetime(2026, 12, 3, 21, 40, tzinfo=dt.UTC)) == "03 Dec 2026 21:40 UTC"
    assert when(dt.datetime(2026, 7, 1, 9, 30, tzinfo=LONDON_SUMMER)) == "01 Jul 2026 08:30 UTC"
    assert when(None) == ""
    assert as_utc(dt.datetime(2026, 1, 1)).tzinfo == dt.UTC
