"""Contract templates as data: loading the YAML files and describing their fields.

Owns `Template` / `FieldSpec` / `Clause` / `Ref`, the loader of the built-in
`lawglm/contracts/templates/*.yaml` and of the user template directories
(`LAWGLM_TEMPLATES_DIR`, `--templates-dir`: a user template of a built-in's name replaces it,
and says so), the load check (`template_problems`: known keys and field types, fields that
exist, parsable statute references, Jinja that compiles — every problem as one line naming the
field) and the JSON-schema-like description that `get_schema` returns.
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import yaml

from ..numerals import parse_article_no
from .errors import TemplateError, UnknownTemplate

log = logging.getLogger(__name__)
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
BUILT_IN = "built-in"
FIELD_TYPES = ("party", "text", "money", "number", "integer", "percent", "date", "choice",
               "items", "schedule", "dispute", "rate")
JSON_TYPES = {"party": "object", "text": "string", "money": "number|string", "number": "number|string",
              "rate": "string",
              "integer": "integer", "percent": "number", "date": "string", "choice": "string",
              "items": "array", "schedule": "array", "dispute": "object"}
PARTY_KEYS = {"name": "名称/姓名", "kind": "主体类型（organization 法人或其他组织 / person 自然人）",
              "credit_code": "统一社会信用代码", "legal_representative": "法定代表人",
              "address": "注册地址/住所", "agent": "授权代表", "phone": "联系方式", "id_number": "身份证号码"}
ITEM_KEYS = {
    "name": "名称",
    "spec": "规格型号",
    "unit": "单位",
    "quantity": "数量",
    "unit_price": "单价（元）",
}
STAGE_KEYS = {"stage": "付款节点", "percent": "比例（%）", "due": "付款期限"}
DISPUTE_METHODS = ("诉讼", "仲裁")


@dataclass(frozen=True)
class Ref:
    """A statute article a clause rests on, as the template declares it."""

    law: str
    article: str  # as written in the template: 595 / 第五百九十五条 / 第一百二十条之一

    @property
    def number(self) -> tuple[int, int]:
        return parse_article_no(self.article)


@dataclass
class Clause:
    """One numbered article of the contract: title, Jinja text, statute references."""

    title: str
    text: str
    refs: list[Ref] = field(default_factory=list)


@dataclass
class FieldSpec:
    """One typed field of a template."""

    name: str
    type: str
    label: str
    required: bool = False
    description: str = ""
    choices: list[str] = field(default_factory=list)
    synonyms: dict[str, list[str]] = field(default_factory=dict)  # choice -> words meaning it
    default: Any = None
    cues: list[str] = field(default_factory=list)  # words near which the value is written
    unit: str = ""  # integer/number unit: 日, 个月, 平方米
    minimum: float | None = None
    maximum: float | None = None
    max_length: int = 300
    role: str = ""  # party: 甲方 / 乙方
    title: str = ""  # party: 出卖人 / 承租人 …
    kind: str = "any"  # party: organization | person | any
    aliases: list[str] = field(default_factory=list)  # party: other words for the role
    after: list[str] = field(
        default_factory=list
    )  # party: words right after a name that give its role (X向我借)
    before: list[str] = field(
        default_factory=list
    )  # party: words right before a name that give its role (借到X)
    avoid: list[str] = field(default_factory=list)  # cue extraction skips clauses with these words
    priced: bool = True  # items: with unit price and subtotal
    base: str = ""  # schedule: the money/items field whose amount it splits
    finder: str = ""  # text: a special extractor (court | commission)
    monthly_cues: list[str] = field(default_factory=list)  # percent: cues that give a month rate (×12)
    zero_words: list[str] = field(default_factory=list)  # words that state the value is zero (不要利息)
    divide: dict[str, int] = field(
        default_factory=dict
    )  # money: cue -> divisor (年租金: 12 for a month rent)
    multiple_of: str = ""  # money: 押二 / 两个月租金 -> that many times this money field
    from_title: bool = False  # text: the job title written before a person's name (招聘快递员何军)
    keep_cues: list[str] = field(default_factory=list)  # text: cue words that are part of the value (办理…)
    shape: str = ""
    # "name" — the organisation or person named at the cue (债务人X), read before the parties and never one of
    # them
    stop_cues: list[str] = field(
        default_factory=list
    )  # text: other text fields' cues (set on load, not in YAML)
    percent_of: str = ""  # money: 按80%发 -> that percentage of this money field (试用期工资 of 月工资)
    per: list[str] = field(
        default_factory=list
    )  # rate: the units it may be per (吨, 台, 月, 小时); empty: any
    product_of: list[str] = field(
        default_factory=list
    )  # money: [rate field, quantity field] -> rate × quantity
    period_of: str = ""  # choice: the period of this money field (每年8万元 -> 每年), read next to its amount
    base_of: str = ""  # text: the base a percent field is a share of (成交价的百分之一 -> 成交价)

    def schema(self) -> dict:
        """JSON-schema-like description: type, label, required, choices, description."""
        out: dict[str, Any] = {"type": self.type, "json_type": JSON_TYPES[self.type], "label": self.label,
                               "required": self.required, "description": self.description}
        if self.choices:
            out["choices"] = list(self.choices)
        for key in ("unit", "role", "title", "per", "product_of", "period_of", "base_of"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        if self.minimum is not None:
            out["minimum"] = self.minimum
        if self.maximum is not None:
            out["maximum"] = self.maximum
        if self.default is not None:
            out["default"] = self.default
        out.update(_nested_schema(self))
        return out


def _nested_schema(f: FieldSpec) -> dict:
    if f.type == "party":
        return {"kind": f.kind, "properties": {k: {"label": v} for k, v in PARTY_KEYS.items()}}
    if f.type == "items":
        keys = ITEM_KEYS if f.priced else {k: v for k, v in ITEM_KEYS.items() if k != "unit_price"}
        return {"items": {"properties": {k: {"label": v} for k, v in keys.items()}, "required": ["name"]}}
    if f.type == "schedule":
        return {"items": {"properties": {k: {"label": v} for k, v in STAGE_KEYS.items()},
                          "required": ["percent"]}, "sum_of_percent": 100, "base": f.base}
    if f.type == "dispute":
        return {"properties": {"method": {"label": "争议解决方式", "choices": list(DISPUTE_METHODS)},
                               "court": {"label": "管辖法院（诉讼）"},
                               "commission": {"label": "仲裁委员会（仲裁）"}}}
    if f.type in ("money", "percent", "number") and f.minimum is None:
        return {"minimum": 0}
    return {}


@dataclass
class Template:
    """A contract type: metadata, typed fields, and the clauses with their statute references."""

    name: str
    title: str
    description: str
    fields: dict[str, FieldSpec]
    clauses: list[Clause]
    keywords: list[str] = field(default_factory=list)
    strong_keywords: list[str] = field(default_factory=list)
    recitals: str = ""
    preamble: str = ""
    source_party: str = ""  # the party one gets something *from* (向X购买 / 向X借款)
    self_party: str = ""  # the party the writer usually is (我们公司… / 我叫…)
    self_rules: list[dict] = field(
        default_factory=list
    )  # [{when: [向我借], party: party_a}] before self_party
    checks: list[dict] = field(default_factory=list)
    relations: list[dict] = field(
        default_factory=list
    )  # [{between: 借给, first: party_a, second: party_b, after: …}]
    path: str = ""
    legal: list[dict] = field(
        default_factory=list
    )  # the template's legal checks: [{check: interest_cap, field: …}]
    source: str = BUILT_IN  # built-in, or the user template directory it came from
    overrides: str = ""  # the source of the template of the same name it replaces

    @property
    def directory(self) -> Path:
        """Where its Jinja lives: the folder of its YAML (user templates) or the built-in folder."""
        return Path(self.path).parent if self.path and Path(self.path).is_absolute() else TEMPLATES_DIR

    def person_anchors(self) -> list[str]:
        """Plain words of the relations' `between` patterns: a person may be named right after them."""
        words = []
        for rel in self.relations:
            words += [
                w for w in re.split(r"[|()?:]", rel["between"]) if w and re.fullmatch(r"[\u4e00-\u9fff]+", w)
            ]
        return words

    def refs(self) -> list[Ref]:
        seen: dict[tuple, Ref] = {}
        for c in self.clauses:
            for r in c.refs:
                seen.setdefault((r.law, r.number), r)
        return list(seen.values())

    def summary(self) -> dict:
        out = {"name": self.name, "title": self.title, "description": self.description,
               "fields": len(self.fields), "source": self.source}
        if self.overrides:
            out["overrides"] = self.overrides
        return out

    def schema(self) -> dict:
        return {"name": self.name, "title": self.title, "description": self.description,
                "type": "object", "additionalProperties": False,
                "required": [n for n, f in self.fields.items() if f.required],
                "properties": {n: f.schema() for n, f in self.fields.items()},
                "references": [{"law": r.law, "article": r.article} for r in self.refs()]}


# --- the load check: every problem, one line each, naming the field ------------------------------
TEMPLATE_KEYS = {
    "name",
    "title",
    "description",
    "fields",
    "clauses",
    "keywords",
    "strong_keywords",
    "recitals",
    "preamble",
    "source_party",
    "self_party",
    "self_rules",
    "checks",
    "relations",
    "legal",
}
CLAUSE_KEYS = {"title", "text", "file", "refs"}
CHECK_RULES = {"before": ("field", "of", "message"), "min_ratio": ("field", "of", "ratio", "message")}
# legal checks a template may declare (legal.py runs them); the keys each needs besides `check`
LEGAL_CHECKS = {
    "interest_cap": ("field",),
    "probation": ("field", "law", "article"),
    "min_share": ("field", "of", "law", "article"),
    "max_share": ("field", "of", "law", "article"),
    "words": ("words", "law", "article", "contains"),
    "if_missing": ("field", "law", "article", "contains"),
    "reminder": ("law", "article", "contains"),
}
LEGAL_OPTIONAL = {"term_months", "term_start", "term_end", "term_type", "when", "message"}
# the names clause text may use (render.build_context) besides `m` (the shared macros)
CONTEXT_NAMES = {"f", "has", "cn", "box", "ask", "BLANK", "SHORT", "DATE_BLANK", "m"}
Problem = tuple[str, str]  # (the field or key it concerns, what is wrong)


def _field_problems(name: str, raw: Any) -> list[Problem]:
    where = f"fields.{name}"
    if not isinstance(raw, dict) or raw.get("type") not in FIELD_TYPES:
        return [(f"{where}.type", f"needs a type, one of {', '.join(FIELD_TYPES)}")]
    known = set(FieldSpec.__dataclass_fields__) - {"name", "stop_cues"}
    out = [(f"{where}.{k}", "unknown key") for k in sorted(set(raw) - known, key=str)]
    if out:
        return out
    t = raw["type"]
    if t == "choice" and not raw.get("choices"):
        out.append((f"{where}.choices", "a choice field needs choices"))
    if t == "party" and (
        not raw.get("role") or raw.get("kind", "any") not in ("organization", "person", "any")
    ):
        out.append((f"{where}.role", "a party field needs a role and kind organization|person|any"))
    for key in ("cues", "aliases", "choices", "per", "product_of", "zero_words", "avoid", "keep_cues"):
        if key in raw and (
            not isinstance(raw[key], list) or not all(isinstance(w, str) and w for w in raw[key])
        ):
            out.append((f"{where}.{key}", "must be a list of words"))
    for c in raw.get("cues") or []:
        if isinstance(c, str) and c.startswith("re:"):
            try:
                re.compile(c[3:])
            except re.error as exc:
                out.append((f"{where}.cues", f"bad regular expression {c!r}: {exc}"))
    if raw.get("per") and t != "rate":
        out.append((f"{where}.per", "only a rate field is per a unit"))
    return out


def _jinja_problems(
    where: str, text: str, fields: dict[str, FieldSpec], env: jinja2.Environment
) -> list[Problem]:
    """Jinja that does not compile, and names the context does not define (f.X for a field X that does not
    exist,
    cn.X for a field that is not money, box.X for one that is not a choice)."""
    from jinja2 import meta, nodes

    try:
        ast = env.parse(text)
    except jinja2.TemplateSyntaxError as exc:
        return [(where, f"Jinja does not compile (line {exc.lineno}): {exc.message}")]
    out = []
    assigned = {n.name for n in ast.find_all(nodes.Name) if n.ctx in ("store", "param")}
    imported = {n.target for n in ast.find_all(nodes.Import)}
    for name in sorted(meta.find_undeclared_variables(ast) - CONTEXT_NAMES - assigned - imported):
        out.append((where, (f"Jinja uses {name!r}, which clause text does not have (f, has, cn, box, ask, m, "
                           f"BLANK, SHORT, DATE_BLANK)")))
    kinds = {"cn": ("money",), "box": ("choice",)}
    for node in ast.find_all(nodes.Getattr):
        if isinstance(node.node, nodes.Name) and node.node.name in ("f", "has", "cn", "box", "ask"):
            spec = fields.get(node.attr)
            if spec is None:
                out.append((where, (f"Jinja uses {node.node.name}.{node.attr}, but the template has no field "
                                   f"{node.attr!r}")))
            elif node.node.name in kinds and spec.type not in kinds[node.node.name]:
                out.append(
                    (
                        where,
                        (
                            f"Jinja uses {node.node.name}.{node.attr}, but {node.attr!r} is a {spec.type} "
                            f"field ({node.node.name}. is for {' / '.join(kinds[node.node.name])})"
                        ),
                    )
                )
    return list(dict.fromkeys(out))


def _syntax_env() -> jinja2.Environment:
    return jinja2.Environment(trim_blocks=True, lstrip_blocks=True)


def _party_fields(fields: dict[str, FieldSpec]) -> set[str]:
    return {n for n, f in fields.items() if f.type == "party"}


def _structure_problems(data: dict, fields: dict[str, FieldSpec]) -> list[Problem]:
    out: list[Problem] = []
    parties = _party_fields(fields)
    for key in ("self_party", "source_party"):
        if data.get(key) and data[key] not in parties:
            out.append((key, f"{data[key]!r} is not a party field"))
    for i, rule in enumerate(data.get("self_rules") or []):
        if not isinstance(rule, dict) or rule.get("party") not in parties:
            out.append((f"self_rules[{i}].party", "must name a party field"))
    for i, rel in enumerate(data.get("relations") or []):
        if (
            not isinstance(rel, dict)
            or {rel.get("first"), rel.get("second")} - parties
            or not rel.get("between")
        ):
            out.append((f"relations[{i}]", "needs between, first and second party fields"))
        elif (bad := _bad_regex(rel["between"]) or _bad_regex(rel.get("after") or "")):
            out.append((f"relations[{i}].between", bad))
    for name, f in fields.items():
        if f.type == "schedule" and f.base and f.base not in fields:
            out.append((f"fields.{name}.base", f"splits unknown field {f.base!r}"))
        for key in ("multiple_of", "percent_of"):
            ref = getattr(f, key)
            if ref and (ref not in fields or fields[ref].type != "money"):
                out.append((f"fields.{name}.{key}", f"{ref!r} is not a money field"))
        if f.period_of and (f.type != "choice" or f.period_of not in fields):
            out.append(
                (f"fields.{name}.period_of", "a choice field naming the money field it is the period of")
            )
        if f.shape and (f.type != "text" or f.shape not in ("address", "name")):
            out.append((f"fields.{name}.shape", "address or name, on a text field"))
        if f.base_of and (
            f.type != "text" or fields.get(f.base_of, FieldSpec("", "text", "")).type != "percent"
        ):
            out.append((f"fields.{name}.base_of", "a text field naming the percent field it is the base of"))
        if f.product_of:
            out += _product_problems(name, f, fields)
    for i, check in enumerate(data.get("checks") or []):
        rule = check.get("rule") if isinstance(check, dict) else None
        if rule not in CHECK_RULES:
            out.append((f"checks[{i}].rule", f"must be one of {', '.join(CHECK_RULES)}"))
            continue
        out += [(f"checks[{i}].{k}", "is required") for k in CHECK_RULES[rule] if k not in check]
        out += [(f"checks[{i}].{k}", f"{check[k]!r} is not a field") for k in ("field", "of")
                if k in check and check[k] not in fields]
    for i, check in enumerate(data.get("legal") or []):
        kind = check.get("check") if isinstance(check, dict) else None
        if kind not in LEGAL_CHECKS:
            out.append((f"legal[{i}].check", f"must be one of {', '.join(LEGAL_CHECKS)}"))
            continue
        out += [(f"legal[{i}].{k}", "is required") for k in LEGAL_CHECKS[kind] if k not in check]
        out += [(f"legal[{i}].{k}", "unknown key") for k in check
                if k not in {"check", *LEGAL_CHECKS[kind], *LEGAL_OPTIONAL}]
        out += [
            (f"legal[{i}].{k}", f"{check[k]!r} is not a field")
            for k in ("field", "of", "when", *LEGAL_OPTIONAL)
            if k in check and k != "message" and check[k] not in fields
        ]
        if "article" in check:
            try:
                parse_article_no(str(check["article"]))
            except ValueError as exc:
                out.append((f"legal[{i}].article", f"not an article number: {exc}"))
    return out


def _bad_regex(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as exc:
        return f"bad regular expression {pattern!r}: {exc}"
    return ""


def _product_problems(name: str, f: FieldSpec, fields: dict[str, FieldSpec]) -> list[Problem]:
    where = f"fields.{name}.product_of"
    if f.type != "money" or len(f.product_of) != 2:
        return [(where, "a money field is the product of [a rate field, a quantity field]")]
    rate, qty = (fields.get(n) for n in f.product_of)
    if rate is None or rate.type != "rate":
        return [(where, f"{f.product_of[0]!r} is not a rate field")]
    if qty is None or qty.type not in ("number", "integer", "items"):
        return [(where, f"{f.product_of[1]!r} is not a number, integer or items field")]
    if qty.type != "items" and not qty.unit:
        return [(where, f"{f.product_of[1]!r} needs a unit to multiply a rate by")]
    return []


def _clause_text(raw: dict, directory: Path | None, where: str) -> tuple[str, list[Problem]]:
    """The clause's Jinja: `text`, or `file` — a Jinja file beside the YAML (a plain name, never a path)."""
    if "file" not in raw:
        return str(raw.get("text") or ""), ([] if raw.get("text") else [(where, "needs text or file")])
    name = str(raw["file"])
    if directory is None or not re.fullmatch(r"[\w\-.]+\.j2", name) or name.startswith("."):
        return "", [(f"{where}.file", f"must be the name of a .j2 file beside the template, got {name!r}")]
    path = directory / name
    if not path.is_file():
        return "", [(f"{where}.file", f"{name} not found beside the template")]
    return path.read_text(encoding="utf-8"), []


def template_problems(data: Any, directory: Path | None = None) -> list[Problem]:
    """Everything wrong with a template's YAML mapping that can be known without the corpus or other
    templates."""
    if not isinstance(data, dict):
        return [("template", "must be a YAML mapping")]
    out: list[Problem] = [(k, "unknown key") for k in sorted(set(data) - TEMPLATE_KEYS, key=str)]
    for key in ("name", "title", "description", "fields", "clauses"):
        if not data.get(key):
            out.append((key, "is required"))
    if data.get("name") and not re.fullmatch(r"[a-z][a-z0-9_]{0,39}", str(data["name"])):
        out.append(
            ("name", "must be lower-case letters, digits and _ (it is used as an identifier, never a path)")
        )
    raw_fields = data.get("fields") if isinstance(data.get("fields"), dict) else {}
    fields = {}
    for n, raw in raw_fields.items():
        problems = _field_problems(str(n), raw)
        out += problems
        if not problems:
            fields[str(n)] = FieldSpec(name=str(n), **raw)
    if out:
        return out
    out += _structure_problems(data, fields)
    env = _syntax_env()
    for i, raw in enumerate(data["clauses"] if isinstance(data["clauses"], list) else []):
        where = f"clauses[{i}]"
        if not isinstance(raw, dict) or not raw.get("title"):
            out.append((where, "needs a title"))
            continue
        out += [(f"{where}.{k}", "unknown key") for k in raw if k not in CLAUSE_KEYS]
        text, problems = _clause_text(raw, directory, where)
        out += problems
        out += _jinja_problems(f"{where}.text", text, fields, env) if text else []
        for j, item in enumerate(raw.get("refs") or []):
            _law, _, article = str(item).strip().partition(" ")
            try:
                parse_article_no(article.strip())
            except ValueError as exc:
                out.append((f"{where}.refs[{j}]", f"bad statute reference {item!r}: {exc}"))
    for key in ("preamble", "recitals"):
        if data.get(key):
            out += _jinja_problems(key, cjk_join(data[key]), fields, env)
    return out


def _refs(raw: list) -> list[Ref]:
    out = []
    for item in raw or []:
        law, _, article = str(item).strip().partition(" ")
        out.append(Ref(law=law, article=article.strip()))
    return out


_FOLD_SPACE = re.compile(r"(?<=[\u3000-\u9fff\uff00-\uffef])[ \t]+(?=[\u3000-\u9fff\uff00-\uffef])")


def cjk_join(text: str | None) -> str:
    """YAML folding puts a space where a Chinese line was wrapped: take it out again."""
    return _FOLD_SPACE.sub("", (text or "").strip())


def parse_template(data: dict, path: str = "", source: str = BUILT_IN) -> Template:
    """Build a Template from the YAML mapping (TemplateError naming the file and every problem)."""
    where = path or (data.get("name", "template") if isinstance(data, dict) else "template")
    directory = Path(path).parent if path and Path(path).is_absolute() else (
        TEMPLATES_DIR if source == BUILT_IN else None)
    problems = template_problems(data, directory)
    if problems:
        raise TemplateError(f"{where}: " + "; ".join(f"{k}: {m}" for k, m in problems))
    fields = {str(n): FieldSpec(name=str(n), **raw) for n, raw in data["fields"].items()}
    clauses = [Clause(title=c["title"], text=_clause_text(c, directory, "")[0], refs=_refs(c.get("refs")))
               for c in data["clauses"]]
    for f in fields.values():
        if f.type == "text" and not f.stop_cues:
            f.stop_cues = sorted(
                {
                    c
                    for g in fields.values()
                    if g.type == "text" and g is not f
                    for c in g.cues
                    if not c.startswith("re:")
                }
                - set(f.cues),
                key=len,
                reverse=True,
            )
    return Template(
        name=data["name"],
        title=data["title"],
        description=cjk_join(data["description"]),
        fields=fields,
        clauses=clauses,
        keywords=list(data.get("keywords", [])),
        strong_keywords=list(data.get("strong_keywords", [])),
        recitals=cjk_join(data.get("recitals", "")),
        preamble=cjk_join(data.get("preamble", "")),
        source_party=data.get("source_party", "") or "",
        self_party=data.get("self_party", "") or "",
        self_rules=list(data.get("self_rules", [])),
        checks=list(data.get("checks", [])),
        relations=list(data.get("relations", [])),
        path=path,
        legal=list(data.get("legal") or []),
        source=source,
    )


def read_template(path: Path, source: str) -> Template:
    """One YAML file as a Template (TemplateError naming the file)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise TemplateError(f"{path.name}: not valid YAML: {exc}") from None
    return parse_template(data, str(path.resolve()) if source != BUILT_IN else path.name, source)


@functools.lru_cache(maxsize=4)
def load_templates(directory: str = str(TEMPLATES_DIR)) -> dict[str, Template]:
    """Every template in one directory, by name (files starting with _ are shared Jinja)."""
    source = BUILT_IN if Path(directory).resolve() == TEMPLATES_DIR else str(Path(directory).resolve())
    out: dict[str, Template] = {}
    for path in sorted(Path(directory).glob("*.yaml")):
        tpl = read_template(path, source)
        if tpl.name in out:
            raise TemplateError(f"{path.name}: duplicate template name {tpl.name!r}")
        out[tpl.name] = tpl
    if not out and source == BUILT_IN:
        raise TemplateError(f"no contract templates in {directory}")
    return out


def split_dirs(value: str | None) -> tuple[str, ...]:
    """LAWGLM_TEMPLATES_DIR / --templates-dir: directories separated by os.pathsep, blanks dropped."""
    import os

    return tuple(d.strip() for d in (value or "").split(os.pathsep) if d.strip())


@dataclass(frozen=True, eq=False)
class Catalog:
    """The templates in use: the built-in ones, then each user directory's (a later one wins on a name).
    Compared by identity: one object per directory state (cached), so caches keyed by it stay right."""

    dirs: tuple[str, ...]
    templates: dict[str, Template]
    skipped: tuple[tuple[str, str], ...]  # (file, why) for user templates that failed the load check


def _dir_stamp(dirs: tuple[str, ...]) -> tuple:
    """What a user directory holds now (names and modification times), so an edited template is re-read."""
    stamp = []
    for d in dirs:
        p = Path(d)
        files = sorted(p.glob("*.yaml")) + sorted(p.glob("*.j2")) if p.is_dir() else []
        stamp.append((d, tuple((f.name, f.stat().st_mtime_ns) for f in files)))
    return tuple(stamp)


def catalog(dirs: tuple[str, ...] = ()) -> Catalog:
    """The built-in templates plus those of the user directories; a user template with the name of one
    already loaded replaces it (recorded in `overrides`, logged); one that fails the load check is skipped
    and listed in `skipped` (the others still load). A directory that does not exist is a TemplateError."""
    for d in dirs:
        if not Path(d).is_dir():
            raise TemplateError(f"templates directory {d!r} does not exist")
    return _catalog(tuple(dirs), _dir_stamp(tuple(dirs)))


@functools.lru_cache(maxsize=8)
def _catalog(dirs: tuple[str, ...], stamp: tuple) -> Catalog:
    out = dict(load_templates())
    skipped = []
    for d in dirs:
        source = str(Path(d).resolve())
        for path in sorted(Path(d).glob("*.yaml")):
            try:
                tpl = read_template(path, source)
            except TemplateError as exc:
                skipped.append((str(path), str(exc)))
                log.warning("user contract template skipped: %s", exc)
                continue
            if tpl.name in out:
                tpl.overrides = out[tpl.name].source
                log.warning("user contract template %s (%s) replaces the one from %s", tpl.name, path,
                            tpl.overrides)
            out[tpl.name] = tpl
    return Catalog(dirs, out, tuple(skipped))


def get_template(name: str, dirs: tuple[str, ...] = ()) -> Template:
    """A template by name or Chinese title (买卖合同); UnknownTemplate lists the names."""
    templates = catalog(dirs).templates
    key = (name or "").strip()
    if key in templates:
        return templates[key]
    for t in templates.values():
        if key and key in (t.title, t.title.removesuffix("合同"), t.title.removesuffix("协议")):
            return t
    raise UnknownTemplate(key, list(templates))
