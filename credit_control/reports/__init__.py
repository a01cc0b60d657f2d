from . import xlsx_writer
