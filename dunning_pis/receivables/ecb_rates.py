"""The ECB main refinancing rate, read from the ECB Data Portal's SDMX CSV answer.

The series ``FM.B.U2.EUR.4F.KR.MRR_FR.LEV`` ("Main refinancing operations - fixed rate tenders (fixed
rate) (date of changes) - Level") is fetched as ``/service/data/FM/B.U2.EUR.4F.KR.MRR_FR.LEV?format=csvdata``:
a header row naming the columns (``KEY``, ``FREQ``, ..., ``TIME_PERIOD``, ``OBS_VALUE``, ``OBS_STATUS``,
..., ``TITLE``, ...), then one row per observation. The columns are read by name, never by position,
and an answer that is not that is refused whole, so that a broken feed never writes a wrong rate.
"""

import csv
import io
from datetime import date
from decimal import Decimal, InvalidOperation

SERIES_KEY = "FM.B.U2.EUR.4F.KR.MRR_FR.LEV"
URL = f"https://data-api.ecb.europa.eu/service/data/FM/{SERIES_KEY.split('.', 1)[1]}?format=csvdata"


class FeedError(ValueError):
    """The ECB's answer cannot be used: ``reason`` says why, for the log and the managers."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


def parse(text, series_key=SERIES_KEY):
    """[(date, rate)] of the series in ``text``, in date order. Raises FeedError on anything unexpected."""
    rows = csv.DictReader(io.StringIO(text or ""))
    missing = {"KEY", "TIME_PERIOD", "OBS_VALUE"} - set(rows.fieldnames or ())
    if missing:
        raise FeedError(f"not an SDMX CSV answer: no column {', '.join(sorted(missing))}")
    observations = []
    for number, row in enumerate(rows, start=2):
        if row["KEY"] != series_key:
            raise FeedError(f"line {number}: series {row['KEY']!r}, expected {series_key}")
        try:
            day = date.fromisoformat(row["TIME_PERIOD"])
            rate = Decimal(row["OBS_VALUE"])
        except (TypeError, ValueError, InvalidOperation) as error:
            raise FeedError(
                f"line {number}: unreadable observation {row['TIME_PERIOD']!r} {row['OBS_VALUE']!r}") from error
        if not rate.is_finite() or not -10 <= rate <= 50:
            raise FeedError(f"line {number}: implausible rate {rate}")
        observations.append((day, rate))
    if not observations:
        raise FeedError("no observation in the answer")
    return sorted(observations)


def new_changes(observations, known):
    """The changes of rate in ``observations`` that the table ``known`` [(date in force, rate)] lacks.

    A daily series repeats the rate every business day: only a day whose rate differs from the one in
    force the day before, as far as the table and the earlier observations tell, is a change. A day the
    table already has is never a new change, even with another rate: see ``disagreements``.
    """
    table = dict(known)
    changes = []
    for day, rate in observations:
        if day in dict(known):
            continue
        in_force = [(since, value) for since, value in table.items() if since <= day]
        current = max(in_force)[1] if in_force else None
        if current is None or Decimal(str(current)) != rate:
            table[day] = rate
            changes.append((day, rate))
    return changes


def disagreements(observations, known):
    """[(day, rate in the table, rate of the ECB)] where the table and the ECB differ on the same day."""
    table = {day: Decimal(str(rate)) for day, rate in known}
    return [(day, table[day], rate) for day, rate in observations if day in table and table[day] != rate]
