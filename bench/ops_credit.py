"""Operation group: confirming an order, the credit check alone and the exposure of all
customers, for the customer with 10 open invoices and the one with 10,000 (see the worker)."""
from bench import datagen


def _open_invoice_counts(worker):
    """Open invoices of the two reference customers, recorded with the side's result."""
    with worker.registry.cursor() as cr:
        env = worker.env(cr)
        partners = datagen.bench_partners(env)
        counts = {}
        for key, ref in (("small", datagen.SMALL_REF), ("big", datagen.BIG_REF)):
            partner = partners.filtered(lambda p, ref=ref: p.ref == ref)
            counts[key] = env["account.move"].search_count([
                ("partner_id", "=", partner.id), ("payment_state", "=", "not_paid"), ("state", "=", "posted")])
    worker.result["open_invoices"] = counts
    return counts


def _order_setup(partner_ref):
    def setup(env):
        partner = env["res.partner"].search([("ref", "=", partner_ref)], limit=1)
        product = env["product.product"].search([("default_code", "=", "BENCH-SERVICE")], limit=1)
        return env["sale.order"].create({
            "partner_id": partner.id,
            "order_line": [(0, 0, {"product_id": product.id, "product_uom_qty": 3,
                                   "price_unit": 100.0, "tax_ids": [(5,)]}) for _i in range(3)],
        })
    return setup


def _measure_confirm(worker, counts, check_op):
    def confirm(env, order):
        order.action_confirm()
        return order

    def check(env, order):
        return {"order_state": order.state}

    for key, ref in (("small", datagen.SMALL_REF), ("big", datagen.BIG_REF)):
        label = f"customer with {counts[key]} open invoices"
        worker.measure(f"confirm order: {label}", confirm, _order_setup(ref), check=check)
        worker.measure(f"credit check only: {label}", check_op, _order_setup(ref))


def _bench_partners(env):
    return datagen.bench_partners(env)


def measure(worker, side):
    counts = _open_invoice_counts(worker)
    if side == "ours":
        _measure_ours(worker, counts)
    else:
        _measure_oca(worker, counts)


def _measure_ours(worker, counts):
    def check_only(env, order):
        return order._credit_error_message()
    _measure_confirm(worker, counts, check_only)

    def exposure(env, partners):
        return env["credit.exposure.engine"]._compute_figures(partners, env.company)

    def exposure_check(env, figures):
        return {"customers": len(figures),
                "total_exposure": round(sum(f["exposure"] for f in figures.values()), 2),
                "total_receivable": round(sum(f["receivable"] for f in figures.values()), 2),
                "total_uninvoiced_orders": round(sum(f["uninvoiced_orders"] for f in figures.values()), 2)}
    worker.measure("exposure of all customers", exposure, _bench_partners, check=exposure_check)


def _measure_oca(worker, counts):
    with worker.registry.cursor() as cr:
        env = worker.env(cr)
        has_risk = "risk_total" in env["res.partner"]._fields and hasattr(env["sale.order"], "evaluate_risk_message")
    if not has_risk:
        worker.unavailable("confirm order", "sale_financial_risk is not installed")
        return

    def check_only(env, order):
        return order.evaluate_risk_message(order.partner_invoice_id.commercial_partner_id)
    _measure_confirm(worker, counts, check_only)

    def exposure(env, partners):
        return partners.mapped("risk_total")

    def exposure_check(env, values):
        env.cr.execute("""
            SELECT COALESCE(SUM(l.amount_residual), 0) FROM account_move_line l
              JOIN account_account a ON a.id = l.account_id
             WHERE a.account_type = 'asset_receivable' AND l.parent_state = 'posted'
               AND NOT l.reconciled AND l.currency_id != l.company_currency_id""")
        foreign = env.cr.fetchone()[0]
        return {"customers": len(values), "total_exposure": round(sum(values), 2),
                "open_receivable_in_foreign_currency": round(foreign, 2)}
    worker.measure("exposure of all customers", exposure, _bench_partners, check=exposure_check)
