# Policies land here (issue: policy engine). Installable today so the stack is whole.
