import base64
import io

import pypdf
from freezegun import freeze_time

from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import TODAY, DunningCommon


def pdf_text(content):
    return " ".join(" ".join(page.extract_text().split()) for page in pypdf.PdfReader(io.BytesIO(content)).pages)


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestReminderProof(DunningCommon):
    """What was sent is kept as the customer received it, on the customer and on each invoice."""

    def _invoice_attachments(self, invoice):
        return self.env["ir.attachment"].search([
            ("res_model", "=", "account.move"), ("res_id", "=", invoice.id),
            "|", ("res_field", "=", False), ("res_field", "!=", False),
        ])

    def test_the_kept_body_of_a_sent_formal_notice(self):
        communication, invoice = self._reminder_at(30, amount=1000.0, days_late=31)
        communication.action_send()
        self.deliver_emails()
        self.assertEqual(communication.state, "sent")

        mail = communication.email_mail_id
        self.assertTrue(mail.exists(), "the email is kept once sent, whatever its template said")
        self.assertFalse(mail.auto_delete)
        self.assertFalse(self.env.ref("dunning_pis.email_template_after_30_firm").auto_delete)
        self.assertEqual(mail.state, "sent")
        self.assertEqual(mail.email_to, self.business.email_formatted)
        self.assertIn("formally give you notice", mail.body_html)
        self.assertEqual(mail.attachment_ids, communication.letter_attachment_id | invoice.invoice_pdf_report_id)
        received = self.smtp.messages[0]
        self.assertEqual(received["message_id"], mail.message_id)
        self.assertEqual(sorted(received["attachments"]), sorted(mail.attachment_ids.mapped("name")))

        for record in (invoice, self.business):
            message = record.message_ids[0]
            self.assertIn("Reminder “Formal notice” sent by email, letter", message.body)
            self.assertIn('Email to "Boulangerie Test SARL" &lt;compta@boulangerie.example&gt;', message.body)
            self.assertIn("sent on 06/30/2026", message.body, "the date it left")
            self.assertIn(mail.message_id.strip("<>"), message.body)
            self.assertIn("formally give you notice", message.body, "the body as it was sent")
            self.assertIn(invoice.name, message.body)
            self.assertEqual(message.attachment_ids, mail.attachment_ids, "the same files, not copies")

    def test_the_invoice_pdf_is_the_one_odoo_issued_and_is_never_attached_twice(self):
        invoice = self.invoice(self.business, 400.0, self.days(-3))
        self.env["account.move.send"]._generate_and_send_invoices(invoice, sending_methods=["manual"])
        issued = invoice.invoice_pdf_report_id
        self.assertTrue(issued)
        attachments_before = self._invoice_attachments(invoice)
        self.level[1].attach_invoices = True
        self.level[8].attach_invoices = True
        first = self.run_dunning().communication_ids
        first.action_send()
        self.deliver_emails()
        with freeze_time(self.days(6)):
            second = self.run_dunning(self.days(6)).communication_ids
            self.assertEqual(second.level_id, self.level[8])
            second.action_send()
            self.deliver_emails()
        self.assertEqual((first | second).mapped("state"), ["sent", "sent"])
        self.assertEqual(first.email_mail_id.attachment_ids, issued)
        self.assertEqual(second.email_mail_id.attachment_ids, issued)
        self.assertEqual(self._invoice_attachments(invoice), attachments_before, "no new invoice PDF")
        self.assertEqual([message["attachments"] for message in self.smtp.messages], [[issued.name]] * 2)

    def test_an_invoice_never_sent_gets_its_pdf_issued_once(self):
        invoice = self.invoice(self.business, 400.0, self.days(-3))
        self.assertFalse(invoice.invoice_pdf_report_id)
        self.level[1].attach_invoices = True
        communication = self.run_dunning().communication_ids
        communication.action_send()
        issued = invoice.invoice_pdf_report_id
        self.assertTrue(issued, "issued through Odoo's own invoice sending")
        self.assertEqual(communication.email_mail_id.attachment_ids, issued)
        self.assertEqual(invoice._dunning_invoice_pdfs(), issued, "and the same one afterwards")

    def test_the_pdfs_of_a_reminder_of_several_invoices_are_issued_for_real(self):
        """Real PDFs through wkhtmltopdf, which without patched Qt (Debian's) renders one document a call."""
        self.enterContext(mute_logger("odoo.addons.base.models.ir_actions_report"))
        invoices = self.invoice(self.business, 100.0, self.days(-3)) | self.invoice(self.business, 200.0, self.days(-3))
        self.level[1].attach_invoices = True
        communication = self.run_dunning().communication_ids
        communication.with_context(force_report_rendering=True).action_send()
        self.assertEqual(communication.state, "sending", communication.error_message)
        self.assertEqual(communication.email_mail_id.attachment_ids, invoices.invoice_pdf_report_id)
        for invoice in invoices:
            self.assertIn(invoice.name, pdf_text(invoice.invoice_pdf_report_id.raw))

    def test_the_letter_pdf_is_kept_as_printed(self):
        communication, invoice = self._reminder_at(30, amount=1000.0, days_late=31)
        # Debian's wkhtmltopdf is built without patched Qt and warns about it on every document.
        self.enterContext(mute_logger("odoo.addons.base.models.ir_actions_report"))
        communication.with_context(force_report_rendering=True).action_send()
        letter = communication.letter_attachment_id
        self.assertEqual(letter.mimetype, "application/pdf")
        printed = letter.raw
        text = pdf_text(printed)
        self.assertIn("formally give you notice", text)
        self.assertIn(invoice.name, text)
        self.company.name = "Renamed Since"
        reprint, kind = self.env["ir.actions.report"].with_context(force_report_rendering=True)._render_qweb_pdf(
            "dunning_pis.action_report_dunning_letter", communication.ids,
        )
        self.assertEqual(kind, "pdf")
        self.assertEqual(reprint, printed, "printing again gives the letter that went out, not a new one")
        self.assertEqual(communication.action_print_letter()["report_name"], "dunning_pis.report_dunning_letter")
        preview = self.env["ir.actions.report"].with_context(force_report_rendering=True)._render_qweb_pdf(
            "dunning_pis.action_report_dunning_letter", self._reminder_at(30, self.consumer, days_late=32)[0].ids,
        )[0]
        self.assertIn("Renamed Since", pdf_text(preview), "a letter not sent yet is rendered afresh")

    def test_registered_letter_tracking_posting_and_receipt_are_kept(self):
        communication, invoice = self._reminder_at(30, amount=1000.0, days_late=31)
        communication.action_send()
        self.deliver_emails()
        communication.write({"tracking_number": "1A23456789012", "posting_date": self.days(1)})
        scan = self.env["ir.attachment"].create({
            "name": "AR 1A23456789012.pdf", "datas": base64.b64encode(b"%PDF-1.4 scan"),
            "res_model": communication._name, "res_id": communication.id,
        })
        communication.write({"receipt_date": self.days(3), "receipt_attachment_ids": [(6, 0, scan.ids)]})
        for record in (invoice, self.business):
            posted, received = record.message_ids[1], record.message_ids[0]
            self.assertIn("posted on 07/01/2026, tracking number 1A23456789012", posted.body)
            self.assertIn("received on 07/03/2026", received.body)
            self.assertEqual(received.attachment_ids, scan, "the scanned acknowledgment, not a copy")
        self.assertEqual(scan.res_id, communication.id)
