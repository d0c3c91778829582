"""The checks of recorded AWS calls against the functions' roles (tests/support/aws_calls.py, roles.py), on
the template as SAM translates it: what IAM authorizes of a request, a call a role does not allow, and a
statement no call needs."""

from tests.support.aws_calls import _requests
from tests.support.roles import Call, denied, statements, translated, unused


def test_a_request_is_recorded_as_iam_authorizes_it() -> None:
    transaction = {
        "TransactItems": [
            {"Put": {"TableName": "DataTable", "Item": {}}},
            {"Delete": {"TableName": "DataTable", "Key": {}}},
            {"Put": {"TableName": "ActivityTable", "Item": {}}},
        ]
    }
    assert _requests("dynamodb:TransactWriteItems", transaction) == [
        ("dynamodb:PutItem", "DataTable"),
        ("dynamodb:DeleteItem", "DataTable"),
        ("dynamodb:PutItem", "ActivityTable"),
    ]
    queue = "https://sqs.us-east-1.amazonaws.com/123456789012/DeliveryQueue"
    assert _requests("sqs:SendMessageBatch", {"QueueUrl": queue}) == [("sqs:SendMessage", "DeliveryQueue")]
    assert _requests("ses:SendEmail", {"Content": {"Raw": {"Data": b""}}}) == [("ses:SendRawEmail", None)]
    assert _requests("dynamodb:Query", {"TableName": "DeliveryTable", "IndexName": "by_endpoint_status"}) == [
        ("dynamodb:Query", "DeliveryTable/index/by_endpoint_status")
    ]
    assert _requests("dynamodb:BatchGetItem", {"RequestItems": {"DataTable": {}, "DeliveryTable": {}}}) == [
        ("dynamodb:BatchGetItem", "DataTable"),
        ("dynamodb:BatchGetItem", "DeliveryTable"),
    ]


def test_a_call_outside_the_role_is_denied_naming_it() -> None:
    resources = translated()
    allowed = Call("dynamodb:GetItem", "DataTable")
    outside = Call("dynamodb:DeleteItem", "DataTable")
    elsewhere = Call("dynamodb:GetItem", "DeliveryTable")
    assert denied(resources, "AuthorizerFunction", [allowed, outside, elsewhere]) == [outside, elsewhere]


def test_a_statement_no_call_needs_is_unused_and_one_a_call_needs_is_not() -> None:
    resources = translated()
    [only] = statements(resources, "AuthorizerFunction")
    assert unused(resources, "AuthorizerFunction", [Call("dynamodb:GetItem", "DataTable")]) == []
    assert unused(resources, "AuthorizerFunction", []) == [only]
    # Two statements that allow the same call: neither alone is needed, so both are reported.
    doubled = {**resources}
    role_id = resources["AuthorizerFunction"]["Properties"]["Role"]["Fn::GetAtt"][0]
    role = resources[role_id]
    policy = role["Properties"]["Policies"][0]
    twice = {**policy, "PolicyDocument": {**policy["PolicyDocument"], "Statement": [only, only]}}
    doubled[role_id] = {**role, "Properties": {**role["Properties"], "Policies": [twice]}}
    assert unused(doubled, "AuthorizerFunction", [Call("dynamodb:GetItem", "DataTable")]) == [only, only]
