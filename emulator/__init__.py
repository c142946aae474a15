"""Local AWS emulator for payments.region_migration rehearsals and tests.

Built on moto's server. It adds what moto lacks for this project (Aurora global
switchover/failover, autoscaling metrics collection, ...), simulates the CloudWatch
signals our gates read, and offers a fault-injection interface. See emulator/README.md.
"""

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5000
