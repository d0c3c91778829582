"""Create a campaign from a template and queue its sending to the campaign sender."""

from pydantic import Field

from mailhooks.errors import NotFound
from mailhooks.inbound.operations.base import Answer, Operation, OperationContext
from mailhooks.inbound.parameters import Email, Id, IdList, Line, Parameters
from mailhooks.models import Campaign
from mailhooks.sending.campaign_sender import queue_new_campaign
from mailhooks.sending.sending_domains import sender_identity
from mailhooks.store.campaigns import campaign_records
from mailhooks.store.counters import next_id


class SendCampaignParameters(Parameters):
    name: Line = Field(min_length=1, max_length=200, description="Name of the campaign.")
    from_name: Line = Field(
        min_length=1, max_length=200, description="Sender's name shown to the recipients."
    )
    from_email: Email = Field(description="Sender's address, of a domain verified for the account.")
    subject: Line = Field(min_length=1, max_length=998, description="Subject line.")
    lists: IdList = Field(
        min_length=1,
        description='Ids of the lists to send to: an array, "[2222, 2223]", "2222,2223" or one id.',
    )
    template_id: Id = Field(description="Id of the template whose HTML is sent.")


def run(params: SendCampaignParameters, context: OperationContext) -> Answer:
    sender_identity(context.account.id, params.from_email)
    list_ids = [context.mailing_list(list_id).id for list_id in dict.fromkeys(params.lists)]
    if campaign_records().get_template(context.account.id, params.template_id) is None:
        raise NotFound(f"template {params.template_id} was not found")
    campaign = Campaign(
        id=next_id("campaign"),
        account_id=context.account.id,
        name=params.name,
        from_name=params.from_name,
        from_email=params.from_email,
        subject=params.subject,
        list_ids=list_ids,
        template_id=params.template_id,
        base_url=context.base_url,
        created_at=context.now,
    )
    # Sent by the campaign sender, never inline: a campaign may reach more people than one call can.
    queue_new_campaign(context.aws, context.settings, campaign)
    return Answer(200, {"id": campaign.id})


OPERATION = Operation(
    name="send_campaign",
    summary="Create a campaign from a template and queue it for sending to the given lists.",
    parameters=SendCampaignParameters,
    run=run,
)
