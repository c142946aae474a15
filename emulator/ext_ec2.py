"""EC2: no ECS-optimized AMIs in the image catalogue of a region.

moto builds every AMI it knows into each EC2 region backend when the region is first used, and again for
each region on every ``/moto-api/reset``: its 44 default AMIs, the ~30 "latest" AMIs of the region and
~1,200 ECS-optimized AMIs of the region, each with an EBS volume and snapshot of its own. The ECS ones
were about 90 % of the cost of a reset (75 ms of CPU per region, against 6 ms without them), and tests
reset the emulator before each test. Nothing here runs ECS: the Amazon Linux 2 images that the compute
role and baseline.yml look up (``amzn2-ami-hvm-*-x86_64-gp2``) are among the default and latest AMIs,
which stay.
"""

from __future__ import annotations

_ECS_OPTIMIZED = "ec2/resources/ecs/optimized_amis/"


def install() -> None:
    from moto.ec2.models import amis

    load_resource = amis.load_resource

    def _without_ecs_optimized(path: str, *args, **kwargs):
        if path.startswith(_ECS_OPTIMIZED):
            return []
        return load_resource(path, *args, **kwargs)

    amis.load_resource = _without_ecs_optimized
