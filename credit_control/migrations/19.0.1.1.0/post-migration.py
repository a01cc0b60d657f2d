NUMBER = r"^-?[0-9]+(\.[0-9]+)?$"


def migrate(cr, version):
    """Audit rows written before amounts were kept as money: the numeric old and new values of
    limit decisions and release requests ("45000.0") become amounts too, in the company currency
    (a release request's: its document's currency); the text stays, as new rows keep it."""
    cr.execute(
        """
        UPDATE credit_audit_log l
           SET is_amount = TRUE,
               old_amount = CASE WHEN l.old_value ~ %(number)s THEN l.old_value::numeric ELSE 0 END,
               new_amount = CASE WHEN l.new_value ~ %(number)s THEN l.new_value::numeric ELSE 0 END,
               currency_id = COALESCE(
                   CASE l.res_model
                        WHEN 'sale.order' THEN (SELECT currency_id FROM sale_order WHERE id = l.res_id)
                        WHEN 'account.move' THEN (SELECT currency_id FROM account_move WHERE id = l.res_id)
                   END,
                   (SELECT currency_id FROM res_company WHERE id = l.company_id))
         WHERE l.event_type IN ('limit', 'release_request')
           AND NOT COALESCE(l.is_amount, FALSE)
           AND (l.old_value ~ %(number)s OR l.new_value ~ %(number)s)
           AND (l.old_value IS NULL OR l.old_value = '' OR l.old_value ~ %(number)s)
           AND (l.new_value IS NULL OR l.new_value = '' OR l.new_value ~ %(number)s)
        """,
        {"number": NUMBER},
    )
