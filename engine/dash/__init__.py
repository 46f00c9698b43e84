"""``pyasynq.dash``: the terminal dashboard of ``pyasynq dash`` (Go's ``asynq dash``).

``pyasynq.dash.view`` draws (pure functions, no terminal); ``pyasynq.dash.app`` is the Textual
application. Textual is the optional extra ``pyasynq[dash]``; nothing here is imported by the engine.
"""
