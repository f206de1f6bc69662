from . import pay_by_bank
from . import installment_plan_portal
from . import dunning_self_service
from . import reminder_portal
from . import dunning_pay_total
