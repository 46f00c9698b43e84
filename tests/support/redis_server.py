"""The test fixtures' private Redis: the same embedded server the demo uses."""

from pyasynq.extras.embedded_redis import (  # noqa: F401 - re-exported for tests
    RedisServer,
    find_redis_server,
    free_cluster_port,
    free_port,
)
