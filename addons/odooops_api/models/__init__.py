from . import rate_counter
from . import res_users_apikeys
