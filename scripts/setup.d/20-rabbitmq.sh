#!/usr/bin/env bash
# RabbitMQ from Debian's packages (3.10 on bookworm, with the rabbitmq_amqp1_0 and management
# plugins) for the broker-mode tests. The tests start a private node of their own (loopback,
# free ports, own directories and epmd: tests/services/rabbitmq.py), so nothing is started here.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || apt_install rabbitmq-server
