from odoo import api, models


class CreditCachedRules(models.AbstractModel):
    """Records whose rules every credit check reads from the registry cache (``ormcache``)
    instead of the database: creating or deleting one, or changing one of the fields listed in
    ``_credit_cached_fields``, clears that cache (in every worker, as Odoo signals it)."""

    _name = "credit.cached.rules"
    _description = "Credit Rules Read from the Registry Cache"

    _credit_cached_fields = frozenset()

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        self.env.registry.clear_cache()
        return records

    def write(self, vals):
        result = super().write(vals)
        if self._credit_cached_fields & set(vals):
            self.env.registry.clear_cache()
        return result

    def unlink(self):
        result = super().unlink()
        self.env.registry.clear_cache()
        return result
