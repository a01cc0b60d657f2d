"""Write report rows to an XLSX workbook: formatting only, no business logic.

The reports build their rows once (set-based SQL in the Odoo models) and hand them here as
plain dicts, with a description of the columns. The same rows feed the in-ERP views.

Choices (each verified with xlsxwriter on this Odoo):

* ``constant_memory`` so that a large report does not hold the workbook in RAM (rows are
  written in order and flushed);
* ``strings_to_formulas``/``strings_to_urls`` off and ``write_string`` for every text cell:
  a customer named ``=HYPERLINK(...)`` stays text;
* the row count is checked before anything is written: xlsxwriter silently drops rows past
  the sheet's limit.
"""
from datetime import date, datetime

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_ROWS = 1_048_576  # rows in one worksheet, header and totals included
MAX_STRING = 32_767  # characters in one cell


class TooManyRowsError(Exception):
    """A sheet would need more rows than a worksheet holds."""

    def __init__(self, sheet, rows):
        super().__init__(f"sheet {sheet!r} needs {rows} rows, more than {MAX_ROWS}")
        self.sheet = sheet
        self.rows = rows


class Sheet:
    """One table: ``columns`` are dicts with ``key``, ``label``, ``type`` (``text``,
    ``currency``, ``money``, ``int``, ``number``, ``percent``, ``date``), optional ``width``
    and ``total`` (sum it per currency). ``rows`` are dicts keyed like the columns; money is
    formatted with the row's ``currency`` column (an ISO code)."""

    def __init__(self, name, columns, rows):
        self.name = name
        self.columns = columns
        self.rows = rows

    def total_currencies(self):
        if not any(col.get("total") for col in self.columns):
            return []
        return sorted({row.get("currency") or "" for row in self.rows})

    def row_count(self):
        return 1 + len(self.rows) + len(self.total_currencies())


class _Formats:
    """Cached cell formats; money formats carry the currency code and its decimals."""

    def __init__(self, workbook, currency_digits):
        self.workbook = workbook
        self.digits = currency_digits
        self.cache = {}

    def get(self, kind, currency=None, bold=False):
        key = (kind, currency, bold)
        if key not in self.cache:
            props = {"bold": bold}
            if kind == "money":
                digits = self.digits.get(currency, 2)
                decimals = "." + "0" * digits if digits else ""
                code = (currency or "").replace('"', "")
                props["num_format"] = f'#,##0{decimals} "{code}";-#,##0{decimals} "{code}"'
            elif kind == "number":
                props["num_format"] = "#,##0.00"
            elif kind == "int":
                props["num_format"] = "#,##0"
            elif kind == "percent":
                props["num_format"] = "0.00%"
            elif kind == "date":
                props["num_format"] = "yyyy-mm-dd"
            elif kind == "header":
                props.update(bg_color="#DDE4EE", border=1, text_wrap=True, valign="top")
            self.cache[key] = self.workbook.add_format(props)
        return self.cache[key]


def write_workbook(output, sheets, parameters, currency_digits=None,
                   parameters_title="Parameters", total_label="Total"):
    """Write ``sheets`` (list of :class:`Sheet`) and a parameters sheet to ``output``.

    :param parameters: ``[(label, value)]`` shown as text on the parameters sheet.
    :param currency_digits: ``{ISO code: decimal places}`` for money formats.
    :param parameters_title, total_label: translated sheet name and total-row label.
    :raise TooManyRowsError: before anything is written, if a sheet would not fit.
    """
    for sheet in sheets:
        if sheet.row_count() > MAX_ROWS:
            raise TooManyRowsError(sheet.name, sheet.row_count())
    workbook = xlsxwriter.Workbook(output, {
        "constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
        "strings_to_numbers": False,
    })
    formats = _Formats(workbook, currency_digits or {})
    for sheet in sheets:
        _write_sheet(workbook.add_worksheet(sheet.name[:31]), sheet, formats, total_label)
    _write_parameters(workbook.add_worksheet(parameters_title[:31]), parameters, formats)
    workbook.close()


def _write_sheet(worksheet, sheet, formats, total_label):
    columns = sheet.columns
    for col, column in enumerate(columns):
        worksheet.set_column(col, col, column.get("width", 14))
    worksheet.freeze_panes(1, 0)
    worksheet.autofilter(0, 0, max(len(sheet.rows), 1), len(columns) - 1)
    header = formats.get("header", bold=True)
    for col, column in enumerate(columns):
        worksheet.write_string(0, col, column["label"], header)
    for index, row in enumerate(sheet.rows, start=1):
        currency = row.get("currency")
        for col, column in enumerate(columns):
            _write_cell(worksheet, index, col, column["type"], row.get(column["key"]), currency,
                        formats)
    _write_totals(worksheet, sheet, formats, total_label)


def _write_cell(worksheet, row, col, kind, value, currency, formats, bold=False):
    if value is None or value is False:
        return
    if kind in ("text", "currency"):
        worksheet.write_string(row, col, str(value)[:MAX_STRING], formats.get("text", bold=bold))
    elif kind == "date":
        if isinstance(value, date) and not isinstance(value, datetime):
            value = datetime(value.year, value.month, value.day)
        worksheet.write_datetime(row, col, value, formats.get("date", bold=bold))
    else:
        worksheet.write_number(row, col, value, formats.get(kind, currency, bold))


def _write_totals(worksheet, sheet, formats, total_label):
    """One total row per currency: ``SUMIFS`` formulas over the data, with the value cached
    so that readers that do not recalculate still show it."""
    columns = sheet.columns
    currency_col = next((i for i, c in enumerate(columns) if c["type"] == "currency"), None)
    first, last = 2, len(sheet.rows) + 1  # data rows, 1-based as in formulas
    for offset, currency in enumerate(sheet.total_currencies()):
        row = len(sheet.rows) + 1 + offset
        worksheet.write_string(row, 0, f"{total_label} {currency}".strip(), formats.get("text", bold=True))
        if currency_col is not None and currency_col != 0:
            worksheet.write_string(row, currency_col, currency, formats.get("text", bold=True))
        for col, column in enumerate(columns):
            if not column.get("total"):
                continue
            value = sum(r.get(column["key"]) or 0 for r in sheet.rows
                        if (r.get("currency") or "") == currency)
            if column["type"] == "money":  # the cached value as the cell shows it, without float drift
                value = round(value, formats.digits.get(currency, 2))
            target = f"{xl_col_to_name(col)}{first}:{xl_col_to_name(col)}{last}"
            if currency_col is None:
                formula = f"=SUM({target})"
            else:
                crit = f"{xl_col_to_name(currency_col)}{first}:{xl_col_to_name(currency_col)}{last}"
                code = currency.replace('"', "")
                formula = f'=SUMIFS({target},{crit},"{code}")'
            if not sheet.rows:
                formula = "=0"
            worksheet.write_formula(row, col, formula,
                                    formats.get(column["type"], currency, True), value)


def _write_parameters(worksheet, parameters, formats):
    worksheet.set_column(0, 0, 28)
    worksheet.set_column(1, 1, 60)
    for row, (label, value) in enumerate(parameters):
        worksheet.write_string(row, 0, str(label), formats.get("text", bold=True))
        worksheet.write_string(row, 1, str(value if value is not None else "")[:MAX_STRING],
                               formats.get("text"))
