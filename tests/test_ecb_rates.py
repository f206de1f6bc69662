"""Reading the ECB main refinancing rate from the ECB Data Portal's SDMX CSV answer.

The answers below have the Data Portal's shape (``/service/data/FM/B.U2.EUR.4F.KR.MRR_FR.LEV?format=csvdata``):
its thirty-nine columns in its order, the TITLE quoted because it holds commas. The rates are the ECB's
decisions of 2025 (2.40 % from 23 April, 2.15 % from 11 June).
"""

from datetime import date
from decimal import Decimal

import pytest
from receivables.ecb_rates import SERIES_KEY, FeedError, disagreements, new_changes, parse

HEADER = (
    "KEY,FREQ,REF_AREA,CURRENCY,PROVIDER_FM,INSTRUMENT_FM,PROVIDER_FM_ID,DATA_TYPE_FM,TIME_PERIOD,OBS_VALUE,"
    "OBS_STATUS,OBS_CONF,OBS_PRE_BREAK,OBS_COM,TIME_FORMAT,BREAKS,COLLECTION,COMPILING_ORG,DISS_ORG,DOM_SER_IDS,"
    "FM_CONTRACT_TIME,FM_COUPON_RATE,FM_IDENTIFIER,FM_LOT_SIZE,FM_MATURITY,FM_OUTS_AMOUNT,FM_PUT_CALL,"
    "FM_STRIKE_PRICE,PUBL_MU,PUBL_PUBLIC,UNIT_INDEX_BASE,COMPILATION,COVERAGE,DECIMALS,SOURCE_AGENCY,SOURCE_PUB,"
    "TITLE,TITLE_COMPL,UNIT,UNIT_MULT"
)


def row(day, value, key=SERIES_KEY):
    return (f"{key},B,U2,EUR,4F,KR,MRR_FR,LEV,{day},{value},A,F,,,P1D,,E,4F0,,,,,,,,,,,,,,,,4,,,"
            '"Main refinancing operations - fixed rate tenders (fixed rate) (date of changes) - Level",'
            '"Euro area (changing composition) - Key interest rate - Main refinancing operations - fixed rate '
            'tenders (fixed rate) (date of changes) - Level - Euro, provided by ECB",PCPA,0')


def answer(*rows):
    return "\n".join([HEADER, *rows]) + "\n"


def test_reads_the_observations_by_column_name():
    assert parse(answer(row("2025-06-11", "2.15"), row("2025-04-23", "2.40"))) == [
        (date(2025, 4, 23), Decimal("2.40")), (date(2025, 6, 11), Decimal("2.15")),
    ]


def test_only_the_changes_the_table_lacks():
    known = [(date(2025, 4, 23), 2.4)]
    daily = [(date(2025, 6, 10), Decimal("2.40")), (date(2025, 6, 11), Decimal("2.15")),
             (date(2025, 6, 12), Decimal("2.15"))]
    assert new_changes(daily, known) == [(date(2025, 6, 11), Decimal("2.15"))]
    assert new_changes(daily, [*known, (date(2025, 6, 11), 2.15)]) == [], "control: nothing new"


@pytest.mark.parametrize("text, reason", [
    ("<html>Service unavailable</html>", "not an SDMX CSV answer"),
    ("", "not an SDMX CSV answer"),
    (HEADER + "\n", "no observation"),
    (answer(row("2025-06-11", "2.15", key="FM.B.U2.EUR.4F.KR.DFR.LEV")), "expected FM.B.U2.EUR.4F.KR.MRR_FR.LEV"),
    (answer(row("11/06/2025", "2.15")), "unreadable observation"),
    (answer(row("2025-06-11", "NaN%")), "unreadable observation"),
    (answer(row("2025-06-11", "215")), "implausible rate"),
    (answer(row("2025-06-11", "NaN")), "implausible rate"),
])
def test_a_broken_answer_is_refused_whole(text, reason):
    with pytest.raises(FeedError, match=reason):
        parse(text)


def test_a_rate_the_table_has_with_another_value_is_a_disagreement_not_a_change():
    known = [(date(2025, 6, 11), 2.25)]
    observations = [(date(2025, 6, 11), Decimal("2.15"))]
    assert new_changes(observations, known) == []
    assert disagreements(observations, known) == [(date(2025, 6, 11), Decimal("2.25"), Decimal("2.15"))]
    assert disagreements(observations, [(date(2025, 6, 11), 2.15)]) == [], "control: they agree"
