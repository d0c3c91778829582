"""The functions' AWS clients (mailhooks.aws): every request names mailhooks as its User-Agent, the string
given whole, which spares botocore assembling its own twice a request."""

from typing import Any

import boto3
import botocore

from devstack.template import Stack
from mailhooks.aws import aws


def test_every_client_sends_the_user_agent_of_mailhooks(stack: Stack) -> None:
    sent: dict[str, str] = {}

    def note(event_name: str, request: Any, **_: Any) -> None:
        sent[event_name.split(".", 1)[1]] = request.headers["User-Agent"]

    session = boto3._get_default_session()
    session.events.register("before-sign.*.*", note)
    aws.cache_clear()  # clients copy the session's hooks when they are created
    try:
        clients = aws()
        clients.data_table.get_item(Key={"pk": "nothing", "sk": "here"})
        clients.sqs.list_queues()
        clients.sns.list_topics()
        clients.sesv2.list_email_identities()
    finally:
        session.events.unregister("before-sign.*.*", note)
        aws.cache_clear()

    assert sorted(sent) == [
        "dynamodb.GetItem",
        "sesv2.ListEmailIdentities",
        "sns.ListTopics",
        "sqs.ListQueues",
    ]
    # boto3 adds its Botocore/<version> to a given user agent, and " Resource" for a resource's calls.
    assert {agent.removesuffix(" Resource") for agent in sent.values()} == {
        f"mailhooks Boto3/{boto3.__version__} Botocore/{botocore.__version__}"
    }
