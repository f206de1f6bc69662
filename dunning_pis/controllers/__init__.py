from . import pay_by_bank
