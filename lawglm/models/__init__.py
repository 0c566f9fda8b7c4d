"""Models: finding, converting and loading a backbone (GGUF, ChatGLM), adapters, the decode loop, chat
formats and generators (local, remote). Knows token ids and chat messages, nothing of statutes."""
