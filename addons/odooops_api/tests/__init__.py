from . import test_http_api, test_openapi, test_rate_counter
