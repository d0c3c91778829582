"""Create the template's AWS resources (tables, queues, topics, SES identity and configuration set)."""

import json
import os
from functools import cache
from typing import Any

import boto3

from devstack.template import ACCOUNT_ID, REGION, Stack, rest_api_id

_TABLE_PROPERTIES = (
    "KeySchema",
    "AttributeDefinitions",
    "GlobalSecondaryIndexes",
    "LocalSecondaryIndexes",
    "StreamSpecification",
)


def _client(service: str) -> Any:
    """One client per service and endpoint for every stack provisioned in this process: a new client costs
    more than the resource it creates."""
    return _client_to(service, os.environ.get("AWS_ENDPOINT_URL"))


@cache
def _client_to(service: str, endpoint: str | None) -> Any:
    return boto3.client(service, region_name=REGION, endpoint_url=endpoint)  # type: ignore[call-overload]


def _table(stack: Stack, name: str, properties: dict[str, Any]) -> dict[str, Any]:
    client = _client("dynamodb")
    table_name = properties.get("TableName", name)
    arguments = {key: properties[key] for key in _TABLE_PROPERTIES if key in properties}
    if "StreamSpecification" in arguments:
        arguments["StreamSpecification"] = {"StreamEnabled": True, **arguments["StreamSpecification"]}
    description = client.create_table(TableName=table_name, BillingMode="PAY_PER_REQUEST", **arguments)
    ttl = properties.get("TimeToLiveSpecification")
    if ttl:
        client.update_time_to_live(TableName=table_name, TimeToLiveSpecification=ttl)
    table = description["TableDescription"]
    return {"Ref": table_name, "Arn": table["TableArn"], "StreamArn": table.get("LatestStreamArn")}


def _queue(stack: Stack, name: str, properties: dict[str, Any]) -> dict[str, Any]:
    client = _client("sqs")
    queue_name = properties.get("QueueName", name)
    attributes: dict[Any, str] = {
        key: (json.dumps(value) if isinstance(value, dict) else str(value))
        for key, value in properties.items()
        if key not in ("QueueName", "Tags", "SqsManagedSseEnabled")
    }
    url = client.create_queue(QueueName=queue_name, Attributes=attributes)["QueueUrl"]
    arn = f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{queue_name}"
    return {"Ref": url, "Arn": arn, "QueueName": queue_name, "QueueUrl": url}


def _topic(stack: Stack, name: str, properties: dict[str, Any]) -> dict[str, Any]:
    arn = _client("sns").create_topic(Name=properties.get("TopicName", name))["TopicArn"]
    return {"Ref": arn, "TopicArn": arn, "TopicName": arn.rsplit(":", 1)[1]}


def _email_identity(stack: Stack, name: str, properties: dict[str, Any]) -> dict[str, Any]:
    identity = properties["EmailIdentity"]
    # moto's SES checks that senders are verified; the local stack verifies the domain at once.
    _client("ses").verify_domain_identity(Domain=identity)
    return {"Ref": identity}


def _configuration_set(stack: Stack, name: str, properties: dict[str, Any]) -> dict[str, Any]:
    set_name = properties.get("Name", name)
    _client("sesv2").create_configuration_set(ConfigurationSetName=set_name)
    return {"Ref": set_name}


_CREATORS = {
    "AWS::DynamoDB::Table": _table,
    "AWS::SQS::Queue": _queue,
    "AWS::SNS::Topic": _topic,
    "AWS::SES::EmailIdentity": _email_identity,
    "AWS::SES::ConfigurationSet": _configuration_set,
}


def provision(stack: Stack) -> Stack:
    """Create every resource the local stack emulates, each once what it refers to exists."""
    # The local front serves the APIs, which are not created: their ids are what a function's environment
    # can name of them.
    for name in stack.of_type("AWS::Serverless::Api"):
        stack.physical[name] = {"Ref": rest_api_id(name)}
    waiting = stack.of_type(*_CREATORS)
    while waiting:
        created = False
        for name, spec in list(waiting.items()):
            try:
                properties = stack.resolve(spec.get("Properties", {}))
            except KeyError:
                continue  # refers to a resource created later in this loop
            stack.physical[name] = _CREATORS[spec["Type"]](stack, name, properties)
            del waiting[name]
            created = True
        if not created:
            raise RuntimeError(f"cannot create {sorted(waiting)}: they refer to what does not exist")
    return stack


def _references(value: Any) -> set[str]:
    """The resources and parameters a template value refers to with !Ref."""
    if isinstance(value, list):
        return set().union(*(_references(item) for item in value))
    if isinstance(value, dict):
        if set(value) == {"Ref"}:
            return {str(value["Ref"])}
        return set().union(*(_references(inner) for inner in value.values()))
    return set()


# Kinds of resource the local stack has many of and does not create: one note for all of a kind.
_WATCHING = {
    "AWS::CloudWatch::Alarm": "nothing watches the local stack",
    "AWS::Logs::LogGroup": "the functions log to the terminal",
}


def not_created(stack: Stack) -> list[str]:
    """The template's resources the local stack does not create (the SAM ones are run by it instead), each
    with what that means locally."""
    notes = []
    for kind, meaning in _WATCHING.items():
        count = len(stack.of_type(kind))
        if count:
            notes.append(f"{count} {kind} resources are not created on moto: {meaning}")
    for name, spec in stack.resources.items():
        kind = spec["Type"]
        if kind in _CREATORS or kind in _WATCHING or kind.startswith("AWS::Serverless::"):
            continue
        note = f"{name} ({kind}) is not created on moto"
        if kind == "AWS::SES::ConfigurationSetEventDestination":
            topics = sorted(
                reference
                for reference in _references(spec.get("Properties", {}))
                if stack.resources.get(reference, {}).get("Type") == "AWS::SNS::Topic"
            )
            note += (
                f": moto's SES publishes no sending events, so nothing publishes to {', '.join(topics)} here"
            )
        notes.append(note)
    return notes
