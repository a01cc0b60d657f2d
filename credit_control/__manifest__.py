{
    "name": "Credit Control",
    "summary": "Customer credit ratings, limits and term policies, real sale blocking with "
    "release approvals, exposure per company and currency",
    "version": "19.0.1.0.0",
    "category": "Accounting/Accounting",
    "license": "LGPL-3",
    "author": "credit_control developers",
    "depends": ["sale_management", "account", "mail"],
    "external_dependencies": {"python": ["python-stdnum", "xlsxwriter"]},
    "data": [
        "security/credit_control_security.xml",
        "security/ir.model.access.csv",
        "security/credit_control_rules.xml",
        "data/credit_grade_data.xml",
        "data/mail_activity_type_data.xml",
        "views/credit_grade_views.xml",
        "views/credit_audit_log_views.xml",
        "views/credit_release_request_views.xml",
        "views/res_partner_views.xml",
        "views/sale_order_views.xml",
        "views/account_move_views.xml",
        "views/res_config_settings_views.xml",
        "views/credit_menus.xml",
    ],
    "demo": [
        "demo/credit_demo_partners.xml",
        "demo/credit_demo_documents.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "credit_control/static/src/js/tours/*.js",
        ],
    },
    "installable": True,
    "application": True,
}
