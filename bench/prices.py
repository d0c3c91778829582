"""AWS's published on-demand prices for us-east-1, as the cost figures use them."""

# Checked 2026-11 against AWS's pricing pages (DynamoDB's on-demand price as cut on 2024-11-01).
PRICES_DATE = "2026-11"
LAMBDA_REQUEST = 0.20 / 1e6  # per invocation
LAMBDA_ARM_GB_SECOND = 0.0000133334  # per GB-second on arm64 (Graviton)
API_GATEWAY_REST_REQUEST = 3.50 / 1e6  # REST API, first 333 million a month
DYNAMODB_WRITE_UNIT = 0.625 / 1e6  # per write request unit (1 KB), on demand
DYNAMODB_READ_UNIT = 0.125 / 1e6  # per read request unit (4 KB, strongly consistent), on demand
SQS_REQUEST = 0.40 / 1e6  # standard queue, per request of up to 64 KB
SES_EMAIL = 0.10 / 1000  # per email sent
SNS_PUBLISH = 0.50 / 1e6  # per publish request; an SMS's carrier fee comes on top and depends on the country
