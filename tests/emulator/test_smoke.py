"""The emulator answers and an amazon.aws module runs in-process against it."""

from ansible_collections.amazon.aws.plugins.modules import ec2_vpc_net


def test_vpc_created_by_module_is_visible_through_boto3(aws, module_args, run):
    result = run(ec2_vpc_net, {**module_args, "region": "eu-west-1", "name": "vpc-smoke",
                               "cidr_block": ["10.9.0.0/16"]})
    assert result["changed"] is True
    vpcs = aws("ec2").describe_vpcs(Filters=[{"Name": "cidr", "Values": ["10.9.0.0/16"]}])["Vpcs"]
    assert [v["VpcId"] for v in vpcs] == [result["vpc"]["id"]]
