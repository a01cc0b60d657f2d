from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    credit_dunning_procedure_id = fields.Many2one(
        "credit.dunning.procedure", string="Default Dunning Procedure",
        domain="[('company_id', 'in', [id, False])]",
        help="Applies to customers whose grade has no procedure and who have none of their own.")
    credit_dunning_fee_mode = fields.Selection(
        [("invoice", "Separate posted invoice"), ("line", "Line on the customer's next (draft) invoice")],
        string="Dunning Fees", default="invoice", required=True,
        help="How the fee of a dunning level is charged.")
    credit_dunning_fee_product_id = fields.Many2one(
        "product.product", string="Dunning Fee Product",
        help="Product of dunning fee lines (default: the module's Dunning Fee service).")
