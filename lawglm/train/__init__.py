"""Offline training: adapters (LoRA / P-tuning v2), the static encoder and the learned ranker. Never imported
by serving code."""
