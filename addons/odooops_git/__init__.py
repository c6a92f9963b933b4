# Webhooks and GitHub integration land here (issue: git integration). Installable today so the stack is whole.
