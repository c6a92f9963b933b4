from . import ir_http, rate_counter, res_users_apikeys
