from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    credit_block_sales = fields.Boolean(related="company_id.credit_block_sales", readonly=False)
    credit_tolerance_pct = fields.Float(related="company_id.credit_tolerance_pct", readonly=False)
    credit_default_grade_id = fields.Many2one(
        related="company_id.credit_default_grade_id", readonly=False)
    credit_block_invoice_posting = fields.Boolean(
        related="company_id.credit_block_invoice_posting", readonly=False)
    credit_dunning_procedure_id = fields.Many2one(
        related="company_id.credit_dunning_procedure_id", readonly=False)
    credit_dunning_fee_mode = fields.Selection(related="company_id.credit_dunning_fee_mode", readonly=False)
    credit_dunning_fee_product_id = fields.Many2one(
        related="company_id.credit_dunning_fee_product_id", readonly=False)
    credit_scorecard_id = fields.Many2one(related="company_id.credit_scorecard_id", readonly=False)
    credit_limit_rule = fields.Selection(related="company_id.credit_limit_rule", readonly=False)
    credit_limit_rule_pct = fields.Float(related="company_id.credit_limit_rule_pct", readonly=False)
    credit_snapshot_retention_months = fields.Integer(
        related="company_id.credit_snapshot_retention_months", readonly=False)
    credit_review_user_id = fields.Many2one(related="company_id.credit_review_user_id", readonly=False)
    credit_probation_mode = fields.Selection(related="company_id.credit_probation_mode", readonly=False)
    credit_plan_grace_days = fields.Integer(related="company_id.credit_plan_grace_days", readonly=False)
    credit_plan_overdue_by_plan = fields.Boolean(related="company_id.credit_plan_overdue_by_plan", readonly=False)
    credit_late_interest_rate = fields.Float(related="company_id.credit_late_interest_rate", readonly=False)
    credit_late_interest_invoicing = fields.Selection(
        related="company_id.credit_late_interest_invoicing", readonly=False)
    credit_limitation_years = fields.Integer(related="company_id.credit_limitation_years", readonly=False)
    credit_limitation_alert_days = fields.Integer(related="company_id.credit_limitation_alert_days", readonly=False)
    credit_statement_detail_lines = fields.Integer(
        related="company_id.credit_statement_detail_lines", readonly=False)
