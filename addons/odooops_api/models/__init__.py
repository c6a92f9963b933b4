from . import rate_counter, res_users_apikeys
