from . import xlsx_writer
from . import pdf_batch
