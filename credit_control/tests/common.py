"""Factories shared by the credit_control tests.

Built on Odoo's own accounting test base: each test class gets a fresh company with a chart
of accounts, so numbers are never polluted by demo data.
"""
from odoo import Command, fields
from odoo.tests import new_test_user

from odoo.addons.account.tests.common import AccountTestInvoicingCommon


class CreditCommon(AccountTestInvoicingCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.company_data["company"]
        cls.currency = cls.company.currency_id
        # 1 company currency = 2 units of the other currency today (see setup_other_currency).
        cls.other_currency = cls.setup_other_currency("EUR", rates=[("2000-01-01", 2.0)])
        cls.grade_a = cls.env.ref("credit_control.credit_grade_a")
        cls.grade_e = cls.env.ref("credit_control.credit_grade_e")
        cls.term_immediate = cls.env.ref("account.account_payment_term_immediate")
        cls.term_30 = cls.env.ref("account.account_payment_term_30days")
        cls.term_60 = cls.env.ref("account.account_payment_term_advance_60days")
        cls.grade_b = cls.env["credit.grade"].create({
            "code": "TB", "name": "Test B", "max_credit_limit": 50000.0,
            "allowed_payment_term_ids": [Command.set((cls.term_immediate | cls.term_30).ids)],
            "overdue_tolerance_days": 15, "overdue_tolerance_amount": 100.0,
            "review_interval_months": 6,
        })
        cls.product = cls.env["product.product"].create({
            "name": "Credit test product", "type": "service", "list_price": 100.0,
            "invoice_policy": "order", "taxes_id": [Command.clear()],
        })
        managers = "credit_control.group_credit_manager,sales_team.group_sale_manager"
        cls.credit_manager = cls.make_user("cc_manager", f"{managers},account.group_account_invoice")
        cls.credit_manager_2 = cls.make_user("cc_manager2", managers)
        cls.credit_user = cls.make_user("cc_user", "credit_control.group_credit_user")
        cls.salesman = cls.make_user(
            "cc_salesman", "sales_team.group_sale_salesman_all_leads,base.group_partner_manager")
        cls.salesman_billing = cls.make_user(
            "cc_salesman_billing",
            "sales_team.group_sale_salesman_all_leads,account.group_account_invoice,base.group_partner_manager")
        cls.customer = cls.make_customer("Credit Customer", limit=1000.0, grade=cls.grade_b)

    @classmethod
    def get_default_groups(cls):
        # The class runs as Odoo's test accountant: make it a credit and sales manager too.
        return super().get_default_groups() | cls.env.ref("credit_control.group_credit_manager") \
            | cls.env.ref("sales_team.group_sale_manager")

    @classmethod
    def make_user(cls, login, groups, company=None):
        company = company or cls.company
        return new_test_user(cls.env, login=login, groups=groups, company_id=company.id,
                             company_ids=[Command.set(company.ids)], email=f"{login}@example.com")

    @classmethod
    def make_customer(cls, name, limit=0.0, grade=None, company=None, **values):
        company = company or cls.company
        partner = cls.env["res.partner"].create({"name": name, "is_company": True, **values})
        vals = {}
        if limit:
            vals["credit_limit"] = limit
        if grade:
            vals["credit_grade_id"] = grade.id
        if vals:
            partner.with_company(company).write(vals)
        return partner

    @classmethod
    def make_invoice(cls, partner, amount, currency=None, invoice_date=None, due_date=None,
                     move_type="out_invoice", post=True, company=None):
        company = company or cls.company
        invoice_date = invoice_date or fields.Date.today()
        move = cls.env["account.move"].with_company(company).create({
            "move_type": move_type,
            "partner_id": partner.id,
            "company_id": company.id,
            "currency_id": (currency or company.currency_id).id,
            "invoice_date": invoice_date,
            "invoice_date_due": due_date or invoice_date,
            "invoice_line_ids": [Command.create({
                "product_id": cls.product.id, "quantity": 1, "price_unit": amount,
                "tax_ids": [Command.clear()]})],
        })
        if post:
            move.action_post()
        return move

    @classmethod
    def pay(cls, invoice, amount, currency=None, date=None):
        wizard = cls.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids).create({
                "amount": amount,
                "currency_id": (currency or invoice.currency_id).id,
                "payment_date": date or fields.Date.today(),
            })
        return wizard._create_payments()

    @classmethod
    def make_order(cls, partner, amount, currency=None, company=None, payment_term=None, qty=1.0, user=None):
        company = company or cls.company
        env = cls.env(user=user) if user else cls.env
        values = {
            "partner_id": partner.id,
            "company_id": company.id,
            "order_line": [Command.create({
                "product_id": cls.product.id, "product_uom_qty": qty, "price_unit": amount / qty,
                "tax_ids": [Command.clear()]})],
        }
        if payment_term is not None:
            values["payment_term_id"] = payment_term.id
        if currency:
            pricelist = cls.env["product.pricelist"].create({
                "name": f"{currency.name} pricelist", "currency_id": currency.id,
                "company_id": company.id})
            values["pricelist_id"] = pricelist.id
        return env["sale.order"].with_company(company).create(values)

    def queries(self, func, *args, **kwargs):
        """``(result, [SQL of each query])`` of ``func(*args, **kwargs)``, pending writes
        flushed before and after."""
        self.env.flush_all()
        with self.assertLogs("odoo.sql_db", "DEBUG") as logs:
            result = func(*args, **kwargs)
            self.env.flush_all()
            self.env["ir.config_parameter"].sudo().get_param("credit_control.nothing")  # at least one log
        return result, [record.getMessage() for record in logs.records if "query:" in record.getMessage()]

    def figures(self, partner, company=None):
        company = company or self.company
        return self.env["credit.exposure.engine"]._compute_figures(partner, company)[
            (partner.commercial_partner_id.id, company.id)]

    @classmethod
    def make_policy(cls, company=None, **values):
        """A credit insurance policy: 90 % coverage, 60/90-day deadlines, from 2026-01-01."""
        company = company or cls.company
        insurer = cls.env["res.partner"].create({"name": "Test Insurer", "is_company": True})
        return cls.env["credit.insurance.policy"].create({
            "name": f"POL-{company.id}", "insurer_id": insurer.id, "company_id": company.id,
            "currency_id": company.currency_id.id, "date_start": "2026-01-01",
            "coverage_pct": 90.0, "discretionary_limit": 1000.0, "max_extension_days": 60,
            "notification_days": 90, "notification_alert_days": 7, "premium_rate": 0.25,
            **values,
        })

    @classmethod
    def make_cover(cls, policy, partner, amount, state="granted", date="2026-01-10", **values):
        return policy.env["credit.insurance.limit"].create({
            "policy_id": policy.id, "partner_id": partner.id, "requested_amount": amount,
            "granted_amount": amount if state in ("granted", "reduced") else 0.0,
            "granted_date": date, "state": state, **values,
        })

    @classmethod
    def make_procedure(cls, name, levels, company=None):
        """A dunning procedure of ``company`` (default: shared) with ``levels``, given as dicts
        of ``credit.dunning.level`` values."""
        return cls.env["credit.dunning.procedure"].create({
            "name": name, "company_id": company.id if company else False,
            "level_ids": [Command.create({"name": f"{name} {i}", **values}) for i, values in enumerate(levels, 1)],
        })

    def run_dunning(self, date, companies=None, partners=None):
        """One dunning run on ``date`` through the engine; returns the events it executed."""
        return self.env["credit.dunning.engine"]._run(companies or self.company, date=date, partners=partners)

    def dunning_events(self, partner):
        return self.env["credit.dunning.event"].search([("partner_id", "=", partner.id)], order="id")
