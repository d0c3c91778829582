import os

# Before anything imports boto3 or Powertools: fake credentials, one region, no X-Ray daemon. Nothing here
# imports moto: the folders that run on it get their `stack` fixture from tests/support/stack.py.
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_TRACE_DISABLED": "1",
        "POWERTOOLS_METRICS_NAMESPACE": "mailhooks",
    }
)
os.environ.pop("AWS_ENDPOINT_URL", None)
