"""Seeded, reproducible benchmark data for credit_control, generated fast.

Plain Python working on an Odoo ``env`` (superuser). It creates a handful of *template* records
through the ORM (one customer, one posted invoice, one payment entry reconciled with it, one
confirmed and partly invoiced order), then clones them in bulk with SQL: every column of the
template row is copied and only the varying ones (ids, names, dates, partners, currencies,
amounts, residuals, reconciliation links) are overridden from rows computed here with a seeded
``random.Random``. The templates are deleted afterwards. What comes out is ordinary, valid
accounting: balanced moves, partial and full reconciliations consistent with the residuals of
the lines they link, invoice residuals and payment states consistent with their lines, sale
order lines whose invoiced quantity comes from linked invoice lines.

Two phases:

* :func:`generate` — core data only (customers with a credit limit, invoices, payments,
  confirmed orders, two currencies). Works with or without credit_control installed, so the
  same data can be loaded where the community alternatives are installed instead.
* :func:`apply_credit_profile` — what belongs to credit_control: a grade on every customer and,
  when the models exist, an insurance policy and dunning set-up.

:func:`check_consistency` checks the result with Odoo's own computations.
"""
import io
import logging
import random
import time
from datetime import timedelta
from types import SimpleNamespace

import odoo.init  # noqa: F401 - Odoo's import-time set-up, needed when run as a plain script
from odoo import Command, fields

_logger = logging.getLogger(__name__)

# Bump when the generated data changes: benchmark databases are reused per (scale, seed, version).
GENERATOR_VERSION = 2

SCALES = {
    # customers, invoices (besides the two reference customers), orders, open invoices of the
    # "big" reference customer (the "small" one always has 10)
    "XS": dict(customers=60, invoices=400, orders=60, big_open=100),
    "S": dict(customers=1_000, invoices=10_000, orders=1_000, big_open=10_000),
    "M": dict(customers=10_000, invoices=100_000, orders=10_000, big_open=10_000),
    "L": dict(customers=20_000, invoices=200_000, orders=20_000, big_open=10_000),
}

OTHER_RATE = 2.0  # units of the second currency per company-currency unit (exact halves)
SMALL_REF = "BENCH-TEN"
BIG_REF = "BENCH-BIG"
PARTNER_REF_PREFIX = "BENCH-"


def _copy(cr, table, columns, rows):
    """COPY rows (tuples) into ``table``; None becomes NULL."""
    buf = io.StringIO()
    for row in rows:
        buf.write("\t".join("\\N" if v is None else str(v) for v in row))
        buf.write("\n")
    buf.seek(0)
    cr._obj.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buf)


def _columns(cr, table):
    cr.execute(
        "SELECT column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND table_name = %s ORDER BY ordinal_position",
        [table])
    return [r[0] for r in cr.fetchall()]


def _clone(cr, table, stage, overrides, template_key="tmpl_id"):
    """INSERT INTO ``table`` one row per ``stage`` row: the template row's columns, except
    ``overrides`` ``{column: SQL expression over s (stage) and t (template)}``."""
    cols = _columns(cr, table)
    exprs = [overrides.get(c, f"t.{c}") for c in cols]
    cr.execute(
        f"INSERT INTO {table} ({', '.join(cols)}) "
        f"SELECT {', '.join(exprs)} FROM {stage} s JOIN {table} t ON t.id = s.{template_key}")
    return cr.rowcount


def _reserve_ids(cr, table, count):
    """Reserve ``count`` consecutive ids of ``table``'s sequence; returns the first."""
    if not count:
        return 0
    cr.execute(f"SELECT nextval('{table}_id_seq')")
    first = cr.fetchone()[0]
    cr.execute(f"SELECT setval('{table}_id_seq', %s)", [first + count - 1])
    return first


class _Money:
    """Amounts as integer cents, to keep every sum exact."""

    @staticmethod
    def f(cents):
        return f"{cents / 100:.2f}"


def _scale_params(scale):
    try:
        return dict(SCALES[scale.upper()])
    except KeyError:
        raise ValueError(f"unknown scale {scale!r}; use one of {', '.join(SCALES)}") from None


# ------------------------------------------------------------------------------------------
# phase 1: core data
# ------------------------------------------------------------------------------------------
def generate(env, scale="S", seed=42, today=None, params=None, log=print):
    """Create the benchmark's core data in ``env``'s company. Returns a summary dict.

    ``params`` overrides the scale's sizes (used by the smoke test). The steps below run in
    this order, each drawing from the one seeded ``random.Random`` and reserving its ids in
    turn: the same scale and seed give the same data row for row.
    """
    t0 = time.monotonic()
    g = _prepare(env, scale, seed, today, params)
    _make_templates(g)
    _clone_customers(g)
    _clone_orders(g)
    _plan_invoices(g)
    _invoice_rows(g)
    _payment_rows(g)
    _insert_moves(g)
    _insert_lines(g)
    _insert_partials(g)
    _finish(g)
    summary = dict(
        scale=scale.upper(), seed=seed, generator_version=GENERATOR_VERSION, today=str(g.today),
        company_currency=g.ccy.name, other_currency=g.other.name, other_rate=OTHER_RATE,
        customers=len(g.customers), invoices=g.n_inv, payments=g.n_pay, orders=g.n_orders,
        orders_partly_invoiced=len(g.rels), receivable_lines=g.n_recv_lines + g.n_pay,
        move_lines=len(g.lines), partial_reconciles=len(g.partials), full_reconciles=len(g.fulls),
        small_partner_id=g.small_id, big_partner_id=g.big_id, big_open_invoices=g.p["big_open"],
        partner_ids=[g.partner_ids[0], g.partner_ids[-1]],
        seconds=round(time.monotonic() - t0, 1),
    )
    log(f"generated {summary['customers']} customers, {g.n_inv} invoices, {g.n_pay} payments, "
        f"{g.n_orders} orders, {len(g.lines)} move lines in {summary['seconds']} s")
    return summary


def _prepare(env, scale, seed, today, params):
    """The sizes, the seeded random generator, the second currency at its constant rate, the
    journals, payment terms and product every step uses."""
    p = _scale_params(scale)
    p.update(params or {})
    rng = random.Random(f"credit_control-bench-{seed}-{GENERATOR_VERSION}")
    today = today or fields.Date.context_today(env["res.company"])
    cr = env.cr
    company = env.company
    ccy = company.currency_id
    other = env["res.currency"].with_context(active_test=False).search(
        [("name", "=", "EUR" if ccy.name != "EUR" else "USD")], limit=1)
    other.active = True
    if not env["res.currency.rate"].search([("currency_id", "=", other.id), ("company_id", "in", [company.id, False])]):
        env["res.currency.rate"].create({
            "currency_id": other.id, "company_id": company.id, "name": "2000-01-01", "rate": OTHER_RATE})

    sale_journal = env["account.journal"].search(
        [("type", "=", "sale"), ("company_id", "=", company.id)], limit=1)
    bank_journal = env["account.journal"].search(
        [("type", "=", "bank"), ("company_id", "=", company.id)], limit=1)
    terms = {
        "immediate": (env.ref("account.account_payment_term_immediate"), 0),
        "15": (env.ref("account.account_payment_term_15days"), 15),
        "30": (env.ref("account.account_payment_term_30days"), 30),
        "45": (env.ref("account.account_payment_term_45days"), 45),
        "split": (env.ref("account.account_payment_term_advance_60days"), 60),  # 30 % now, rest 60 d
    }
    product = env["product.product"].search([("default_code", "=", "BENCH-SERVICE")], limit=1) or \
        env["product.product"].create({
            "name": "Bench service", "default_code": "BENCH-SERVICE", "type": "service",
            "list_price": 100.0, "invoice_policy": "order", "taxes_id": [Command.clear()]})
    return SimpleNamespace(
        env=env, cr=cr, p=p, rng=rng, today=today, company=company, ccy=ccy, other=other,
        sale_journal=sale_journal, bank_journal=bank_journal, terms=terms, product=product)


def _make_templates(g):
    """The template rows, made with the ORM: a customer, a confirmed order partly invoiced, its
    posted invoice and a payment entry reconciled with it (``g.tmpl``: their ids)."""
    env, cr, today, terms, product = g.env, g.cr, g.today, g.terms, g.product
    bank_journal = g.bank_journal
    tmpl_partner = env["res.partner"].create({
        "name": "Bench template", "is_company": True, "customer_rank": 1})
    tmpl_order = env["sale.order"].create({
        "partner_id": tmpl_partner.id,
        "order_line": [Command.create({"product_id": product.id, "product_uom_qty": 10,
                                       "price_unit": 10.0, "tax_ids": [Command.clear()]})]})
    tmpl_order.with_context(bypass_risk=True).action_confirm()
    tmpl_invoice = tmpl_order._create_invoices()
    tmpl_invoice.invoice_line_ids.quantity = 4
    tmpl_invoice.write({"invoice_date": today, "invoice_payment_term_id": terms["30"][0].id})
    tmpl_invoice.action_post()
    recv_line = tmpl_invoice.line_ids.filtered(lambda rec: rec.display_type == "payment_term")
    tmpl_payment = env["account.move"].create({
        "move_type": "entry", "journal_id": bank_journal.id, "date": today,
        "line_ids": [
            Command.create({"account_id": bank_journal.default_account_id.id, "debit": 40.0,
                            "partner_id": tmpl_partner.id, "name": "Bench payment"}),
            Command.create({"account_id": recv_line.account_id.id, "credit": 40.0,
                            "partner_id": tmpl_partner.id, "name": "Bench payment"}),
        ]})
    tmpl_payment.action_post()
    pay_recv = tmpl_payment.line_ids.filtered(lambda rec: rec.account_id == recv_line.account_id)
    pay_bank = tmpl_payment.line_ids - pay_recv
    (recv_line | pay_recv).reconcile()
    env.flush_all()
    # free the template moves' names: the generated ones start at number 1 of each year
    cr.execute("UPDATE account_move SET name = 'BENCH-TEMPLATE/' || id, sequence_prefix = 'BENCH-TEMPLATE/'"
               " WHERE id = ANY(%s)", [[tmpl_invoice.id, tmpl_payment.id]])
    cr.execute("UPDATE account_move_line SET move_name = 'BENCH-TEMPLATE/' || move_id WHERE move_id = ANY(%s)",
               [[tmpl_invoice.id, tmpl_payment.id]])
    tmpl = dict(
        partner=tmpl_partner.id, order=tmpl_order.id, order_line=tmpl_order.order_line.id,
        invoice=tmpl_invoice.id, inv_product=tmpl_invoice.invoice_line_ids.id, inv_recv=recv_line.id,
        payment=tmpl_payment.id, pay_recv=pay_recv.id, pay_bank=pay_bank.id,
        partial=recv_line.matched_credit_ids.id, full=recv_line.full_reconcile_id.id,
    )
    env.invalidate_all()
    g.tmpl = tmpl


def _clone_customers(g):
    """The customers (each with a credit limit) and the two reference customers."""
    cr, rng, p, tmpl, company = g.cr, g.rng, g.p, g.tmpl, g.company
    n_cust = p["customers"]
    limits = [5_000, 10_000, 20_000, 50_000, 100_000, 250_000]
    customers = []  # (index, ref, name, limit)
    for i in range(1, n_cust + 1):
        customers.append((f"{PARTNER_REF_PREFIX}{i:06d}", f"Bench Customer {i:06d}", rng.choice(limits)))
    customers.append((SMALL_REF, "Bench Customer with 10 open invoices", 100_000))
    customers.append((BIG_REF, f"Bench Customer with {p['big_open']} open invoices", 1_000_000))
    first_partner = _reserve_ids(cr, "res_partner", len(customers))
    partner_ids = list(range(first_partner, first_partner + len(customers)))
    cr.execute("CREATE TEMP TABLE bench_partner (id int, tmpl_id int, ref varchar, name varchar,"
               " credit_limit numeric) ON COMMIT DROP")
    _copy(cr, "bench_partner", ["id", "tmpl_id", "ref", "name", "credit_limit"],
          ((pid, tmpl["partner"], ref, name, limit)
           for pid, (ref, name, limit) in zip(partner_ids, customers, strict=True)))
    cid = company.id
    partner_overrides = {
        "id": "s.id", "name": "s.name", "complete_name": "s.name", "commercial_partner_id": "s.id",
        "commercial_company_name": "s.name", "ref": "s.ref",
        "email": "lower(replace(s.ref, '-', '.')) || '@bench.example.com'",
        "credit_limit": f"jsonb_build_object('{cid}', s.credit_limit)",
    }
    _clone(cr, "res_partner", "bench_partner", partner_overrides)
    regular = partner_ids[:n_cust]
    small_id, big_id = partner_ids[n_cust], partner_ids[n_cust + 1]
    g.__dict__.update(customers=customers, partner_ids=partner_ids, regular=regular,
                      small_id=small_id, big_id=big_id, n_cust=n_cust, cid=cid)


def _clone_orders(g):
    """One confirmed order per sampled customer, about half of them partly invoiced."""
    env, cr, rng, p, tmpl, today = g.env, g.cr, g.rng, g.p, g.tmpl, g.today
    regular, n_cust, cid = g.regular, g.n_cust, g.cid
    n_orders = min(p["orders"], n_cust)
    order_partners = rng.sample(regular, n_orders)
    first_order = _reserve_ids(cr, "sale_order", n_orders)
    first_oline = _reserve_ids(cr, "sale_order_line", n_orders)
    orders = []  # (order_id, line_id, partner, name, date, qty, unit cents, invoiced qty)
    for k, partner in enumerate(order_partners):
        unit = rng.randint(10, 2000) * 100
        invoiced = rng.randint(1, 9) if rng.random() < 0.5 else 0
        odate = today - timedelta(days=rng.randint(0, 89))
        orders.append((first_order + k, first_oline + k, partner, f"S{k + 1:05d}", odate, 10, unit, invoiced))
    cr.execute("CREATE TEMP TABLE bench_order (id int, tmpl_id int, line_id int, line_tmpl_id int,"
               " partner_id int, name varchar, date_order timestamp, qty numeric, unit numeric,"
               " invoiced numeric) ON COMMIT DROP")
    _copy(cr, "bench_order", ["id", "tmpl_id", "line_id", "line_tmpl_id", "partner_id", "name",
                              "date_order", "qty", "unit", "invoiced"],
          ((o[0], tmpl["order"], o[1], tmpl["order_line"], o[2], o[3], f"{o[4]} 09:00:00",
            o[5], _Money.f(o[6]), o[7]) for o in orders))
    _clone(cr, "sale_order", "bench_order", {
        "id": "s.id", "name": "s.name", "partner_id": "s.partner_id",
        "partner_invoice_id": "s.partner_id", "partner_shipping_id": "s.partner_id",
        "date_order": "s.date_order", "create_date": "s.date_order", "write_date": "s.date_order",
        "amount_untaxed": "s.qty * s.unit", "amount_total": "s.qty * s.unit",
        "validity_date": "s.date_order::date + 30",
        "invoice_status": "'to invoice'",
        "access_token": "NULL",
    })
    _clone(cr, "sale_order_line", "bench_order", {
        "id": "s.line_id", "order_id": "s.id", "order_partner_id": "s.partner_id",
        "product_uom_qty": "s.qty", "price_unit": "s.unit", "technical_price_unit": "s.unit",
        "price_subtotal": "s.qty * s.unit", "price_total": "s.qty * s.unit",
        "price_reduce_taxexcl": "s.unit", "price_reduce_taxinc": "s.unit",
        "qty_invoiced": "s.invoiced", "qty_to_invoice": "s.qty - s.invoiced",
        "untaxed_amount_invoiced": "s.invoiced * s.unit",
        "untaxed_amount_to_invoice": "(s.qty - s.invoiced) * s.unit",
        "invoice_status": "'to invoice'",
        "create_date": "s.date_order", "write_date": "s.date_order",
    }, template_key="line_tmpl_id")
    seq = env["ir.sequence"].search([("code", "=", "sale.order"), ("company_id", "in", [cid, False])], limit=1)
    if seq:
        seq.number_next = max(seq.number_next_actual, n_orders + 1)
    g.orders, g.n_orders = orders, n_orders


def _plan_invoices(g):
    """What each invoice is (``g.invoices``, by date): the orders' invoices, invoices spread
    over two years and customers, the reference customers' open invoices, and each one's fate
    (paid, partly paid, open) and payment date."""
    rng, p, today, terms, orders = g.rng, g.p, g.today, g.terms, g.orders
    ccy, other, regular, small_id, big_id = g.ccy, g.other, g.regular, g.small_id, g.big_id
    # Each invoice: (partner, currency_id, invoice_date, term key, amount cents in its
    # currency, fate, payment date, order index or None, quantity, unit cents)
    invoices = []
    for o_index, o in enumerate(orders):
        if o[7]:
            idate = min(today, o[4] + timedelta(days=rng.randint(0, 5)))
            invoices.append([o[2], ccy.id, idate, "30", o[7] * o[6], None, None, o_index, o[7], o[6]])
    n_random = max(p["invoices"] - len(invoices), 0)
    weights = [rng.paretovariate(1.5) for _ in regular]
    inv_partners = rng.choices(regular, weights=weights, k=n_random)
    term_keys = ["immediate", "15", "30", "30", "45", "split"]
    for partner in inv_partners:
        foreign = rng.random() < 0.25
        amount = int(rng.lognormvariate(7.5, 1.0) * 100)
        amount = min(max(amount, 5_000), 5_000_000)
        if foreign:
            amount -= amount % 2  # exact conversion at OTHER_RATE
        idate = today - timedelta(days=rng.randint(0, 729))
        invoices.append([partner, other.id if foreign else ccy.id, idate, rng.choice(term_keys),
                         amount, None, None, None, 1, amount])
    # The two reference customers differ only by their number of open invoices: same term,
    # same age (the oldest first instalments a few days overdue, within grade A's tolerance).
    for _k in range(10):
        amount = rng.randint(10, 100) * 100
        invoices.append([small_id, ccy.id, today - timedelta(days=rng.randint(0, 25)), "split",
                         amount, "open", None, None, 1, amount])
    for _k in range(p["big_open"]):
        amount = rng.randint(10, 100) * 100
        invoices.append([big_id, ccy.id, today - timedelta(days=rng.randint(0, 25)), "split",
                         amount, "open", None, None, 1, amount])
    # fates: paid / partial / open, payments dated after the invoice, never after today
    for inv in invoices:
        if inv[5] is None:
            roll = rng.random()
            inv[5] = "paid" if roll < 0.45 else "partial" if roll < 0.55 else "open"
        if inv[5] != "open":
            due_days = terms[inv[3]][1]
            pdate = inv[2] + timedelta(days=max(0, due_days + rng.randint(-20, 45)))
            inv[6] = min(pdate, today)
    invoices.sort(key=lambda inv: inv[2])
    g.invoices = invoices


def _last_numbers(cr, journal):
    """Numbers already used per year in ``journal`` (a database with other invoices)."""
    cr.execute("SELECT sequence_prefix, MAX(sequence_number) FROM account_move"
               " WHERE journal_id = %s GROUP BY sequence_prefix", [journal.id])
    used = dict(cr.fetchall())
    return {int(prefix.rstrip("/").rsplit("/", 1)[-1]): number
            for prefix, number in used.items()
            if prefix and prefix.startswith(f"{journal.code}/") and prefix.rstrip("/").rsplit("/", 1)[-1].isdigit()}


def _invoice_rows(g):
    """The rows of the invoices (moves, product and receivable lines, one or two instalments),
    the order links of their lines and the payments they get."""
    cr, invoices, terms, tmpl, orders = g.cr, g.invoices, g.terms, g.tmpl, g.orders
    ccy, other, sale_journal = g.ccy, g.other, g.sale_journal
    n_inv = len(invoices)
    first_move = _reserve_ids(cr, "account_move", n_inv)
    seq_by_year = _last_numbers(cr, sale_journal)
    moves, lines, rels = [], [], []
    # payments: (invoice index, pay date, currency, amount cur cents, amount company cents,
    #            [(line idx, cur, comp)], ...)
    payments = []
    n_recv_lines = sum(2 if inv[3] == "split" else 1 for inv in invoices)
    first_line = _reserve_ids(cr, "account_move_line", n_inv + n_recv_lines)
    line_id = first_line
    rate = {ccy.id: 1, other.id: int(OTHER_RATE)}
    for k, (partner, cur, idate, term, amount, fate, pdate, o_index, qty, unit) in enumerate(invoices):
        move_id = first_move + k
        year = idate.year
        seq_by_year[year] = seq_by_year.get(year, 0) + 1
        prefix = f"{sale_journal.code}/{year}/"
        name = f"{prefix}{seq_by_year[year]:05d}"
        div = rate[cur]
        comp = amount // div
        if term == "split":
            first_cur = (amount * 3 // 10) // div * div
            parts = [(first_cur, idate), (amount - first_cur, idate + timedelta(days=60))]
        else:
            parts = [(amount, idate + timedelta(days=terms[term][1]))]
        due = max(d for _a, d in parts)
        # product line (credit)
        lines.append((line_id, tmpl["inv_product"], move_id, name, idate, idate, None, partner, cur,
                      "Bench service", -comp, -amount, 0, 0, "f", None, None, qty,
                      _Money.f(unit), _Money.f(amount), 10))
        if o_index is not None:
            rels.append((orders[o_index][1], line_id))
        line_id += 1
        recv = []
        for n, (part_cur, maturity) in enumerate(parts, 1):
            part_comp = part_cur // div
            recv.append([line_id, part_cur, part_comp, maturity, n])
            line_id += 1
        residual_cur = amount
        paid_parts = []
        if fate == "paid":
            paid_parts = [(r[0], r[1], r[2]) for r in recv]
            residual_cur = 0
        elif fate == "partial":
            pay_cur = (recv[0][1] // 2) // div * div
            paid_parts = [(recv[0][0], pay_cur, pay_cur // div)]
            residual_cur = amount - pay_cur
        if paid_parts:
            payments.append((k, pdate, cur, sum(x[1] for x in paid_parts),
                             sum(x[2] for x in paid_parts), paid_parts, fate == "paid", recv))
        paid_by_line = {x[0]: x for x in paid_parts}
        for r_id, part_cur, part_comp, maturity, n in recv:
            paid = paid_by_line.get(r_id)
            res_cur = part_cur - (paid[1] if paid else 0)
            res_comp = part_comp - (paid[2] if paid else 0)
            label = f"{name} installment #{n}" if term == "split" else name
            lines.append((r_id, tmpl["inv_recv"], move_id, name, idate, idate, maturity, partner, cur,
                          label, part_comp, part_cur, res_comp, res_cur,
                          "t" if res_cur == 0 else "f", None, None, None, None, None, 12000))
        payment_state = {"paid": "paid", "partial": "partial", "open": "not_paid"}[fate]
        moves.append((move_id, tmpl["invoice"], name, prefix, seq_by_year[year], idate, idate, due,
                      partner, cur, div, _Money.f(amount), _Money.f(comp), _Money.f(residual_cur),
                      _Money.f(residual_cur // div), payment_state, terms[term][0].id,
                      orders[o_index][3] if o_index is not None else None))

    g.__dict__.update(n_inv=n_inv, n_recv_lines=n_recv_lines, rate=rate, moves=moves, lines=lines,
                      rels=rels, payments=payments)


def _payment_rows(g):
    """One payment entry per paid or partly paid invoice, its partial and full
    reconciliations, and the reconciliation links of the lines they match."""
    cr, invoices, tmpl, rate = g.cr, g.invoices, g.tmpl, g.rate
    bank_journal, payments, moves, lines = g.bank_journal, g.payments, g.moves, g.lines
    payments.sort(key=lambda pay: (pay[1], pay[0]))
    n_pay = len(payments)
    first_pay_move = _reserve_ids(cr, "account_move", n_pay)
    first_pay_line = _reserve_ids(cr, "account_move_line", 2 * n_pay)
    n_partials = sum(len(pay[5]) for pay in payments)
    first_partial = _reserve_ids(cr, "account_partial_reconcile", n_partials)
    n_full = sum(1 for pay in payments if pay[6])
    first_full = _reserve_ids(cr, "account_full_reconcile", n_full)
    partial_id, full_id = first_partial, first_full
    pay_seq = _last_numbers(cr, bank_journal)
    partials, fulls = [], []
    matching = {}  # line id -> (full id, matching number)
    for j, (k, pdate, cur, amt_cur, amt_comp, paid_parts, full, recv) in enumerate(payments):
        inv = invoices[k]
        move_id = first_pay_move + j
        year = pdate.year
        pay_seq[year] = pay_seq.get(year, 0) + 1
        prefix = f"{bank_journal.code}/{year}/"
        name = f"{prefix}{pay_seq[year]:05d}"
        bank_line, recv_line_id = first_pay_line + 2 * j, first_pay_line + 2 * j + 1
        moves.append((move_id, tmpl["payment"], name, prefix, pay_seq[year], pdate, None, pdate,
                      inv[0], cur, rate[cur], _Money.f(amt_cur), _Money.f(amt_comp), "0.00", "0.00",
                      "not_paid", None, None))
        lines.append((bank_line, tmpl["pay_bank"], move_id, name, pdate, None, None, inv[0], cur,
                      "Bench payment", amt_comp, amt_cur, amt_comp, amt_cur, "f", None, None, 1,
                      None, _Money.f(amt_cur), 100))
        first_partial_here = partial_id
        fid = None
        if full:
            fid = full_id
            full_id += 1
            fulls.append((fid, tmpl["full"]))
        for r_id, part_cur, part_comp in paid_parts:
            partials.append((partial_id, tmpl["partial"], r_id, recv_line_id, fid, cur, cur,
                             _Money.f(part_comp), _Money.f(part_cur), _Money.f(part_cur),
                             max(pdate, inv[2])))
            partial_id += 1
        number = str(fid) if fid else f"P{first_partial_here}"
        matching[recv_line_id] = (fid, number)
        for r_id, _c, _p in paid_parts:
            matching[r_id] = (fid, number)
        if full:
            for r in recv:
                matching[r[0]] = (fid, number)
        lines.append((recv_line_id, tmpl["pay_recv"], move_id, name, pdate, None, None, inv[0], cur,
                      "Bench payment", -amt_comp, -amt_cur, 0, 0, "t", None, None, 1, None,
                      _Money.f(-amt_cur), 100))
    # reconciliation links on the lines
    lines = [ln if ln[0] not in matching else ln[:15] + matching[ln[0]] + ln[17:] for ln in lines]
    g.__dict__.update(n_pay=n_pay, lines=lines, partials=partials, fulls=fulls)


def _insert_moves(g):
    """All moves, invoices and payments, cloned from their templates."""
    cr, moves = g.cr, g.moves
    cr.execute("""CREATE TEMP TABLE bench_move (id int, tmpl_id int, name varchar, prefix varchar,
        seqnum int, date date, invoice_date date, due date, partner_id int, currency_id int,
        rate numeric, amount numeric, amount_comp numeric, residual numeric, residual_comp numeric,
        payment_state varchar, term_id int, origin varchar) ON COMMIT DROP""")
    _copy(cr, "bench_move", ["id", "tmpl_id", "name", "prefix", "seqnum", "date", "invoice_date",
                             "due", "partner_id", "currency_id", "rate", "amount", "amount_comp",
                             "residual", "residual_comp", "payment_state", "term_id", "origin"], moves)
    _clone(cr, "account_move", "bench_move", {
        "id": "s.id", "name": "s.name", "sequence_prefix": "s.prefix", "sequence_number": "s.seqnum",
        "date": "s.date", "invoice_date": "s.invoice_date", "invoice_date_due": "s.due",
        "partner_id": "s.partner_id", "commercial_partner_id": "s.partner_id",
        "partner_shipping_id": "CASE WHEN t.partner_shipping_id IS NULL THEN NULL ELSE s.partner_id END",
        "currency_id": "s.currency_id",
        "invoice_currency_rate": "CASE WHEN t.invoice_currency_rate IS NULL THEN NULL ELSE s.rate END",
        "amount_untaxed": "CASE WHEN t.move_type = 'entry' THEN 0 ELSE s.amount END",
        "amount_total": "CASE WHEN t.move_type = 'entry' THEN s.amount_comp ELSE s.amount END",
        "amount_residual": "s.residual",
        "amount_untaxed_signed": "CASE WHEN t.move_type = 'entry' THEN 0 ELSE s.amount_comp END",
        "amount_untaxed_in_currency_signed": "CASE WHEN t.move_type = 'entry' THEN 0 ELSE s.amount END",
        "amount_total_signed": "s.amount_comp", "amount_total_in_currency_signed": "s.amount",
        "amount_residual_signed": "s.residual_comp",
        "payment_state": "s.payment_state",
        "payment_reference": "CASE WHEN t.payment_reference IS NULL THEN NULL ELSE s.name END",
        "invoice_partner_display_name": "(SELECT name FROM res_partner WHERE id = s.partner_id)",
        "invoice_payment_term_id": "s.term_id", "invoice_origin": "s.origin",
        "access_token": "NULL",
        "create_date": "s.date::timestamp + interval '9 hours'",
        "write_date": "s.date::timestamp + interval '9 hours'",
    })


def _insert_lines(g):
    """The full reconciliations, then the move lines that reference them."""
    cr, fulls, lines = g.cr, g.fulls, g.lines
    # full reconciliations first: the lines reference them
    cr.execute("CREATE TEMP TABLE bench_full (id int, tmpl_id int) ON COMMIT DROP")
    _copy(cr, "bench_full", ["id", "tmpl_id"], fulls)
    _clone(cr, "account_full_reconcile", "bench_full", {"id": "s.id"})
    cr.execute("""CREATE TEMP TABLE bench_line (id int, tmpl_id int, move_id int, move_name varchar,
        date date, invoice_date date, date_maturity date, partner_id int, currency_id int,
        name varchar, balance numeric, amount_currency numeric, residual numeric,
        residual_currency numeric, reconciled boolean, full_reconcile_id int,
        matching_number varchar, quantity numeric, price_unit numeric, price_subtotal numeric,
        sequence int) ON COMMIT DROP""")
    cents = {10, 11, 12, 13}
    _copy(cr, "bench_line", ["id", "tmpl_id", "move_id", "move_name", "date", "invoice_date",
                             "date_maturity", "partner_id", "currency_id", "name", "balance",
                             "amount_currency", "residual", "residual_currency", "reconciled",
                             "full_reconcile_id", "matching_number", "quantity", "price_unit",
                             "price_subtotal", "sequence"],
          (tuple(_Money.f(v) if i in cents else v for i, v in enumerate(rec)) for rec in lines))
    _clone(cr, "account_move_line", "bench_line", {
        "id": "s.id", "move_id": "s.move_id", "move_name": "s.move_name", "date": "s.date",
        "invoice_date": "s.invoice_date", "date_maturity": "s.date_maturity",
        "partner_id": "s.partner_id", "currency_id": "s.currency_id", "name": "s.name",
        "balance": "s.balance", "debit": "GREATEST(s.balance, 0)", "credit": "GREATEST(-s.balance, 0)",
        "amount_currency": "s.amount_currency", "amount_residual": "s.residual",
        "amount_residual_currency": "s.residual_currency", "reconciled": "s.reconciled",
        "full_reconcile_id": "s.full_reconcile_id", "matching_number": "s.matching_number",
        "quantity": "COALESCE(s.quantity, t.quantity)",
        "price_unit": "COALESCE(s.price_unit, t.price_unit)",
        "price_subtotal": "COALESCE(s.price_subtotal, t.price_subtotal)",
        "price_total": "COALESCE(s.price_subtotal, t.price_total)",
        "deductible_amount": "t.deductible_amount", "sequence": "s.sequence",
        "create_date": "s.date::timestamp + interval '9 hours'",
        "write_date": "s.date::timestamp + interval '9 hours'",
    })


def _insert_partials(g):
    """The partial reconciliations and the order-line / invoice-line links."""
    cr, partials, rels = g.cr, g.partials, g.rels
    cr.execute("""CREATE TEMP TABLE bench_partial (id int, tmpl_id int, debit_move_id int,
        credit_move_id int, full_reconcile_id int, debit_currency_id int, credit_currency_id int,
        amount numeric, debit_amount_currency numeric, credit_amount_currency numeric,
        max_date date) ON COMMIT DROP""")
    _copy(cr, "bench_partial", ["id", "tmpl_id", "debit_move_id", "credit_move_id",
                                "full_reconcile_id", "debit_currency_id", "credit_currency_id",
                                "amount", "debit_amount_currency", "credit_amount_currency",
                                "max_date"], partials)
    _clone(cr, "account_partial_reconcile", "bench_partial", {
        "id": "s.id", "debit_move_id": "s.debit_move_id", "credit_move_id": "s.credit_move_id",
        "full_reconcile_id": "s.full_reconcile_id", "debit_currency_id": "s.debit_currency_id",
        "credit_currency_id": "s.credit_currency_id", "amount": "s.amount",
        "debit_amount_currency": "s.debit_amount_currency",
        "credit_amount_currency": "s.credit_amount_currency", "max_date": "s.max_date",
    })
    if rels:
        _copy(cr, "sale_order_line_invoice_rel", ["order_line_id", "invoice_line_id"], rels)


def _finish(g):
    """Drop the templates and refresh the statistics and the caches."""
    env, cr = g.env, g.cr
    _delete_templates(cr, g.tmpl)
    cr.execute("ANALYZE res_partner; ANALYZE account_move; ANALYZE account_move_line;"
               " ANALYZE account_partial_reconcile; ANALYZE sale_order; ANALYZE sale_order_line")
    env.invalidate_all()
    env.registry.clear_cache()


def _delete_templates(cr, tmpl):
    # account bumps customer ranks after commit: forget the deleted template customer
    for key, data in list(cr.postcommit.data.items()):
        if key.startswith("account.res.partner.increase_rank.") and hasattr(data, "pop"):
            data.pop(tmpl["partner"], None)
    moves = [tmpl["invoice"], tmpl["payment"]]
    cr.execute("DELETE FROM sale_order_line_invoice_rel WHERE order_line_id = %s", [tmpl["order_line"]])
    cr.execute("DELETE FROM account_partial_reconcile WHERE id = %s", [tmpl["partial"]])
    cr.execute("UPDATE account_move_line SET full_reconcile_id = NULL WHERE move_id = ANY(%s)", [moves])
    cr.execute("DELETE FROM account_full_reconcile WHERE id = %s", [tmpl["full"]])
    cr.execute("DELETE FROM account_move_line WHERE move_id = ANY(%s)", [moves])
    cr.execute("DELETE FROM account_move WHERE id = ANY(%s)", [moves])
    cr.execute("DELETE FROM sale_order WHERE id = %s", [tmpl["order"]])
    for model, ids in (("account.move", moves), ("sale.order", [tmpl["order"]]),
                       ("res.partner", [tmpl["partner"]])):
        cr.execute("DELETE FROM mail_message WHERE model = %s AND res_id = ANY(%s)", [model, ids])
        cr.execute("DELETE FROM mail_followers WHERE res_model = %s AND res_id = ANY(%s)", [model, ids])
    cr.execute("DELETE FROM res_partner WHERE id = %s", [tmpl["partner"]])


# ------------------------------------------------------------------------------------------
# phase 2: credit_control's own data
# ------------------------------------------------------------------------------------------
def bench_partners(env):
    return env["res.partner"].with_context(active_test=False).search(
        [("ref", "=like", PARTNER_REF_PREFIX + "%")], order="id")


def apply_credit_profile(env, seed=42, log=print):
    """Give every bench customer a grade consistent with its limit (credit_control), and when
    the models exist, set up an insurance policy and dunning. Returns a summary dict."""
    t0 = time.monotonic()
    summary = {}
    if "credit.grade" not in env:
        return summary
    rng = random.Random(f"credit_control-bench-profile-{seed}-{GENERATOR_VERSION}")
    cr = env.cr
    company = env.company
    grades = env["credit.grade"].search([("company_id", "in", [company.id, False])])
    by_code = {g.code: g for g in grades}
    cr.execute("SELECT id, ref, (credit_limit->>%s)::numeric FROM res_partner WHERE ref LIKE %s ORDER BY id",
               [str(company.id), PARTNER_REF_PREFIX + "%"])
    rows = cr.fetchall()
    assignments = []
    for pid, ref, limit in rows:
        if ref in (SMALL_REF, BIG_REF):
            code = "A"
        else:
            allowed = [c for c in ("A", "B", "C", "D") if c in by_code and (
                not by_code[c].max_credit_limit or by_code[c].max_credit_limit >= (limit or 0))]
            code = "E" if rng.random() < 0.02 and "E" in by_code else rng.choice(allowed or ["A"])
        assignments.append((pid, by_code[code].id if code in by_code else None))
    cr.execute("CREATE TEMP TABLE bench_grade (id int, grade_id int) ON COMMIT DROP")
    _copy(cr, "bench_grade", ["id", "grade_id"], assignments)
    cid = str(company.id)
    cr.execute(
        "UPDATE res_partner p SET credit_grade_id = COALESCE(p.credit_grade_id, '{}'::jsonb)"
        " || jsonb_build_object(%s, g.grade_id) FROM bench_grade g WHERE g.id = p.id AND g.grade_id IS NOT NULL",
        [cid])
    summary["graded_customers"] = cr.rowcount
    env.invalidate_all()
    summary.update(_apply_insurance(env, rng))
    summary.update(_apply_dunning(env, rng))
    summary["seconds"] = round(time.monotonic() - t0, 1)
    log(f"credit profile: {summary}")
    return summary


def _apply_insurance(env, rng):
    """One insurance policy with a cover decision for about 60 % of the bench customers (granted,
    some reduced or requested), when the measured build has the insurance models."""
    if "credit.insurance.policy" not in env or "credit.insurance.limit" not in env:
        return {}
    company = env.company
    Policy = env["credit.insurance.policy"]
    policy = Policy.search([("name", "=", "BENCH-POLICY"), ("company_id", "=", company.id)], limit=1)
    if policy:
        return {"insurance_policy": policy.name}
    insurer = env["res.partner"].create({"name": "Bench Trade Credit Insurer", "is_company": True})
    values = {"name": "BENCH-POLICY", "insurer_id": insurer.id, "company_id": company.id,
              "currency_id": company.currency_id.id,
              "date_start": fields.Date.context_today(Policy) - timedelta(days=365)}
    optional = {"coverage_pct": 90.0, "discretionary_limit": 20_000.0, "max_extension_days": 60,
                "notification_days": 90, "claim_days": 180, "premium_rate": 0.25}
    values.update({k: v for k, v in optional.items() if k in Policy._fields})
    policy = Policy.create(values)
    cr = env.cr
    cr.execute("SELECT id, (credit_limit->>%s)::numeric FROM res_partner WHERE ref LIKE %s ORDER BY id",
               [str(company.id), PARTNER_REF_PREFIX + "%"])
    vals_list = []
    today = fields.Date.context_today(Policy)
    for pid, limit in cr.fetchall():
        if rng.random() >= 0.6:
            continue
        limit = float(limit or 10_000)
        state = rng.choices(["granted", "reduced", "requested"], weights=[80, 10, 10])[0]
        granted = 0.0 if state == "requested" else limit * (1.0 if state == "granted" else 0.5)
        vals_list.append({"policy_id": policy.id, "partner_id": pid, "requested_amount": limit,
                          "granted_amount": granted, "state": state,
                          "granted_date": today - timedelta(days=rng.randint(1, 300)) if granted else False})
    Limit = env["credit.insurance.limit"].with_context(tracking_disable=True, mail_create_nolog=True,
                                                      mail_notrack=True)
    for start in range(0, len(vals_list), 1000):
        Limit.create(vals_list[start:start + 1000])
    return {"insurance_policy": policy.name, "insurance_covers": len(vals_list)}


def _apply_dunning(env, rng):
    """Dunning: the company uses the module's standard procedure (its own data), when the
    measured build has the dunning models; bench customers have e-mail addresses, so reminders are e-mails (queued)."""
    company = env.company
    if "credit.dunning.procedure" not in env or "credit_dunning_procedure_id" not in company._fields:
        return {}
    if not company.credit_dunning_procedure_id:
        company.credit_dunning_procedure_id = env["credit.dunning.procedure"].search(
            [("company_id", "in", [company.id, False])], limit=1)
    procedure = company.credit_dunning_procedure_id
    return {"dunning_procedure": procedure.display_name,
            "dunning_levels": len(procedure.level_ids) if "level_ids" in procedure._fields else None}


# ------------------------------------------------------------------------------------------
# consistency, with Odoo's own computations
# ------------------------------------------------------------------------------------------
def _recompute(records, fname):
    """Run Odoo's compute method of ``fname`` on ``records`` the way the ORM does (values go to
    the cache, no business logic), so they can be compared with what is stored."""
    env = records.env
    env.invalidate_all()
    field = records._fields[fname]
    with env.protecting(records.pool.field_computed.get(field, [field]), records):
        field.compute_value(records)


def check_consistency(env, sample=2000, seed=42):
    """Raise AssertionError when the bench data is not consistent accounting.

    * every bench move is balanced (company currency, and in currency);
    * receivable balance = sum of residuals, over the bench customers, by Odoo's ``_read_group``;
    * for a seeded sample, Odoo's own computations reproduce the stored residuals and
      reconciled flags of the lines, the residual and payment state of the invoices and the
      invoiced quantity of the order lines.
    Returns a dict of figures.
    """
    cr = env.cr
    env.flush_all()
    partners = bench_partners(env)
    ids = partners.ids
    cr.execute("""
        SELECT count(*) FROM (
            SELECT l.move_id FROM account_move_line l JOIN account_move m ON m.id = l.move_id
             WHERE m.partner_id = ANY(%s)
             GROUP BY l.move_id
            HAVING round(sum(l.balance), 2) != 0 OR round(sum(l.debit) - sum(l.credit), 2) != 0
                OR (count(DISTINCT l.currency_id) = 1 AND round(sum(l.amount_currency), 2) != 0)) u
    """, [ids])
    unbalanced = cr.fetchone()[0]
    assert unbalanced == 0, f"{unbalanced} unbalanced moves"
    Line = env["account.move.line"]
    domain = [("partner_id", "in", ids), ("parent_state", "=", "posted"),
              ("account_id.account_type", "=", "asset_receivable")]
    [(balance, residual, count)] = Line._read_group(domain, [], ["balance:sum", "amount_residual:sum", "__count"])
    currency = env.company.currency_id
    assert currency.is_zero(balance - residual), \
        f"receivable balance {balance} != sum of residuals {residual}"
    # Odoo's partner figure (account's total_due) agrees as well
    rng = random.Random(seed)
    line_ids = Line.search(domain).ids
    sample_lines = Line.browse(sorted(rng.sample(line_ids, min(sample, len(line_ids)))))
    stored = {rec["id"]: rec
              for rec in sample_lines.read(["amount_residual", "amount_residual_currency", "reconciled"])}
    _recompute(sample_lines, "amount_residual")
    for line in sample_lines:
        s = stored[line.id]
        assert currency.is_zero(line.amount_residual - s["amount_residual"]) and \
            line.currency_id.is_zero(line.amount_residual_currency - s["amount_residual_currency"]) and \
            line.reconciled == s["reconciled"], \
            f"line {line.id}: stored {s}, Odoo computes {line.amount_residual}, " \
            f"{line.amount_residual_currency}, {line.reconciled}"
    Move = env["account.move"]
    inv_ids = Move.search([("partner_id", "in", ids), ("move_type", "=", "out_invoice")]).ids
    sample_moves = Move.browse(sorted(rng.sample(inv_ids, min(sample // 4, len(inv_ids)))))
    stored = {m["id"]: m for m in sample_moves.read(["amount_residual", "amount_total", "payment_state"])}
    _recompute(sample_moves, "amount_residual")
    _recompute(sample_moves, "payment_state")
    for move in sample_moves:
        s = stored[move.id]
        assert move.currency_id.is_zero(move.amount_residual - s["amount_residual"]) and \
            move.currency_id.is_zero(move.amount_total - s["amount_total"]) and \
            move.payment_state == s["payment_state"], \
            f"invoice {move.name}: stored {s}, Odoo computes {move.amount_residual}, " \
            f"{move.amount_total}, {move.payment_state}"
    SOL = env["sale.order.line"]
    sol_ids = SOL.search([("order_partner_id", "in", ids)]).ids
    sample_sol = SOL.browse(sorted(rng.sample(sol_ids, min(sample // 4, len(sol_ids)))))
    stored = {rec["id"]: rec["qty_invoiced"] for rec in sample_sol.read(["qty_invoiced"])}
    _recompute(sample_sol, "qty_invoiced")
    for line in sample_sol:
        assert line.qty_invoiced == stored[line.id], \
            f"order line {line.id}: stored qty_invoiced {stored[line.id]}, Odoo computes {line.qty_invoiced}"
    env.invalidate_all()
    counts = dict(
        customers=len(ids),
        posted_invoices=Move.search_count(
            [("partner_id", "in", ids), ("move_type", "=", "out_invoice"), ("state", "=", "posted")]),
        receivable_lines=count,
        open_receivable_lines=Line.search_count(domain + [("reconciled", "=", False)]),
        confirmed_orders=env["sale.order"].search_count([("partner_id", "in", ids), ("state", "=", "sale")]),
    )
    return dict(receivable_balance=balance, receivable_residual=residual,
                checked_lines=len(sample_lines), checked_invoices=len(sample_moves),
                checked_order_lines=len(sample_sol), **counts)
