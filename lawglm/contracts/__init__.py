"""Contract drafting: vetted templates (YAML + Jinja), typed fields, extraction from a request, Markdown/DOCX.

API (used by the CLI and the HTTP server):
    list_templates(settings=None) -> [{name, title, description, fields, source[, overrides]}]
    skipped_templates(settings=None) -> [(file, problem)] user templates that failed the load check
    get_schema(name, settings=None) -> {name, title, description, properties: {field: {type, label, required,
    …}}, …}
Templates: the built-in ones plus those of settings.templates_dir (LAWGLM_TEMPLATES_DIR, os.pathsep-separated)
.
    draft(template=None, fields=None, request=None, generator=None) -> Draft  (Draft.to_dict())
    to_docx(draft) -> bytes
Errors: UnknownTemplate (.available), FieldErrors (.errors = [{field, message}]), NoTemplateMatch (.choices).
"""

from __future__ import annotations

from .draft import Draft, draft, get_schema, list_templates, skipped_templates
from .errors import ContractError, FieldErrors, NoTemplateMatch, TemplateError, UnknownTemplate
from .money import parse_capital, to_capital


def to_docx(draft: Draft | dict) -> bytes:
    """The drafted contract as a Word document (python-docx is imported on first use)."""
    from .docx import to_docx as _to_docx

    return _to_docx(draft)


__all__ = [
    "ContractError",
    "Draft",
    "FieldErrors",
    "NoTemplateMatch",
    "TemplateError",
    "UnknownTemplate",
    "draft",
    "get_schema",
    "list_templates",
    "parse_capital",
    "skipped_templates",
    "to_capital",
    "to_docx",
]
