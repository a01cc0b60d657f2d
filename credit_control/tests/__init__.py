from . import test_install_security
from . import test_exposure
from . import test_sale_block
from . import test_release
from . import test_concurrency
from . import test_ui
from . import test_dunning
from . import test_dunning_dispute
