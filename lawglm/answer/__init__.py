"""Answer: one request's options, prompts over retrieved articles, generation gated sentence by sentence,
citation and support checks, and the Assistant that runs retrieve -> prompt -> generate -> check."""
