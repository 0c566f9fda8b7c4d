"""Search: what of an article is indexed, encoders, the versioned on-disk index and its updates, and retrieval
(direct look-up, BM25 + dense candidate lists, the learned ranker, an optional cross-encoder)."""
