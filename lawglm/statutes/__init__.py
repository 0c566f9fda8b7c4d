"""Statutes: the corpus of law articles (laws.db and shipped derived data), parsing statute files, levels and
document numbers, amendments and status, and the one citation grammar."""
