from . import test_rate_counter
from . import test_http_api
from . import test_openapi
