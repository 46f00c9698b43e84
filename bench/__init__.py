"""The pyasynq benchmark suite: ``python3 bench/run.py`` writes bench/RESULTS.md."""
