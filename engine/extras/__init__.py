"""pyasynq's extras: features Go Asynq does not have.

An extra (alerts, the audit log, search, the Prometheus exporter, payload previews, fleet-wide
limits, workflows, the embedded redis-server) keeps its data under ``pyasynq:`` keys, which Go
never reads, and leaves Go's data valid. The core (task, client, server and its components,
scheduler, inspector, broker) works without any of them: it imports an extra at module level
only where the Server or the Inspector wires it in (docs/architecture.md names those places).
Their Redis operations are in ``pyasynq.broker.extras``.
"""
