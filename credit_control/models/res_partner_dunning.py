from odoo import api, fields, models
from odoo.exceptions import AccessError


class ResPartner(models.Model):
    """Dunning side of the credit profile: which procedure applies, whether the customer was
    handed over for collection, what it disputes, and its dunning history."""

    _inherit = "res.partner"

    credit_dunning_procedure_id = fields.Many2one(
        "credit.dunning.procedure", string="Dunning Procedure", company_dependent=True,
        domain="[('company_id', 'in', [current_company_id, False])]",
        help="Overrides the procedure of the customer's credit grade.")
    credit_in_collection = fields.Boolean(
        string="In Collection", company_dependent=True, tracking=True,
        help="Handed over to legal action or a collection agency by the dunning.")
    credit_disputed_amount = fields.Monetary(
        string="Disputed", currency_field="credit_currency_id", compute="_compute_credit_disputed_amount",
        help="Open disputes of this customer, company currency; left out of the overdue figures.")
    credit_dunning_event_ids = fields.One2many(
        "credit.dunning.event", "partner_id", string="Dunning History", readonly=True)

    @api.model
    def _credit_record_fields(self):
        return (*super()._credit_record_fields(), "credit_dunning_procedure_id")

    @api.depends_context("company")
    def _compute_credit_disputed_amount(self):
        company = self.env.company
        engine = self.env["credit.exposure.engine"].sudo()
        self.env["credit.dispute"].flush_model()
        amounts = engine._disputed_amounts(
            self.commercial_partner_id.ids, company.ids, fields.Date.context_today(self))
        for partner in self:
            partner.credit_disputed_amount = company.currency_id.round(
                amounts.get((partner.commercial_partner_id.id, company.id), 0.0))

    def write(self, vals):
        if ({"credit_dunning_procedure_id", "credit_in_collection"} & set(vals) and not self.env.su
                and not self.env.user.has_group("credit_control.group_credit_manager")):
            raise AccessError(self.env._(
                "Only a credit manager can change the dunning procedure or the collection flag of a customer."))
        return super().write(vals)

    def _credit_dunning_procedure(self):
        """The procedure of this customer in the current company: its own, else its grade's,
        else the company's default."""
        self.ensure_one()
        company = self.env.company
        partner = self.commercial_partner_id.with_company(company)
        for procedure in (partner.credit_dunning_procedure_id,
                          partner.credit_grade_id.dunning_procedure_id,
                          company.credit_dunning_procedure_id):
            if procedure.active and procedure.company_id in (company, company.browse()):
                return procedure
        return self.env["credit.dunning.procedure"]

    def action_credit_dunning_preview(self):
        """What the next dunning run would do for this customer."""
        self.ensure_one()
        return self.env["credit.dunning.run"]._action_open(partner=self.commercial_partner_id)

    def action_view_credit_dunning_events(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("credit_control.credit_dunning_event_action")
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        return action
