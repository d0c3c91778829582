"""The platform operator's command line: accounts, their plans and limits, their admin API keys, and the
replay of what the fan-out gave up on.

    python -m mailhooks [--stack NAME | --local] account create --name NAME --plan paid|free
    python -m mailhooks account plan ACCOUNT_ID paid|free
    python -m mailhooks account limits ACCOUNT_ID [--emails-per-hour N] [--sms-per-hour N]
        [--sms-countries ES,PT] [--sms-sender-ids ShopEx,Other] [--webhook-calls-per-second N]
        [--webhook-burst N]     (each also takes "default"; without options: the limits as they are)
    python -m mailhooks key create ACCOUNT_ID --name NAME
    python -m mailhooks key list ACCOUNT_ID
    python -m mailhooks key revoke ACCOUNT_ID KEY_ID
    python -m mailhooks fanout replay     (the stream batches the fan-out gave up on, fanned out again)

Where the tables are: --stack reads a deployed stack (its AdminFunction's environment, found through the
stack's outputs); --local reads the running local stack (make run); otherwise the environment variables
the functions use (DATA_TABLE, ...).
"""

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, get_args

import boto3

from mailhooks import accounts
from mailhooks.aws import aws
from mailhooks.errors import MailhooksError
from mailhooks.inbound.pace import account_pace
from mailhooks.models import Account, Plan
from mailhooks.outbound.fanout_replay import Replay, replay_failed_fan_outs
from mailhooks.sending.sending_limits import hourly_limit, sms_countries
from mailhooks.settings import settings

LOCAL_ENVIRONMENT = Path(".devstack/environment.json")
PLANS = get_args(Plan)
UNCHANGED = object()


def _number(text: str) -> int | None:
    return None if text == "default" else int(text)


def _names(text: str) -> list[str] | None:
    return None if text == "default" else [name.strip() for name in text.split(",") if name.strip()]


def _countries(text: str) -> list[str] | None:
    names = _names(text)
    return None if names is None else [name.upper() for name in names]


def _sender_ids(text: str) -> list[str]:
    return _names(text) or []


# Each option of `account limits`, a field of AccountLimits, and how its text is read.
LIMITS: dict[str, Callable[[str], Any]] = {
    "emails_per_hour": _number,
    "sms_per_hour": _number,
    "sms_countries": _countries,
    "sms_sender_ids": _sender_ids,
    "webhook_calls_per_second": _number,
    "webhook_burst": _number,
}


def _shown_limits(account: Account) -> str:
    pace = account_pace(account)
    return "\n".join(
        [
            f"account {account.id}:",
            f"  emails per hour           {hourly_limit(account, 'email')}",
            f"  SMS per hour              {hourly_limit(account, 'sms')}",
            f"  SMS countries             {', '.join(sms_countries(account)) or 'none'}",
            f"  SMS sender ids            {', '.join(account.limits.sms_sender_ids) or 'none registered'}",
            f"  webhook calls per second  {pace.calls_per_second} (bursts of {pace.burst})",
        ]
    )


def _replayed(replay: Replay) -> str:
    lines = [f"{replay.batches} batches replayed: {replay.activities} activities fanned out again"]
    if replay.left:
        lines += [f"{len(replay.left)} left in the queue:", *(f"  {why}" for why in replay.left)]
    return "\n".join(lines)


def _stack_environment(stack: str) -> dict[str, str]:
    described = boto3.client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0]
    outputs = {output["OutputKey"]: output["OutputValue"] for output in described.get("Outputs", [])}
    if "AdminFunctionName" not in outputs:
        raise SystemExit(f"stack {stack} has no AdminFunctionName output: is it a mailhooks stack?")
    configuration = boto3.client("lambda").get_function_configuration(
        FunctionName=outputs["AdminFunctionName"]
    )
    return dict(configuration.get("Environment", {}).get("Variables", {}))


def _local_environment() -> dict[str, str]:
    if not LOCAL_ENVIRONMENT.exists():
        raise SystemExit(f"{LOCAL_ENVIRONMENT} is missing: start the local stack first (make run)")
    environment: dict[str, str] = json.loads(LOCAL_ENVIRONMENT.read_text())
    return environment


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m mailhooks", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--stack", help="name of a deployed mailhooks stack")
    where.add_argument("--local", action="store_true", help="the local stack started by make run")
    nouns = parser.add_subparsers(dest="noun", required=True)

    account = nouns.add_parser("account", help="create an account or change its plan").add_subparsers(
        dest="verb", required=True
    )
    create = account.add_parser("create", help="create an account")
    create.add_argument("--name", required=True)
    create.add_argument("--plan", choices=PLANS, required=True)
    plan = account.add_parser("plan", help="change an account's plan")
    plan.add_argument("account_id", type=int)
    plan.add_argument("plan", choices=PLANS)
    limits = account.add_parser("limits", help="show or change an account's sending and webhook limits")
    limits.add_argument("account_id", type=int)
    for option, kind in LIMITS.items():
        limits.add_argument(f"--{option.replace('_', '-')}", dest=option, type=kind, default=UNCHANGED)

    key = nouns.add_parser("key", help="create, list or revoke an account's admin API keys").add_subparsers(
        dest="verb", required=True
    )
    new_key = key.add_parser("create", help="create a key; it is shown this once")
    new_key.add_argument("account_id", type=int)
    new_key.add_argument("--name", required=True)
    listed = key.add_parser("list", help="an account's keys (their first characters, never the keys)")
    listed.add_argument("account_id", type=int)
    revoke = key.add_parser("revoke", help="revoke a key; it stops working within a minute")
    revoke.add_argument("account_id", type=int)
    revoke.add_argument("key_id")

    fanout = nouns.add_parser("fanout", help="the fan-out of activities to export endpoints")
    fanout.add_subparsers(dest="verb", required=True).add_parser(
        "replay", help="fan out again the stream batches of the fan-out failure queue (within 24 hours)"
    )
    return parser


def _run(arguments: argparse.Namespace) -> str:
    match arguments.noun, arguments.verb:
        case "account", "create":
            created = accounts.create_account(arguments.name, arguments.plan)
            return f"account {created.id} created on the {created.plan} plan"
        case "account", "plan":
            changed = accounts.change_plan(arguments.account_id, arguments.plan)
            return f"account {changed.id} is now on the {changed.plan} plan"
        case "account", "limits":
            changes = {name: value for name in LIMITS if (value := getattr(arguments, name)) is not UNCHANGED}
            return _shown_limits(accounts.change_limits(arguments.account_id, **changes))
        case "key", "create":
            api_key, key = accounts.create_api_key(arguments.account_id, arguments.name)
            return (
                f"key {api_key.id} of account {api_key.account_id} (shown this once, keep it secret):\n{key}"
            )
        case "key", "list":
            keys = accounts.api_keys(arguments.account_id)
            return (
                "\n".join(
                    f"{key.id}  {key.prefix}...  {key.name}  created {key.created_at:%Y-%m-%d %H:%M}"
                    for key in keys
                )
                or f"account {arguments.account_id} has no keys"
            )
        case "key", "revoke":
            accounts.revoke_api_key(arguments.account_id, arguments.key_id)
            return f"key {arguments.key_id} of account {arguments.account_id} revoked"
        case _:
            return _replayed(replay_failed_fan_outs())


def main(argv: list[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    if arguments.stack or arguments.local:
        os.environ.update(_stack_environment(arguments.stack) if arguments.stack else _local_environment())
        settings.cache_clear()
        aws.cache_clear()
    try:
        print(_run(arguments))
    except MailhooksError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
