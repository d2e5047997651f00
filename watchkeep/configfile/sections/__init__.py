"""The file's sections, in the order the file holds them."""

from __future__ import annotations

from watchkeep.configfile.section import Section
from watchkeep.configfile.sections.agents import AgentsSection
from watchkeep.configfile.sections.certificates import CertificatesSection
from watchkeep.configfile.sections.channels import ChannelsSection
from watchkeep.configfile.sections.endpoints import EndpointsSection
from watchkeep.configfile.sections.heartbeats import HeartbeatsSection
from watchkeep.configfile.sections.silences import SilencesSection
from watchkeep.configfile.sections.statuspage import StatusComponentsSection, StatusGroupsSection, StatusPageSection
from watchkeep.configfile.sections.updates import UpdateExclusionsSection
from watchkeep.configfile.sections.webhooks import WebhooksSection
from watchkeep.configfile.sections.windows import WindowsSection
from watchkeep.core.hub import Hub

SECTIONS: tuple[type[Section], ...] = (
    HeartbeatsSection,
    ChannelsSection,
    SilencesSection,
    WindowsSection,
    WebhooksSection,
    AgentsSection,
    EndpointsSection,
    CertificatesSection,
    UpdateExclusionsSection,
    StatusGroupsSection,
    StatusComponentsSection,
    StatusPageSection,
)


def sections(hub: Hub) -> list[Section]:
    return [cls(hub) for cls in SECTIONS]
