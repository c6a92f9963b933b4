from . import rate_counter
