from odoo import api, models

# Fields of a bank account whose change is a monitored bank-account change.
WATCHED_BANK_FIELDS = ("acc_number", "bank_id", "acc_holder_name", "partner_id", "allow_out_payment",
                       "active", "currency_id")


class ResPartnerBank(models.Model):
    """A customer's bank accounts: every creation, change and removal is recorded in the
    customer's change history (``credit.partner.change``), where the warning job counts them.

    Odoo never deletes a bank account (``unlink`` archives it, as accounts are linked to
    entries): archiving is recorded as a removal and restoring as an addition."""

    _inherit = "res.partner.bank"

    @api.model_create_multi
    def create(self, vals_list):
        accounts = super().create(vals_list)
        accounts._credit_record_changes("create")
        return accounts

    def write(self, vals):
        watched = [fname for fname in WATCHED_BANK_FIELDS if fname in vals]
        if not watched:
            return super().write(vals)
        old = {account.id: {fname: account[fname] for fname in watched} for account in self}
        old_partners = {account.id: account.partner_id.commercial_partner_id for account in self}
        result = super().write(vals)
        history = self.env["credit.partner.change"]
        rows = []
        for account in self:
            for fname in watched:
                before, after = old[account.id][fname], account[fname]
                if before == after:
                    continue
                if fname == "active":
                    rows.append(account._credit_change_row(
                        account.partner_id.commercial_partner_id, "create" if after else "unlink",
                        self.env._("Bank account"), old="" if after else account.display_name,
                        new=account.display_name if after else ""))
                    continue
                label = self._fields[fname]._description_string(self.env)
                # A move to another holder is a change for both customers.
                partners = old_partners[account.id] | account.partner_id.commercial_partner_id
                rows += [account._credit_change_row(partner, "write", label, history._display(before),
                                                    history._display(after)) for partner in partners]
        history._record(rows)
        return result

    def _credit_record_changes(self, operation):
        label = self.env._("Bank account")
        self.env["credit.partner.change"]._record([
            account._credit_change_row(account.partner_id.commercial_partner_id, operation, label,
                                       old="", new=account.display_name)
            for account in self])

    def _credit_change_row(self, partner, operation, label, old, new):
        self.ensure_one()
        return {
            "partner_id": partner.id, "company_id": self.company_id.id, "change_type": "bank",
            "operation": operation, "field_label": label, "old_value": old, "new_value": new,
            "bank_account": self.acc_number,
        }
