"""EC2: what moto gets wrong or makes slow.

- DescribeLaunchTemplates returns a launch template's current tags, as AWS does. moto 5.2 copies a
  template's tags into ``LaunchTemplate.tags`` once, when the template is created, and answers
  DescribeLaunchTemplates from that copy: tags added later with CreateTags (what the compute role does, and
  what DescribeTags shows) never appear there (EC2 API Reference, LaunchTemplate: ``Tags``, "The tags for the
  launch template"). The attribute is made to read moto's tag store instead.
- No ECS-optimized AMIs in the image catalogue of a region. moto builds every AMI it knows into each EC2
  region backend when the region is first used, and again for each region on every ``/moto-api/reset``: its
  44 default AMIs, the ~30 "latest" AMIs of the region and ~1,200 ECS-optimized AMIs of the region, each
  with an EBS volume and snapshot of its own. The ECS ones were about 90 % of the cost of a reset (75 ms of
  CPU per region, against 6 ms without them), and tests reset the emulator before each test. Nothing here
  runs ECS: the Amazon Linux 2 images that the compute role and baseline.yml look up
  (``amzn2-ami-hvm-*-x86_64-gp2``) are among the default and latest AMIs, which stay.
"""

from __future__ import annotations

_ECS_OPTIMIZED = "ec2/resources/ecs/optimized_amis/"


def install() -> None:
    _launch_template_live_tags()
    _without_ecs_optimized_amis()


def _launch_template_live_tags() -> None:
    from moto.ec2.models.launch_templates import LaunchTemplate

    if getattr(LaunchTemplate, "_emulator_patched", False):
        return
    # moto's __init__ assigns the snapshot: the setter ignores it, the getter reads the live tags.
    LaunchTemplate.tags = property(lambda self: self.get_tags(), lambda self, value: None)
    LaunchTemplate._emulator_patched = True


def _without_ecs_optimized_amis() -> None:
    from moto.ec2.models import amis

    if getattr(amis.load_resource, "_emulator_patched", False):
        return
    load_resource = amis.load_resource

    def without_ecs_optimized(path: str, *args, **kwargs):
        if path.startswith(_ECS_OPTIMIZED):
            return []
        return load_resource(path, *args, **kwargs)

    without_ecs_optimized._emulator_patched = True
    amis.load_resource = without_ecs_optimized
