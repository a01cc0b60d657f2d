from . import xlsx_writer
from . import pdf_batch
from . import credit_statement_report
from . import credit_statement_xlsx
