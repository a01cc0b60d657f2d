from odoo import api, fields, models

from .credit_aging_wizard import GROUP_LABEL_KEY, LABELS_KEY, MAX_BOUNDARIES

BUCKET_COUNT = MAX_BOUNDARIES + 2


class CreditAgingLine(models.TransientModel):
    """One row of an aging report as shown in the ERP (see ``credit.aging.wizard``).

    The bucket columns are generic fields; the list view takes their titles from the
    :data:`LABELS_KEY` context key the report action sets, and hides unused buckets.
    """

    _name = "credit.aging.line"
    _description = "Receivable Aging Report Line"
    _order = "id"

    wizard_id = fields.Many2one("credit.aging.wizard", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True)
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    group_id = fields.Integer(string="Group Value", readonly=True,
                              help="Id of the customer, grade, salesperson, country or currency.")
    name = fields.Char(string="Group", readonly=True)
    doc_currency_id = fields.Many2one("res.currency", string="Document Currency", readonly=True)
    total_currency = fields.Monetary(string="Total in Currency", currency_field="doc_currency_id",
                                     readonly=True)
    total = fields.Monetary(readonly=True)
    move_count = fields.Integer(string="Entries", readonly=True)
    bucket_0 = fields.Monetary(string="Current", readonly=True)
    bucket_1 = fields.Monetary(readonly=True)
    bucket_2 = fields.Monetary(readonly=True)
    bucket_3 = fields.Monetary(readonly=True)
    bucket_4 = fields.Monetary(readonly=True)
    bucket_5 = fields.Monetary(readonly=True)
    bucket_6 = fields.Monetary(readonly=True)
    bucket_7 = fields.Monetary(readonly=True)

    @api.model
    def _get_view_cache_key(self, view_id=None, view_type="form", **options):
        """The column titles depend on the report's buckets, so does the cached view."""
        key = super()._get_view_cache_key(view_id, view_type, **options)
        return key + (self.env.context.get(LABELS_KEY), self.env.context.get(GROUP_LABEL_KEY))

    @api.model
    def _get_view(self, view_id=None, view_type="form", **options):
        arch, view = super()._get_view(view_id, view_type, **options)
        labels = (self.env.context.get(LABELS_KEY) or "").split("|")
        if view_type == "list" and labels != [""]:
            for index in range(BUCKET_COUNT):
                for node in arch.xpath(f"//field[@name='bucket_{index}']"):
                    if index < len(labels):
                        node.set("string", labels[index])
                    else:
                        node.set("column_invisible", "1")
            group_label = self.env.context.get(GROUP_LABEL_KEY)
            for node in arch.xpath("//field[@name='name']"):
                if group_label:
                    node.set("string", group_label)
        return arch, view

    def action_open_invoices(self):
        """Drill down to the entries behind this row, open on the as-of date."""
        self.ensure_one()
        move_ids = self.wizard_id._move_ids(self.company_id.id, self.group_id)
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("%(group)s: open entries as of %(date)s",
                               group=self.name, date=self.wizard_id.date),
            "res_model": "account.move",
            "view_mode": "list,form",
            "domain": [("id", "in", move_ids)],
            "context": {"create": False},
        }
