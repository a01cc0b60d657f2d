from . import credit_report_export
from . import credit_aging_wizard
from . import credit_aging_line
from . import credit_insurance_report_wizard
from . import credit_insurance_report_line
from . import credit_dunning_run
from . import credit_dunning_run_line
from . import credit_insurance_claim_indemnity
