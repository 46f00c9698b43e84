"""A job-queue application as a team would write it with pyasynq (used by the demo and Procfile)."""
