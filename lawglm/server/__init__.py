"""The HTTP service: FastAPI app factory (`create_app`), native/OpenAI/ChatGLM APIs, admin, web page.

Modules: app (factory, lifespan, ops routes), core (shared state + answer path), worker (bounded
generation queue), middleware (request ids, body limits, metrics), errors (HTTP mapping),
schemas (request/response models), routes_* (the endpoints).
"""

from .app import create_app

__all__ = ["create_app"]
