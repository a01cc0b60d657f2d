from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    credit_dunning_procedure_id = fields.Many2one(
        related="company_id.credit_dunning_procedure_id", readonly=False)
    credit_dunning_fee_mode = fields.Selection(related="company_id.credit_dunning_fee_mode", readonly=False)
    credit_dunning_fee_product_id = fields.Many2one(
        related="company_id.credit_dunning_fee_product_id", readonly=False)
