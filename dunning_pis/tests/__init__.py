from . import test_install
from . import test_demo_data
from . import test_module_cycle
from . import test_translations
