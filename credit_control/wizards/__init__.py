from . import credit_dunning_run
from . import credit_dunning_run_line
