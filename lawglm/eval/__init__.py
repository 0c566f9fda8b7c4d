"""Offline evaluation: retrieval recall, generation modes side by side, the seeds' metrics. Never imported by
serving code."""
