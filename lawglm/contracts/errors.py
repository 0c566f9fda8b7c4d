"""Structured errors of contract drafting (the server maps them to 404 / 422)."""

from __future__ import annotations

from ..errors import LawGLMError


class ContractError(LawGLMError):
    """Base class of contract-drafting errors."""


class UnknownTemplate(ContractError):
    """No template of that name; `.available` lists the names there are."""

    def __init__(self, name: str, available: list[str]):
        self.name, self.available = name, list(available)
        super().__init__(f"unknown contract template {name!r}; available: {', '.join(self.available)}")


class FieldErrors(ContractError):
    """Field values that cannot be used; `.errors` is a list of {field, message}."""

    def __init__(self, errors: list[dict]):
        self.errors = list(errors)
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in self.errors)
        super().__init__(f"invalid contract fields: {detail}")


class NoTemplateMatch(ContractError):
    """A plain-language request fits no template (or several equally); `.choices` lists them."""

    def __init__(self, reason: str, choices: list[dict]):
        self.reason, self.choices = reason, list(choices)
        names = "、".join(f"{c['title']}({c['name']})" for c in self.choices)
        super().__init__(f"{reason}; choose a template with --template NAME: {names}")


class TemplateError(ContractError):
    """A template file is malformed or renders badly (a bug in the template, not in the input)."""
