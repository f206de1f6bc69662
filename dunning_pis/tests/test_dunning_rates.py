import threading
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from freezegun import freeze_time

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import TODAY, DunningCommon

SERIES = "FM.B.U2.EUR.4F.KR.MRR_FR.LEV"
# The ECB Data Portal's SDMX CSV answer for the series, column for column (format=csvdata).
HEADER = (
    "KEY,FREQ,REF_AREA,CURRENCY,PROVIDER_FM,INSTRUMENT_FM,PROVIDER_FM_ID,DATA_TYPE_FM,TIME_PERIOD,OBS_VALUE,"
    "OBS_STATUS,OBS_CONF,OBS_PRE_BREAK,OBS_COM,TIME_FORMAT,BREAKS,COLLECTION,COMPILING_ORG,DISS_ORG,DOM_SER_IDS,"
    "FM_CONTRACT_TIME,FM_COUPON_RATE,FM_IDENTIFIER,FM_LOT_SIZE,FM_MATURITY,FM_OUTS_AMOUNT,FM_PUT_CALL,"
    "FM_STRIKE_PRICE,PUBL_MU,PUBL_PUBLIC,UNIT_INDEX_BASE,COMPILATION,COVERAGE,DECIMALS,SOURCE_AGENCY,SOURCE_PUB,"
    "TITLE,TITLE_COMPL,UNIT,UNIT_MULT"
)


def ecb_row(day, value):
    return (f"{SERIES},B,U2,EUR,4F,KR,MRR_FR,LEV,{day},{value},A,F,,,P1D,,E,4F0,,,,,,,,,,,,,,,,4,,,"
            '"Main refinancing operations - fixed rate tenders (fixed rate) (date of changes) - Level",'
            '"Euro area (changing composition) - Key interest rate - Main refinancing operations - fixed rate tenders '
            '(fixed rate) (date of changes) - Level - Euro, provided by ECB",PCPA,0')


class EcbPortal:
    """A loopback server answering like the ECB Data Portal's data API."""

    def __init__(self):
        portal = self
        self.status, self.body, self.paths = 200, "", []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                portal.paths.append(self.path)
                body = portal.body.encode()
                self.send_response(portal.status)
                self.send_header("Content-Type", "text/csv" if portal.status == 200 else "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/service/data/FM/B.U2.EUR.4F.KR.MRR_FR.LEV?format=csvdata"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestDunningRates(DunningCommon):
    """The rates: the contractual floor of L441-10, and the ECB's decisions read from its Data Portal."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.portal = EcbPortal()
        cls.addClassCleanup(cls.portal.stop)
        cls.env["ir.config_parameter"].sudo().set_param("dunning_pis.ecb_rates_url", cls.portal.url)
        cls.manager = cls.env.ref("base.user_admin")
        cls.Rate = cls.env["dunning.interest.rate"]

    def test_a_contractual_rate_below_three_times_the_legal_rate_is_refused(self):
        # L441-10: 3 x 2.62 % (legal interest rate of the first half-year 2026) = 7.86 %
        with self.assertRefused(ValidationError, r"below three times the legal interest rate \(3 × 2.62 % = 7.86 %\)"):
            self.company.write({"dunning_interest_mode": "fixed", "dunning_fixed_interest_rate": 7.85})
        self.company.write({"dunning_interest_mode": "fixed", "dunning_fixed_interest_rate": 7.86})
        self.assertEqual(self.company.dunning_fixed_interest_rate, 7.86, "control: the floor itself is allowed")

    def test_the_daily_action_adds_the_ecb_decisions_the_table_lacks(self):
        # The shipped table ends with the decision of 5 June 2025 (2.15 % from 11 June): without it, the portal's
        # answer brings it back; the rows already known are not added twice.
        self.Rate.search([("rate_type", "=", "ecb"), ("date_start", "=", date(2025, 6, 11))]).unlink()
        known = self.Rate.search_count([])
        self.portal.status, self.portal.body = 200, "\n".join(
            [HEADER, ecb_row("2025-04-23", "2.40"), ecb_row("2025-06-11", "2.15")]) + "\n"
        added = self.Rate._cron_update_ecb_rates()
        self.assertEqual([(rate.date_start, rate.reference_rate) for rate in added], [(date(2025, 6, 11), 2.15)])
        self.assertEqual(self.Rate.search_count([]), known + 1)
        self.assertIn("format=csvdata", self.portal.paths[-1])
        self.assertFalse(self.Rate._cron_update_ecb_rates(), "control: nothing new the second time")

    def test_when_the_portal_fails_nothing_changes_and_the_managers_are_told(self):
        known = self.Rate.search_read([], ["date_start", "reference_rate", "rate_type"])
        self.portal.status, self.portal.body = 503, "<html>Service unavailable</html>"
        with self.assertLogs("odoo.addons.dunning_pis.models.dunning_interest_rate", "WARNING") as logs:
            self.assertFalse(self.Rate._cron_update_ecb_rates())
            self.portal.status, self.portal.body = 200, "<html>maintenance</html>"
            self.Rate._cron_update_ecb_rates()
        self.assertIn("503", logs.output[0])
        self.assertIn("not an SDMX CSV answer", logs.output[1])
        self.assertEqual(self.Rate.search_read([], ["date_start", "reference_rate", "rate_type"]), known)
        latest = self.Rate.search([("rate_type", "=", "ecb")], limit=1, order="date_start desc")
        activities = latest.activity_ids.filtered(lambda activity: activity.user_id == self.manager)
        self.assertEqual(len(activities), 1, "one activity, updated, not one per failed night")
        self.assertIn("not an SDMX CSV answer", str(activities.note))

    def test_the_legal_rate_belongs_to_its_half_year(self):
        with self.assertRefused(ValidationError, "1 January or 1 July"):
            self.Rate.create({"rate_type": "legal", "date_start": date(2026, 9, 1), "reference_rate": 2.5})

    def test_a_table_that_disagrees_with_the_ecb_is_not_overwritten_and_the_managers_are_told(self):
        row = self.Rate.search([("rate_type", "=", "ecb"), ("date_start", "=", date(2025, 6, 11))])
        row.reference_rate = 2.25
        self.portal.status, self.portal.body = 200, "\n".join([HEADER, ecb_row("2025-06-11", "2.15")]) + "\n"
        with self.assertLogs("odoo.addons.dunning_pis.models.dunning_interest_rate", "WARNING") as logs:
            self.assertFalse(self.Rate._cron_update_ecb_rates())
        self.assertIn("disagrees with the ECB", logs.output[0])
        self.assertEqual(row.reference_rate, 2.25, "a manager's row is theirs to mend")
        self.assertTrue(row.activity_ids.filtered(lambda activity: "2.15 % at the ECB" in str(activity.note)))
