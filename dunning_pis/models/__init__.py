from . import res_company
from . import res_config_settings
from . import dunning_demo_data
