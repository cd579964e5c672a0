"""Port implementations: sandbox providers, in-memory stores and DynamoDB stores (boto3)."""
