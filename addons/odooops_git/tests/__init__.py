from . import test_concurrency, test_git
