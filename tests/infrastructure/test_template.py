"""template.yaml as SAM translates it for CloudFormation, checked for what deploying it relies on: code that
exists, environments that refer to the template, least-privilege roles, and triggers that retry and
dead-letter as the functions expect."""

import ast
import re
from dataclasses import MISSING, fields
from typing import Any

import pytest
from botocore.config import Config

from devstack.template import ROOT, Stack
from mailhooks import aws as aws_clients
from mailhooks.settings import Settings

STACK = Stack.from_file()
FUNCTIONS = sorted(STACK.of_type("AWS::Serverless::Function"))
PSEUDO_PARAMETERS = {
    "AWS::AccountId",
    "AWS::NotificationARNs",
    "AWS::NoValue",
    "AWS::Partition",
    "AWS::Region",
    "AWS::StackId",
    "AWS::StackName",
    "AWS::URLSuffix",
}
# Actions whose targets are no resources of any template, so that a statement can only name what they may
# not reach: sns:Publish of SMS goes to phone numbers.
ACTIONS_WITHOUT_RESOURCES = {"sns:Publish"}
# What functions do with accounts' sending domains: SES identities made at run time, not in the template.
ON_ACCOUNTS_IDENTITIES = {
    "InboundFunction": {"ses:SendEmail", "ses:GetEmailIdentity"},
    "CampaignSenderFunction": {"ses:SendRawEmail"},
    "AdminFunction": {
        "ses:CreateEmailIdentity",
        "ses:GetEmailIdentity",
        "ses:DeleteEmailIdentity",
        "ses:TagResource",
    },
}
# Functions that call no AWS service, whose roles have no statement of their own (only Lambda's logging
# and tracing): the console only answers with the files it ships.
CALLS_NO_AWS = {"ConsoleFunction"}
ACCOUNT_IDENTITIES = "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/*"
# Lambda advises a queue's visibility timeout of six times its function's timeout.
VISIBILITY_FACTOR = 6
SQS_DEFAULT_VISIBILITY = 30
LAMBDA_DEFAULT_TIMEOUT = 3


def _defines(path: Any, name: str) -> bool:
    tree = ast.parse(path.read_text())
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name:
            return True
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == name for target in node.targets
        ):
            return True
    return False


@pytest.mark.parametrize("function", FUNCTIONS)
def test_each_function_handler_exists(function: str) -> None:
    properties = STACK.properties(function)
    module, _, name = str(properties["Handler"]).rpartition(".")
    path = ROOT / str(properties["CodeUri"]) / f"{module.replace('.', '/')}.py"
    assert path.is_file(), f"{function}: {path} does not exist"
    assert _defines(path, name), f"{function}: {path.relative_to(ROOT)} defines no {name}"


def _referred(value: Any) -> set[str]:
    """The names a template value refers to: !Ref and !GetAtt targets, and the ${...} of !Sub strings."""
    if isinstance(value, list):
        return set().union(*(_referred(item) for item in value))
    if not isinstance(value, dict):
        return set()
    if set(value) == {"Ref"}:
        return {str(value["Ref"])}
    if set(value) == {"Fn::GetAtt"}:
        return {str(value["Fn::GetAtt"][0])}
    if set(value) == {"Fn::Sub"}:
        text, variables = (value["Fn::Sub"], {}) if isinstance(value["Fn::Sub"], str) else value["Fn::Sub"]
        names = {name.split(".")[0] for name in re.findall(r"\$\{([^!}][^}]*)\}", text)}
        return (names - set(variables)) | _referred(list(variables.values()))
    return set().union(*(_referred(inner) for inner in value.values()))


def _environment(function: str) -> dict[str, Any]:
    """A function's environment variables as the template writes them: the Globals' and its own."""
    return {
        **STACK.template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {}),
        **STACK.properties(function).get("Environment", {}).get("Variables", {}),
    }


@pytest.mark.parametrize("function", FUNCTIONS)
def test_each_environment_variable_refers_to_the_template(function: str) -> None:
    known = set(STACK.resources) | set(STACK.template.get("Parameters", {})) | PSEUDO_PARAMETERS
    unknown = {name: sorted(_referred(value) - known) for name, value in _environment(function).items()}
    assert {name: names for name, names in unknown.items() if names} == {}


@pytest.mark.parametrize("function", FUNCTIONS)
def test_each_environment_variable_names_a_setting_and_each_setting_without_default_is_set(
    function: str,
) -> None:
    """A misspelt variable would leave its setting at the default, unnoticed until deployed; a setting
    without a default that is not set stops the function at its first call."""
    given = {name for name in _environment(function) if not name.startswith("POWERTOOLS_")}
    named = {setting.name.upper() for setting in fields(Settings)}
    needed = {
        setting.name.upper()
        for setting in fields(Settings)
        if setting.default is MISSING and setting.default_factory is MISSING
    }
    assert (sorted(given - named), sorted(needed - given)) == ([], [])


def _names_a_resource(resource: Any) -> bool:
    """Whether a statement's Resource is (a part of) a resource of the template: a !Ref or !GetAtt of one,
    or a !Sub whose wildcards, if any, come after a reference to one (an index of a table, say)."""
    if isinstance(resource, dict) and set(resource) & {"Ref", "Fn::GetAtt"}:
        return bool(_referred(resource) & set(STACK.resources))
    if isinstance(resource, dict) and set(resource) == {"Fn::Sub"}:
        text, variables = (
            (resource["Fn::Sub"], {}) if isinstance(resource["Fn::Sub"], str) else resource["Fn::Sub"]
        )
        for found in re.finditer(r"\$\{([^!}][^}]*)\}", text):
            name = found.group(1)
            target = _referred(variables[name]) if name in variables else {name.split(".")[0]}
            if target & set(STACK.resources):
                return "*" not in text[: found.start()]
    return False


def _violations(function: str, statement: dict[str, Any]) -> list[str]:
    actions = statement.get("Action", [])
    actions = actions if isinstance(actions, list) else [actions]
    if set(actions) <= ON_ACCOUNTS_IDENTITIES.get(function, set()):
        listed = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        statement = {
            **statement,
            "Resource": [resource for resource in listed if resource != {"Fn::Sub": ACCOUNT_IDENTITIES}],
        }
    if "NotResource" in statement:
        return [] if set(actions) <= ACTIONS_WITHOUT_RESOURCES else [f"{actions} on NotResource"]
    resources = statement.get("Resource", [])
    resources = resources if isinstance(resources, list) else [resources]
    return [f"{actions} on {resource}" for resource in resources if not _names_a_resource(resource)]


@pytest.mark.parametrize("function", FUNCTIONS)
def test_each_function_role_names_only_resources_of_the_template(
    function: str, translated: dict[str, Any]
) -> None:
    role = translated[translated[function]["Properties"]["Role"]["Fn::GetAtt"][0]]
    statements = [
        statement
        for policy in role["Properties"].get("Policies", [])
        for statement in policy["PolicyDocument"]["Statement"]
    ]
    assert bool(statements) != (function in CALLS_NO_AWS), f"{function}: {len(statements)} policy statements"
    assert [problem for statement in statements for problem in _violations(function, statement)] == []


def _mappings(translated: dict[str, Any], attribute: str) -> list[tuple[str, str, dict[str, Any]]]:
    """(function, source resource, properties) of the event source mappings whose source is the attribute
    (Arn of a queue, StreamArn of a table) of a resource."""
    found = []
    for spec in translated.values():
        if spec["Type"] != "AWS::Lambda::EventSourceMapping":
            continue
        properties = spec["Properties"]
        source = properties["EventSourceArn"].get("Fn::GetAtt", [None, None])
        if source[1] == attribute:
            found.append((properties["FunctionName"]["Ref"], source[0], properties))
    return found


def test_each_queue_trigger_reports_item_failures_and_outlasts_its_function(
    translated: dict[str, Any],
) -> None:
    mappings = _mappings(translated, "Arn")
    assert mappings
    for function, queue, properties in mappings:
        assert "ReportBatchItemFailures" in properties.get("FunctionResponseTypes", []), function
        visibility = translated[queue]["Properties"].get("VisibilityTimeout", SQS_DEFAULT_VISIBILITY)
        timeout = translated[function]["Properties"].get("Timeout", LAMBDA_DEFAULT_TIMEOUT)
        assert int(visibility) >= VISIBILITY_FACTOR * int(timeout), f"{queue} of {function}"


def test_each_stream_trigger_bisects_retries_a_bounded_number_of_times_and_keeps_what_fails(
    translated: dict[str, Any],
) -> None:
    mappings = _mappings(translated, "StreamArn")
    assert mappings
    for function, _, properties in mappings:
        assert properties.get("BisectBatchOnFunctionError") is True, function
        assert int(properties.get("MaximumRetryAttempts", -1)) >= 0, function
        assert properties.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination"), function


def test_the_delivery_trigger_caps_its_concurrency(translated: dict[str, Any]) -> None:
    ((_, _, properties),) = [
        mapping for mapping in _mappings(translated, "Arn") if mapping[0] == "DeliverFunction"
    ]
    assert int(properties["ScalingConfig"]["MaximumConcurrency"]) > 0


def test_a_delivery_waits_as_a_new_copy_well_before_the_queues_redrive_limit(
    translated: dict[str, Any],
) -> None:
    from mailhooks.outbound.delivery.outcomes import RECEIVES_BEFORE_COPY

    redrive = translated["DeliveryQueue"]["Properties"]["RedrivePolicy"]
    # The receipts past RECEIVES_BEFORE_COPY are left to invocations that fail: SQS's redrive is for those.
    assert int(redrive["maxReceiveCount"]) >= RECEIVES_BEFORE_COPY * 2


# Production readiness: what the operator is told of, what is kept, and what never leaves the functions.


def _alarmed() -> dict[str, set[str]]:
    """Alarmed metric name -> the resources (logical ids) whose metric it watches."""
    found: dict[str, set[str]] = {}
    for spec in STACK.of_type("AWS::CloudWatch::Alarm").values():
        properties = spec["Properties"]
        assert properties["AlarmActions"] == [{"Ref": "AlarmTopic"}]
        for dimension in properties["Dimensions"]:
            value = dimension["Value"]
            found.setdefault(properties["MetricName"], set()).add(
                value["Ref"] if "Ref" in value else value["Fn::GetAtt"][0]
            )
    return found


def _kept_failures() -> set[str]:
    """Every queue something is dead-lettered or sent on failure to."""
    queues = {
        spec["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
        for spec in STACK.of_type("AWS::SQS::Queue").values()
        if "RedrivePolicy" in spec["Properties"]
    }
    for function in FUNCTIONS:
        properties = STACK.properties(function)
        configs = [event["Properties"] for event in properties.get("Events", {}).values()]
        for config in [*configs, properties.get("EventInvokeConfig", {})]:
            target = config.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
            if target:
                queues.add(target["Fn::GetAtt"][0])
    return queues


def test_every_dead_letter_and_failure_queue_has_an_alarm_on_its_depth() -> None:
    kept = _kept_failures()
    assert kept >= {
        "DeliveryDeadLetterQueue",
        "CampaignDeadLetterQueue",
        "FanOutFailureQueue",
        "SesEventsFailureQueue",
    }
    assert _alarmed()["ApproximateNumberOfMessagesVisible"] == kept


def test_every_function_has_an_alarm_on_its_errors_and_its_throttles() -> None:
    alarmed = _alarmed()
    assert alarmed["Errors"] == alarmed["Throttles"] == set(FUNCTIONS)


def test_every_function_logs_to_a_group_with_a_retention() -> None:
    groups = {
        spec["Properties"]["LogGroupName"]["Fn::Sub"]: spec["Properties"]["RetentionInDays"]
        for spec in STACK.of_type("AWS::Logs::LogGroup").values()
    }
    assert groups == {f"/aws/lambda/${{{function}}}": {"Ref": "LogRetentionDays"} for function in FUNCTIONS}
    assert STACK.template["Parameters"]["LogRetentionDays"]["Default"] == 30


def test_a_prod_stage_refuses_local_endpoints() -> None:
    rule = STACK.template["Rules"]["ProdRefusesLocalEndpoints"]
    assert rule["RuleCondition"] == {"Fn::Equals": [{"Ref": "Stage"}, "prod"]}
    assert rule["Assertions"][0]["Assert"] == {"Fn::Equals": [{"Ref": "AllowLocalEndpoints"}, "false"]}


def test_traces_are_lambdas_own_and_record_no_answer_nor_webhook_url() -> None:
    """Lambda traces each invocation; no function adds to its trace (no Powertools Tracer, no X-Ray SDK,
    whose import cost more than all of mailhooks), so no answer can go into one. The API is not traced: its
    segments would hold /hooks/<token>."""
    assert STACK.template["Globals"]["Function"]["Tracing"] == "Active"
    assert STACK.properties("Api")["TracingEnabled"] is False
    sources = [*(ROOT / "functions").rglob("*.py"), *(ROOT / "layers" / "common" / "mailhooks").rglob("*.py")]
    tracing = [path for path in sources if re.search(r"\bTracer\b|aws_xray_sdk", path.read_text())]
    assert tracing == []


def test_ses_events_that_keep_failing_are_kept_and_campaigns_send_a_few_at_once() -> None:
    invoke = STACK.properties("SesEventsFunction")["EventInvokeConfig"]
    assert invoke["DestinationConfig"]["OnFailure"] == {
        "Type": "SQS",
        "Destination": {"Fn::GetAtt": ["SesEventsFailureQueue", "Arn"]},
    }
    queued = STACK.properties("CampaignSenderFunction")["Events"]["Queued"]["Properties"]
    assert queued["ScalingConfig"]["MaximumConcurrency"] == 5


# API Gateway answers in the function's place after 29 s.
API_GATEWAY_TIMEOUT = 29


def _worst_case(config: Config) -> float:
    """The longest one AWS call with this configuration can take: every attempt connects and reads in full."""
    assert config.retries is not None
    return config.retries["total_max_attempts"] * (config.connect_timeout + config.read_timeout)


def test_the_inbound_function_outlasts_any_aws_call_and_answers_before_the_gateway_does() -> None:
    timeout = STACK.properties("InboundFunction").get("Timeout", LAMBDA_DEFAULT_TIMEOUT)
    worst = max(_worst_case(config) for config in (aws_clients._CONFIG, aws_clients._SENDING))
    assert worst == 21
    assert worst < timeout < API_GATEWAY_TIMEOUT
