"""Benchmark: one SEPA direct-debit file (pain.008.001.08) of N debits, checked, built and schema-validated.

    .venv/bin/python bench/pain008_debits.py            # 10,000 debits; the target is 3 s
    .venv/bin/python bench/pain008_debits.py 50000

The debits are first (FRST) and recurring (RCUR) collections over three collection dates, each from
its own IBAN, with French names and addresses to transliterate. It times ``pain008.build``: the
checks, the document, the XSD validation and the serialization, and the parsing of the XSD that a
process does once. It prints seconds, file size and whether the 3 s target is met, and exits
non-zero when it is not.

It then times the way back: a camt.054.001.08 notification returning every one of those debits (one
booked DBIT entry, one transaction per debit with its reason code), validated against the ISO 20022
schema, read, and each return matched to its debit by end-to-end identifier. Booking the reversals is
Odoo's posting of one journal entry per return, outside this plain-Python measure.
"""

import random
import sys
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "dunning_pis"))

from direct_debit import bank_reports, pain008
from stdnum.iso7064 import mod_97_10

TARGET_SECONDS = 3.0
NAMES = ("Société Générale & Fils", "Boulangerie Noël", "L'Œuvre de Ménilmontant", "Ça Café", "Jürgen Größ")
CREDITOR = pain008.Creditor(
    name="Compagnie des Eaux d'Île-de-France", iban="FR7630006000011234567890189", bic="AGRIFRPP",
    creditor_identifier="FR72ZZZ123456",
    address=pain008.PostalAddress(street="Rue de la Paix", building_number="12", postal_code="75002",
                                  town="Paris", country="FR"),
)


def debtor_iban(index):
    """A distinct valid IBAN per debtor, in the four countries' layouts, so that no check is cached."""
    country, bban = (
        ("FR", f"3000600001{index:011d}89"), ("DE", f"37040044{index:010d}"),
        ("BE", f"539{index:07d}34"), ("NL", f"ABNA{index:010d}"),
    )[index % 4]
    return country + mod_97_10.calc_check_digits(bban + country) + bban


def make_batch(count, seed=20251115):
    rng = random.Random(seed)
    first_day = date(2026, 3, 2)
    debits = tuple(
        pain008.Debit(
            end_to_end_id=f"INST-2026-{index:07d}",
            amount=Decimal(rng.randint(100, 500000)) / 100,
            mandate_id=f"RUM{index % 4000:06d}",
            mandate_signature_date=date(2025, 1, 1) + timedelta(days=index % 300),
            sequence_type="FRST" if index % 5 == 0 else "RCUR",
            collection_date=first_day + timedelta(days=7 * (index % 3)),
            debtor_name=f"{NAMES[index % len(NAMES)]} {index}",
            debtor_iban=debtor_iban(index),
            debtor_bic="BNPAFRPP" if index % 2 else None,
            debtor_address=pain008.PostalAddress(
                street="Avenue des Champs-Élysées", building_number=str(index % 200 + 1), postal_code="75008",
                town="Paris", country="FR", address_lines=("Bâtiment B, 3e étage",),
            ) if index % 4 == 0 else None,
            remittance_information=f"Échéance {index % 12 + 1}/12 — facture FAC/2026/{index:05d}",
        )
        for index in range(count)
    )
    return pain008.Batch(message_id="PRLV-2026-03-0001", created_at=datetime(2026, 3, 1, 9, 30),
                         creditor=CREDITOR, debits=debits)


REASONS = ("AM04", "MD06", "AC04", "MS02")


def make_returns(batch):
    """A camt.054.001.08 returning every debit of ``batch``, as a creditor's bank books them."""
    details = "".join(
        f"<TxDtls><Refs><EndToEndId>{debit.end_to_end_id}</EndToEndId><MndtId>{debit.mandate_id}</MndtId></Refs>"
        f'<Amt Ccy="EUR">{debit.amount:.2f}</Amt><CdtDbtInd>DBIT</CdtDbtInd>'
        f"<RtrInf><Rsn><Cd>{REASONS[index % len(REASONS)]}</Cd></Rsn></RtrInf></TxDtls>"
        for index, debit in enumerate(batch.debits)
    )
    total = sum(debit.amount for debit in batch.debits)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"><BkToCstmrDbtCdtNtfctn>'
        "<GrpHdr><MsgId>NTF-BENCH</MsgId><CreDtTm>2026-03-10T08:00:00</CreDtTm></GrpHdr>"
        "<Ntfctn><Id>NTF-BENCH-1</Id><CreDtTm>2026-03-10T08:00:00</CreDtTm>"
        f"<Acct><Id><IBAN>{CREDITOR.iban}</IBAN></Id></Acct>"
        f'<Ntry><Amt Ccy="EUR">{total:.2f}</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>'
        "<BookgDt><Dt>2026-03-10</Dt></BookgDt><BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>IDDT</Cd>"
        f"<SubFmlyCd>UPDD</SubFmlyCd></Fmly></Domn></BkTxCd><NtryDtls>{details}</NtryDtls></Ntry>"
        "</Ntfctn></BkToCstmrDbtCdtNtfctn></Document>"
    ).encode()


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
    batch = make_batch(count)
    started = time.perf_counter()
    content = pain008.build(batch)
    seconds = time.perf_counter() - started
    within = seconds <= TARGET_SECONDS
    print(f"{count} debits: {seconds:.2f} s, {len(content) / 1e6:.1f} MB, "
          f"{'within' if within else 'OVER'} the {TARGET_SECONDS:.0f} s target", flush=True)
    returns_file = make_returns(batch)
    started = time.perf_counter()
    report = bank_reports.read(returns_file)
    by_reference = {debit.end_to_end_id: debit for debit in batch.debits}
    matched = [(item, by_reference[item.end_to_end_id]) for item in report.returns
               if by_reference.get(item.end_to_end_id) and by_reference[item.end_to_end_id].amount == item.amount]
    back = time.perf_counter() - started
    print(f"camt.054 of {len(report.returns)} returns: validated, read and {len(matched)} matched in {back:.2f} s, "
          f"{len(returns_file) / 1e6:.1f} MB", flush=True)
    return 0 if within and len(matched) == count else 1


if __name__ == "__main__":
    sys.exit(main())
