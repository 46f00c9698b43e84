"""The Redis side of pyasynq's extras: broker mixins for features Go Asynq does not have.

Each module is one ``XxxOps(BrokerBase)`` mixin (alerts, audit, search, limits, workflows,
previews, and the console's shared secret and sessions) working only on ``pyasynq:`` keys;
``pyasynq.broker.broker.Broker`` lists them among its bases. Operations Go's protocol needs stay
in ``pyasynq.broker``. Lua scripts of every area stay in ``engine/broker/scripts/``.
"""
