"""Create a campaign from a template and queue its sending to the campaign sender."""

from collections.abc import Callable
from dataclasses import dataclass

from mailhooks.errors import NotFound
from mailhooks.inbound.kinds import EMAIL, ID, ids, one_line, text
from mailhooks.inbound.operations.base import Answer, Operation, OperationContext
from mailhooks.inbound.parameters import Parameters, parameter
from mailhooks.models import Campaign
from mailhooks.sending.campaign_sender import queue_campaign
from mailhooks.sending.sending_domains import verified_domain
from mailhooks.store.campaigns import campaign_records
from mailhooks.store.counters import next_id
from mailhooks.store.items import Taken
from mailhooks.store.lists import list_records


@dataclass(frozen=True, kw_only=True)
class SendCampaignParameters:
    name: str = parameter(text(1, 200, one_line), "Name of the campaign.")
    from_name: str = parameter(text(1, 200, one_line), "Sender's name shown to the recipients.")
    from_email: str = parameter(EMAIL, "Sender's address, of a domain verified for the account.")
    subject: str = parameter(text(1, 998, one_line), "Subject line.")
    lists: list[int] = parameter(
        # Up to what one transaction checks with the rest (DynamoDB's 100 writes).
        ids(1, 50),
        'Ids of the lists to send to, up to 50: an array, "[2222, 2223]", "2222,2223" or an id.',
    )
    template_id: int = parameter(ID, "Id of the template whose HTML is sent.")


def _missing(what: str) -> Callable[[], None]:
    def refused() -> None:
        raise NotFound(f"{what} was not found")

    return refused


def run(params: SendCampaignParameters, context: OperationContext) -> Answer:
    account_id = context.account.id
    list_ids = list(dict.fromkeys(params.lists))
    store = campaign_records()
    campaign = Campaign(
        id=next_id("campaign"),
        account_id=account_id,
        name=params.name,
        from_name=params.from_name,
        from_email=params.from_email,
        subject=params.subject,
        list_ids=list_ids,
        template_id=params.template_id,
        base_url=context.base_url,
        created_at=context.now,
    )
    # The domain, the lists and the template checked, and the campaign stored, in the one write that takes
    # the call's record; refusals named in that order.
    needs = [
        verified_domain(account_id, params.from_email),
        *(Taken(list_records().list_check(account_id, each), _missing(f"list {each}")) for each in list_ids),
        Taken(
            store.template_check(account_id, params.template_id), _missing(f"template {params.template_id}")
        ),
        Taken(store.campaign_put(campaign), _missing(f"campaign {campaign.id}")),
    ]
    # Sent by the campaign sender, never inline: a campaign may reach more people than one call can.
    with context.sending(needs, [store.campaign_delete(campaign)]):
        queue_campaign(context.aws, context.settings, campaign)
    return Answer(200, {"id": campaign.id})


OPERATION = Operation(
    name="send_campaign",
    summary="Create a campaign from a template and queue it for sending to the given lists.",
    parameters=Parameters.of(SendCampaignParameters),
    run=run,
)
