from . import dunning_run_preview
from . import dunning_run_preview_line
from . import dunning_pause_wizard
from . import pay_by_bank_link
from . import installment_plan_wizard
from . import direct_debit_reject
from . import direct_debit_report_import
