# Copyright: payments.region_migration contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Options and notes every gate module shares (their polling and verdict code is shared too)."""


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  mode:
    description:
      - V(once) evaluates the gate once (O(consecutive_healthy) times where that counts evaluations);
        V(wait) evaluates it every O(poll_interval) seconds until it passes or O(timeout) seconds
        have gone by.
    type: str
    default: once
    choices: [once, wait]
  poll_interval:
    description: Seconds between two evaluations.
    type: int
    default: 10
  timeout:
    description: Longest time to wait for a passing gate in O(mode=wait), in seconds.
    type: int
    default: 600
  fail_on_unhealthy:
    description:
      - Fail the task when the gate does not pass. With V(false) the task succeeds and reports
        RV(healthy=false).
    type: bool
    default: true
notes:
  - Supports check mode; the module only reads, so it behaves the same in check mode.
"""
