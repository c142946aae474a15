"""stepfunctions_execution_info against executions the emulator really runs."""

from __future__ import annotations

import json

from ansible_collections.payments.region_migration.plugins.modules import stepfunctions_execution_info as module

DEFINITION = {
    "StartAt": "First",
    "States": {
        "First": {"Type": "Pass", "Next": "Pause"},
        "Pause": {"Type": "Wait", "Seconds": 2, "Next": "Decide"},
        "Decide": {"Type": "Choice", "Choices": [{"Variable": "$.fail", "BooleanEquals": True, "Next": "Broken"}],
                   "Default": "Done"},
        "Broken": {"Type": "Fail", "Error": "LagAboveThreshold", "Cause": "Bake2Lag: 90000 ms"},
        "Done": {"Type": "Succeed"},
    },
}


def start(aws, fail: bool) -> str:
    sfn = aws("stepfunctions")
    arn = sfn.create_state_machine(name="sfn-info-test", definition=json.dumps(DEFINITION),
                                   roleArn="arn:aws:iam::123456789012:role/sfn")["stateMachineArn"]
    return sfn.start_execution(stateMachineArn=arn, input=json.dumps({"fail": fail}))["executionArn"]


def test_follows_a_failed_execution_to_its_cause(aws, run, module_args):
    arn = start(aws, fail=True)
    first = run(module, {**module_args, "region": "eu-west-1", "execution_arn": arn})
    assert not first.get("failed") and first["changed"] is False
    names = [s["name"] for s in first["states"]]
    assert names[0] == "First"

    # Followed from the first read's last event to the end. On a loaded machine that can take more than one
    # 30 s wait, and the call that sees the end may bring no new state (an earlier call saw "Broken" entered
    # before the execution was marked failed): the states of every call count.
    rest = run(module, {**module_args, "region": "eu-west-1", "execution_arn": arn, "wait_seconds": 30,
                        "poll_seconds": 1, "since_event_id": first["last_event_id"]})
    later = [s["name"] for s in rest["states"]]
    while rest["running"]:
        rest = run(module, {**module_args, "region": "eu-west-1", "execution_arn": arn, "wait_seconds": 30,
                            "poll_seconds": 1, "since_event_id": rest["last_event_id"]})
        later += [s["name"] for s in rest["states"]]
    assert "First" not in later and later[-1] == "Broken"
    assert rest["status"] == "FAILED" and not rest["running"]
    assert rest["error"] == "LagAboveThreshold" and rest["cause"] == "Bake2Lag: 90000 ms"
    assert rest["output"] is None


def test_a_succeeded_execution_returns_its_output(aws, run, module_args):
    arn = start(aws, fail=False)
    result = run(module, {**module_args, "region": "eu-west-1", "execution_arn": arn, "wait_seconds": 30,
                          "poll_seconds": 1, "since_event_id": 10_000})
    while result["running"]:
        result = run(module, {**module_args, "region": "eu-west-1", "execution_arn": arn, "wait_seconds": 30,
                              "poll_seconds": 1, "since_event_id": 10_000})
    assert result["status"] == "SUCCEEDED" and result["output"] == {"fail": False}
    assert result["states"] == []


def test_unknown_execution_fails_clearly(run, module_args):
    result = run(module, {**module_args, "region": "eu-west-1",
                          "execution_arn": "arn:aws:states:eu-west-1:123456789012:execution:nope:nope"})
    assert result["failed"] and "Failed to describe the execution" in result["msg"]


def test_lists_the_running_executions_of_a_state_machine(aws, run, module_args):
    arn = start(aws, fail=False)
    machine = arn.replace(":execution:", ":stateMachine:").rsplit(":", 1)[0]
    result = run(module, {**module_args, "region": "eu-west-1", "state_machine_arn": machine})
    assert [e["execution_arn"] for e in result["executions"]] == [arn]
    assert result["executions"][0]["state"] in ("First", "Pause")
    missing = run(module, {**module_args, "region": "eu-west-1",
                           "state_machine_arn": "arn:aws:states:eu-west-1:123456789012:stateMachine:nope"})
    assert missing["executions"] == []
