"""An SNS subscription of a function, through moto: moto's SNS delivers to SQS queues, not to functions
here, so the function's subscription is one of a hidden queue, whose notifications become SNS events.

SNS invokes a function asynchronously, one message per event; Lambda retries a failed asynchronous
invocation twice, a minute and then two minutes later, and then drops it. The hidden queue's visibility
timeout spaces the retries out, and its receive count says when to drop.
"""

import json
import threading
from typing import Any

import boto3

from devstack.functions import Functions
from devstack.polling import invoke, report
from devstack.queues import QueuePoller
from devstack.template import REGION
from devstack.triggers import QueueTrigger, TopicTrigger

HIDDEN_QUEUE_PREFIX = "devstack-"
RETRY_SECONDS = 60
ATTEMPTS = 3


def sns_record(notification: dict[str, Any], subscription_arn: str) -> dict[str, Any]:
    """A notification as an SQS subscription receives it, as the record of a function's SNS event."""
    return {
        "EventSource": "aws:sns",
        "EventVersion": "1.0",
        "EventSubscriptionArn": subscription_arn,
        "Sns": {
            "Type": notification["Type"],
            "MessageId": notification["MessageId"],
            "TopicArn": notification["TopicArn"],
            "Subject": notification.get("Subject"),
            "Message": notification["Message"],
            "Timestamp": notification["Timestamp"],
            "SignatureVersion": notification["SignatureVersion"],
            "Signature": notification["Signature"],
            "SigningCertUrl": notification["SigningCertURL"],
            "UnsubscribeUrl": notification["UnsubscribeURL"],
            "MessageAttributes": notification.get("MessageAttributes", {}),
        },
    }


def hidden_queue(trigger: TopicTrigger) -> tuple[QueueTrigger, str]:
    """Create the queue that stands for the function on the topic, and subscribe it: the queue, as a
    trigger of the function, and the subscription's ARN."""
    name = f"{HIDDEN_QUEUE_PREFIX}{trigger.function}-{trigger.event}"
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": str(RETRY_SECONDS)})["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    attributes = {}
    if trigger.filter_policy is not None:
        attributes["FilterPolicy"] = json.dumps(trigger.filter_policy)
    if trigger.filter_policy_scope is not None:
        attributes["FilterPolicyScope"] = trigger.filter_policy_scope
    subscription_arn = boto3.client("sns", region_name=REGION).subscribe(
        TopicArn=trigger.topic_arn,
        Protocol="sqs",
        Endpoint=queue_arn,
        Attributes=attributes,
        ReturnSubscriptionArn=True,
    )["SubscriptionArn"]
    as_queue = QueueTrigger(
        function=trigger.function,
        event=trigger.event,
        source=trigger.source,
        queue_arn=queue_arn,
        batch_size=1,
        window=0,
        filter=None,
        report_failures=False,
        max_concurrency=1,
    )
    return as_queue, subscription_arn


class TopicPoller(QueuePoller):
    def __init__(self, trigger: TopicTrigger, functions: Functions, stopping: threading.Event) -> None:
        as_queue, self.subscription_arn = hidden_queue(trigger)
        super().__init__(as_queue, functions, stopping)

    def poll(self) -> bool:
        messages = self._receive(1)
        if not messages:
            return False
        (message,) = messages
        event = {"Records": [sns_record(json.loads(message["Body"]), self.subscription_arn)]}
        attempt = invoke(
            self.functions, self.trigger.function, event, f"a notification of {self.trigger.source}"
        )
        attempts = int(message["Attributes"]["ApproximateReceiveCount"])
        if attempt.failed and attempts < ATTEMPTS:
            return True
        if attempt.failed:
            report(f"{self.name}: notification {message['MessageId']} dropped after {attempts} attempts")
        self._remove([message])
        return True
