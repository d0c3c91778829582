"""Accounts and admin API keys: the operator's command line, and the authorizer that recognises keys."""

import json
from typing import Any

import boto3
import pytest

from devstack.template import Stack
from mailhooks.__main__ import main
from mailhooks.authorizer import hash_key
from mailhooks.aws import aws
from mailhooks.models import InboundWebhook
from mailhooks.store.accounts import account_records
from tests.support.helpers import FakeLambdaContext, call, hook_event, seed_account, seed_list, seed_webhook

METHOD_ARN = "arn:aws:execute-api:us-east-1:123456789012:abc123defg/dev/GET/admin/lists"


def operator(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, (captured.out + captured.err).strip()


def authorize(authorization: str | None) -> dict[str, Any]:
    from functions.authorizer.app import handler

    headers = {"Authorization": authorization} if authorization else {}
    event = {
        "type": "REQUEST",
        "methodArn": METHOD_ARN,
        "resource": "/admin/{proxy+}",
        "path": "/admin/lists",
        "httpMethod": "GET",
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": {},
        "pathParameters": {"proxy": "lists"},
        "stageVariables": {},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123defg",
            "stage": "dev",
            "httpMethod": "GET",
            "path": "/dev/admin/lists",
            "resourcePath": "/admin/{proxy+}",
        },
    }
    answer: dict[str, Any] = handler(event, FakeLambdaContext())
    return answer


def created_key(output: str) -> str:
    return output.splitlines()[-1]


def test_the_operator_creates_an_account_and_a_key_that_the_authorizer_accepts(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    assert operator(capsys, "account", "create", "--name", "Shop", "--plan", "paid") == (
        0,
        "account 1 created on the paid plan",
    )
    code, output = operator(capsys, "key", "create", "1", "--name", "zapier")
    key = created_key(output)

    policy = authorize(f"Bearer {key}")

    assert code == 0
    assert key.startswith("mhk_")
    assert len(key) >= 47
    assert policy["principalId"] == "1"
    assert policy["context"] == {"account_id": 1}
    [statement] = policy["policyDocument"]["Statement"]
    assert (statement["Effect"], statement["Action"]) == ("Allow", "execute-api:Invoke")
    assert statement["Resource"] == ["arn:aws:execute-api:us-east-1:123456789012:abc123defg/dev/*/admin/*"]


def test_keys_are_stored_only_as_their_hash(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    operator(capsys, "account", "create", "--name", "Shop", "--plan", "paid")
    key = created_key(operator(capsys, "key", "create", "1", "--name", "zapier")[1])

    stored = json.dumps(aws().data_table.scan()["Items"], default=str)

    assert key not in stored
    assert hash_key(key) in stored
    code, listed = operator(capsys, "key", "list", "1")
    assert code == 0
    assert key[:10] in listed
    assert key not in listed


@pytest.mark.parametrize(
    "authorization", [None, "Bearer mhk_nosuchkey", "Basic dXNlcjpwYXNz", "mhk_nobearer"]
)
def test_a_missing_or_unknown_key_is_unauthorized(stack: Stack, authorization: str | None) -> None:
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        authorize(authorization)


def test_a_revoked_key_stops_working_and_a_plan_can_change(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    operator(capsys, "account", "create", "--name", "Shop", "--plan", "free")
    key = created_key(operator(capsys, "key", "create", "1", "--name", "zapier")[1])
    key_id = operator(capsys, "key", "list", "1")[1].split()[0]

    assert operator(capsys, "account", "plan", "1", "paid") == (0, "account 1 is now on the paid plan")
    assert account_records().get_account(1).plan == "paid"  # type: ignore[union-attr]
    assert operator(capsys, "key", "revoke", "1", key_id) == (0, f"key {key_id} of account 1 revoked")
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        authorize(f"Bearer {key}")
    assert operator(capsys, "key", "revoke", "1", key_id) == (1, f"error: account 1 has no API key {key_id}")
    assert operator(capsys, "account", "plan", "9", "paid") == (1, "error: account 9 was not found")


def test_the_operator_finds_a_deployed_stacks_tables_through_its_outputs(
    stack: Stack, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """--stack reads the tables from the AdminFunction's environment, found through the stack's outputs."""
    environment = stack.function_environment("AdminFunction")
    for name in environment:
        monkeypatch.delenv(name)
    role = boto3.client("iam").create_role(RoleName="admin", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    boto3.client("lambda").create_function(
        FunctionName="mailhooks-prod-AdminFunction",
        Runtime="python3.12",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": b"PK\x05\x06" + bytes(18)},
        Environment={"Variables": environment},
    )
    outputs = {
        "Outputs": {"AdminFunctionName": {"Value": "mailhooks-prod-AdminFunction"}},
        "Resources": {"Nothing": {"Type": "AWS::CloudFormation::WaitConditionHandle"}},
    }
    boto3.client("cloudformation").create_stack(StackName="mailhooks-prod", TemplateBody=json.dumps(outputs))

    assert operator(
        capsys, "--stack", "mailhooks-prod", "account", "create", "--name", "Shop", "--plan", "paid"
    ) == (0, "account 1 created on the paid plan")
    assert account_records().get_account(1) is not None


def test_the_operators_changes_reach_the_webhooks_the_account_has_already(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    """A webhook's item carries its account, so that a call reads one item: the operator's change of plan
    or limits is carried to every webhook of the account, and the next call meets it."""
    seed_account(12)
    seed_list()
    webhooks = [seed_webhook("add_subscriber", {"email": "/email"}, list_id=2222) for _ in range(2)]

    def status(webhook: InboundWebhook, email: str) -> int:
        return call(hook_event(webhook.token, json.dumps({"email": email})))[0]

    assert [status(webhook, f"{n}@example.com") for n, webhook in enumerate(webhooks)] == [201, 201]
    operator(capsys, "account", "plan", "12", "free")
    assert [status(webhook, "b@example.com") for webhook in webhooks] == [403, 403]
    operator(capsys, "account", "plan", "12", "paid")
    operator(capsys, "account", "limits", "12", "--webhook-calls-per-second", "1", "--webhook-burst", "1")
    assert [status(webhooks[0], f"c{n}@example.com") for n in range(2)] == [201, 429]
