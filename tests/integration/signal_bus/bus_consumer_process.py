"""A GroupConsumer in its own process, for the kill test.

Usage: python bus_consumer_process.py URL NAMESPACE CONSUMER STALL_AFTER

Its handler records each message id in the Redis list ``<namespace>:handled`` and,
after ``STALL_AFTER`` messages, hangs (so the parent can SIGKILL it mid-batch).
"""

from __future__ import annotations

import sys
import time

import redis

from signal_bus.channels import FORECAST_UPDATES
from signal_bus.group_consumer import GroupConsumer, GroupConsumerConfig
from signal_bus.messages import Message
from signal_bus.redis_bus import RedisBus


def main() -> None:
    url, namespace, consumer_name, stall_after = sys.argv[1:5]
    client = redis.Redis.from_url(url)
    handled_key = f"{namespace}:handled"
    count = 0

    def handler(message: Message) -> None:
        nonlocal count
        client.rpush(handled_key, message.id)
        count += 1
        if count >= int(stall_after):
            time.sleep(3600)

    bus = RedisBus(url=url, namespace=namespace)
    config = GroupConsumerConfig(
        channel=FORECAST_UPDATES, group="kill-test", consumer=consumer_name, batch_size=10
    )
    GroupConsumer(bus, config, handler=handler).run_forever()


if __name__ == "__main__":
    main()
