from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import CreditCommon


@tagged("post_install", "-at_install")
class TestPartnerChange(CreditCommon):
    """The change history: bank accounts created, changed, removed; identity changes of the
    commercial partner only; append-only; one insert per write whatever the records."""

    def changes(self, partner, change_type):
        return self.env["credit.partner.change"].search(
            [("partner_id", "=", partner.id), ("change_type", "=", change_type)], order="id")

    def test_bank_account_changes(self):
        contact = self.env["res.partner"].create({"name": "Accounts", "parent_id": self.customer.id})
        account = self.env["res.partner.bank"].create({"acc_number": "DE001", "partner_id": contact.id})
        account.write({"acc_number": "DE002", "note": "not watched"})
        account.write({"acc_number": "DE002"})  # unchanged: nothing recorded
        account.unlink()
        rows = self.changes(self.customer, "bank")
        self.assertEqual(rows.mapped("operation"), ["create", "write", "unlink"])
        self.assertEqual(rows[0].new_value, "DE001")
        self.assertEqual((rows[1].old_value, rows[1].new_value), ("DE001", "DE002"))
        self.assertEqual(rows[2].old_value, "DE002")
        self.assertEqual(rows.mapped("bank_account"), ["DE001", "DE002", "DE002"])
        self.assertEqual(rows.user_id, self.env.user)

    def test_bank_account_moved_to_another_customer(self):
        other = self.make_customer("Other Holder")
        account = self.env["res.partner.bank"].create({"acc_number": "CN77", "partner_id": self.customer.id})
        account.partner_id = other
        self.assertEqual(self.changes(self.customer, "bank").mapped("operation"), ["create", "write"])
        self.assertEqual(self.changes(other, "bank").mapped("operation"), ["write"])

    def test_identity_changes_of_commercial_partner_only(self):
        contact = self.env["res.partner"].create({"name": "Li Na", "parent_id": self.customer.id})
        contact.write({"name": "Li Na (accounts)", "phone": "+86 21 1234"})
        self.assertFalse(self.changes(contact, "identity") | self.changes(self.customer, "identity"))
        # A contact's address is its company's (Odoo writes it up): the company's address changed.
        contact.write({"city": "Shanghai"})
        rows = self.changes(self.customer, "identity")
        self.assertEqual([(r.old_value, r.new_value) for r in rows], [("", "Shanghai")])
        self.assertFalse(self.changes(contact, "identity"))
        self.customer.write({"name": "Credit Customer Ltd", "vat": "BE0477472701", "phone": "123"})
        rows = self.changes(self.customer, "identity")[1:]
        self.assertEqual(len(rows), 2)
        by_label = {row.field_label: (row.old_value, row.new_value) for row in rows}
        self.assertEqual(by_label[self.customer._fields["name"].string], ("Credit Customer", "Credit Customer Ltd"))
        self.assertEqual(by_label[self.customer._fields["vat"].string], ("", "BE0477472701"))
        self.customer.country_id = self.env.ref("base.cn")
        self.assertEqual(self.changes(self.customer, "identity")[-1].new_value, "China")

    def test_set_based(self):
        """One insert records the changes of all the customers written together."""
        partners = self.env["res.partner"].create([{"name": f"P{i}", "is_company": True} for i in range(25)])
        _result, queries = self.queries(partners.write, {"city": "Beijing", "zip": "100000"})
        inserts = [q for q in queries if 'INSERT INTO "credit_partner_change"' in q]
        self.assertEqual(len(inserts), 1)
        self.assertEqual(self.env["credit.partner.change"].search_count(
            [("partner_id", "in", partners.ids)]), 50)

    def test_append_only_and_rights(self):
        self.customer.name = "Renamed"
        row = self.changes(self.customer, "identity")
        with self.assertRaises(UserError):
            row.write({"new_value": "x"})
        with self.assertRaises(UserError):
            row.unlink()
        self.assertEqual(row.with_user(self.credit_user).new_value, "Renamed")
        with self.assertRaises(AccessError):
            self.env["credit.partner.change"].with_user(self.salesman).search([])
        with self.assertRaises(AccessError):
            self.env["credit.partner.change"].with_user(self.credit_user).create({
                "partner_id": self.customer.id, "change_type": "bank", "operation": "create",
                "field_label": "forged"})
