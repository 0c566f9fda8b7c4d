"""`lawglm contract check FILE.yaml`: everything wrong with one template, each problem one line naming the
field.

Owns `check_template(path, dirs, corpus) -> [Problem]`. Beyond the load check (schema.template_problems: keys,
field types, fields that exist, Jinja that compiles and uses only names the schema defines) it checks what
needs the corpus and the other templates:
  - every clause reference and every legal check's article exists in the corpus and is in force;
  - no keyword is shared ambiguously: a request naming only that word must not score another template
    as high as this one (the other templates are the built-in ones plus the user directories given).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import yaml

from lawglm.statutes.citations import verify_one

from .errors import TemplateError
from .schema import Catalog, Problem, Template, catalog, parse_template, template_problems


def _ref_problems(tpl: Template, corpus) -> list[Problem]:
    out: list[Problem] = []
    pairs = [(f"clauses[{i}].refs[{j}]", r.law, r.article) for i, c in enumerate(tpl.clauses)
             for j, r in enumerate(c.refs)]
    pairs += [
        (f"legal[{i}].article", c["law"], str(c["article"])) for i, c in enumerate(tpl.legal) if "law" in c
    ]
    for where, law, article in pairs:
        c = verify_one(corpus, law, article)
        if c.article is not None and not c.article.is_current:
            out.append((where, f"{law} {article} is not in force ({c.article.status})"))
        elif not c.verified or c.article is None:
            out.append((where, f"{law} {article} is not in the corpus ({c.reason})"))
    return out


def _keyword_problems(tpl: Template, cat: Catalog) -> list[Problem]:
    """A keyword whose request ('帮我起草一份' + word) scores another template at least as high as this
    one."""
    from .extract import longest_keyword, score

    mixed = Catalog(cat.dirs + ("<checked>",), {**cat.templates, tpl.name: tpl}, ())
    out: list[Problem] = []
    for key in ("strong_keywords", "keywords"):
        for i, word in enumerate(getattr(tpl, key)):
            mine = (score(tpl, word, mixed), longest_keyword(tpl, word))
            rivals = [t for t in mixed.templates.values() if t.name != tpl.name
                      and (score(t, word, mixed), longest_keyword(t, word)) >= mine]
            if rivals:
                names = "、".join(f"{t.name}（{t.title}）" for t in rivals)
                out.append((f"{key}[{i}]", (f"「{word}」 points to {names} as much as to this template; "
                                           f"a request naming only it cannot be told apart")))
    return out


def check_template(path: str | Path, dirs: tuple[str, ...] = (), corpus=None) -> list[Problem]:
    """Every problem of the template file, as (field, message); [] when it is fine."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        return [("template", f"cannot read {path}: {exc.strerror or exc}")]
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        return [("template", f"not valid YAML: {' '.join(str(exc).split())}")]
    problems = template_problems(data, path.resolve().parent)
    if problems:
        return problems
    try:
        tpl = parse_template(data, str(path.resolve()), source=str(path.resolve().parent))
    except TemplateError as exc:  # template_problems said nothing, so this is unexpected: still one line
        return [("template", str(exc))]
    out = []
    if corpus is not None:
        out += _ref_problems(tpl, corpus)
    cat = catalog(dirs)
    others = Catalog(cat.dirs, {n: t for n, t in cat.templates.items() if t.path != tpl.path}, ())
    out += _keyword_problems(replace(tpl), others)
    return out
