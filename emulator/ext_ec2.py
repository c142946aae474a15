"""EC2: DescribeLaunchTemplates returns a launch template's current tags, as AWS does.

moto 5.2 copies a template's tags into ``LaunchTemplate.tags`` once, when the template is created, and answers
DescribeLaunchTemplates from that copy: tags added later with CreateTags (what the compute role does, and what
DescribeTags shows) never appear there (EC2 API Reference, LaunchTemplate: ``Tags``, "The tags for the launch
template"). The attribute is made to read moto's tag store instead.
"""

from __future__ import annotations


def install() -> None:
    from moto.ec2.models.launch_templates import LaunchTemplate

    if getattr(LaunchTemplate, "_emulator_patched", False):
        return
    # moto's __init__ assigns the snapshot: the setter ignores it, the getter reads the live tags.
    LaunchTemplate.tags = property(lambda self: self.get_tags(), lambda self, value: None)
    LaunchTemplate._emulator_patched = True
