from odoo import api, fields, models

# Identity fields of a commercial partner whose change is a monitored identity change.
WATCHED_IDENTITY_FIELDS = ("name", "vat", "company_registry", "street", "street2", "zip", "city",
                           "state_id", "country_id")


class ResPartner(models.Model):
    """Monitoring side of the credit profile: the change history of the customer's identity
    and bank accounts, and its credit warnings."""

    _inherit = "res.partner"

    credit_change_ids = fields.One2many(
        "credit.partner.change", "partner_id", string="Change History", readonly=True)
    credit_warning_count = fields.Integer(
        string="Credit Warnings", compute="_compute_credit_warnings",
        help="Warnings of the customer in the current company that are not closed.")
    credit_warning_alert = fields.Boolean(
        compute="_compute_credit_warnings",
        help="The customer has a new (unacknowledged) high-severity warning in the current company.")

    @api.depends_context("company")
    def _compute_credit_warnings(self):
        warnings = self.env["credit.warning"]
        domain = [("partner_id", "in", self.commercial_partner_id.ids),
                  ("company_id", "=", self.env.company.id), ("state", "!=", "closed")]
        counts, alerts = {}, {}
        if warnings.has_access("read"):
            groups = warnings._read_group(domain, ["partner_id", "state", "severity"], ["__count"])
            for partner, state, severity, count in groups:
                counts[partner.id] = counts.get(partner.id, 0) + count
                alerts[partner.id] = alerts.get(partner.id) or (state == "new" and severity == "high")
        for partner in self:
            commercial = partner.commercial_partner_id.id
            partner.credit_warning_count = counts.get(commercial, 0)
            partner.credit_warning_alert = alerts.get(commercial, False)

    def write(self, vals):
        watched = [fname for fname in WATCHED_IDENTITY_FIELDS if fname in vals]
        if not watched:
            return super().write(vals)
        commercial = self.filtered(lambda partner: partner.commercial_partner_id == partner)
        old = {partner.id: {fname: partner[fname] for fname in watched} for partner in commercial}
        result = super().write(vals)
        history = self.env["credit.partner.change"]
        history._record([
            {"partner_id": partner.id, "change_type": "identity", "operation": "write",
             "field_label": self._fields[fname]._description_string(self.env),
             "old_value": history._display(old[partner.id][fname]),
             "new_value": history._display(partner[fname])}
            for partner in commercial for fname in watched if old[partner.id][fname] != partner[fname]])
        return result

    def action_view_credit_warnings(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("credit_control.credit_warning_action")
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"search_default_open": 1, "default_partner_id": self.commercial_partner_id.id}
        return action
