"""DynamoDB persistence (pynamodb models and the stores built on them)."""
