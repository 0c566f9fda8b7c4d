"""Contract templates as data: loading the YAML files and describing their fields.

Owns `Template` / `FieldSpec` / `Clause` / `Ref`, the loader of
`lawglm/contracts/templates/*.yaml` (checked on load: known field types, parsable
statute references, Jinja that compiles) and the JSON-schema-like description
that `get_schema` returns.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..numerals import parse_article_no
from .errors import TemplateError, UnknownTemplate

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
FIELD_TYPES = ("party", "text", "money", "number", "integer", "percent", "date", "choice",
               "items", "schedule", "dispute")
JSON_TYPES = {"party": "object", "text": "string", "money": "number|string", "number": "number|string",
              "integer": "integer", "percent": "number", "date": "string", "choice": "string",
              "items": "array", "schedule": "array", "dispute": "object"}
PARTY_KEYS = {"name": "名称/姓名", "kind": "主体类型（organization 法人或其他组织 / person 自然人）",
              "credit_code": "统一社会信用代码", "legal_representative": "法定代表人",
              "address": "注册地址/住所", "agent": "授权代表", "phone": "联系方式", "id_number": "身份证号码"}
ITEM_KEYS = {"name": "名称", "spec": "规格型号", "unit": "单位", "quantity": "数量", "unit_price": "单价（元）"}
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
    after: list[str] = field(default_factory=list)  # party: words right after a name that give its role (X向我借)
    before: list[str] = field(default_factory=list)  # party: words right before a name that give its role (借到X)
    avoid: list[str] = field(default_factory=list)  # cue extraction skips clauses with these words
    priced: bool = True  # items: with unit price and subtotal
    base: str = ""  # schedule: the money/items field whose amount it splits
    finder: str = ""  # text: a special extractor (court | commission)
    monthly_cues: list[str] = field(default_factory=list)  # percent: cues that give a month rate (×12)
    zero_words: list[str] = field(default_factory=list)  # words that state the value is zero (不要利息)
    divide: dict[str, int] = field(default_factory=dict)  # money: cue -> divisor (年租金: 12 for a month rent)
    multiple_of: str = ""  # money: 押二 / 两个月租金 -> that many times this money field
    from_title: bool = False  # text: the job title written before a person's name (招聘快递员何军)
    keep_cues: list[str] = field(default_factory=list)  # text: cue words that are part of the value (办理…)
    shape: str = ""  # text: "address" — trimmed to the street address; a required one is also found without a cue
    stop_cues: list[str] = field(default_factory=list)  # text: other text fields' cues (set on load, not in YAML)
    percent_of: str = ""  # money: 按80%发 -> that percentage of this money field (试用期工资 of 月工资)

    def schema(self) -> dict:
        """JSON-schema-like description: type, label, required, choices, description."""
        out: dict[str, Any] = {"type": self.type, "json_type": JSON_TYPES[self.type], "label": self.label,
                               "required": self.required, "description": self.description}
        if self.choices:
            out["choices"] = list(self.choices)
        for key in ("unit", "role", "title"):
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
    self_rules: list[dict] = field(default_factory=list)  # [{when: [向我借], party: party_a}] before self_party
    checks: list[dict] = field(default_factory=list)
    relations: list[dict] = field(default_factory=list)  # [{between: 借给, first: party_a, second: party_b, after: …}]
    path: str = ""

    def person_anchors(self) -> list[str]:
        """Plain words of the relations' `between` patterns: a person may be named right after them."""
        words = []
        for rel in self.relations:
            words += [w for w in re.split(r"[|()?:]", rel["between"]) if w and re.fullmatch(r"[\u4e00-\u9fff]+", w)]
        return words

    def refs(self) -> list[Ref]:
        seen: dict[tuple, Ref] = {}
        for c in self.clauses:
            for r in c.refs:
                seen.setdefault((r.law, r.number), r)
        return list(seen.values())

    def summary(self) -> dict:
        return {"name": self.name, "title": self.title, "description": self.description,
                "fields": len(self.fields)}

    def schema(self) -> dict:
        return {"name": self.name, "title": self.title, "description": self.description,
                "type": "object", "additionalProperties": False,
                "required": [n for n, f in self.fields.items() if f.required],
                "properties": {n: f.schema() for n, f in self.fields.items()},
                "references": [{"law": r.law, "article": r.article} for r in self.refs()]}


# --- loading -----------------------------------------------------------------------------
def _field(name: str, raw: dict, where: str) -> FieldSpec:
    if not isinstance(raw, dict) or raw.get("type") not in FIELD_TYPES:
        raise TemplateError(f"{where}: field {name!r} needs a type, one of {', '.join(FIELD_TYPES)}")
    known = set(FieldSpec.__dataclass_fields__) - {"name"}
    extra = set(raw) - known
    if extra:
        raise TemplateError(f"{where}: field {name!r} has unknown keys {sorted(extra)}")
    spec = FieldSpec(name=name, **raw)
    if spec.type == "choice" and not spec.choices:
        raise TemplateError(f"{where}: choice field {name!r} has no choices")
    if spec.type == "party" and (not spec.role or spec.kind not in ("organization", "person", "any")):
        raise TemplateError(f"{where}: party field {name!r} needs a role and kind organization|person|any")
    return spec


def _refs(raw: list, where: str) -> list[Ref]:
    out = []
    for item in raw or []:
        law, _, article = str(item).strip().partition(" ")
        ref = Ref(law=law, article=article.strip())
        try:
            ref.number  # noqa: B018 - parse now so a typo fails at load time
        except ValueError as exc:
            raise TemplateError(f"{where}: bad statute reference {item!r}: {exc}") from None
        out.append(ref)
    return out


_FOLD_SPACE = re.compile(r"(?<=[\u3000-\u9fff\uff00-\uffef])[ \t]+(?=[\u3000-\u9fff\uff00-\uffef])")


def cjk_join(text: str | None) -> str:
    """YAML folding puts a space where a Chinese line was wrapped: take it out again."""
    return _FOLD_SPACE.sub("", (text or "").strip())


def parse_template(data: dict, path: str = "") -> Template:
    """Build a Template from the YAML mapping (raises TemplateError naming the file)."""
    where = path or data.get("name", "template")
    for key in ("name", "title", "description", "fields", "clauses"):
        if not data.get(key):
            raise TemplateError(f"{where}: missing {key!r}")
    fields = {n: _field(n, raw, where) for n, raw in data["fields"].items()}
    clauses = [Clause(title=c["title"], text=c["text"], refs=_refs(c.get("refs"), where))
               for c in data["clauses"]]
    for who in [data.get("self_party"), data.get("source_party")] + [r.get("party") for r in data.get("self_rules", [])]:
        if who and (who not in fields or fields[who].type != "party"):
            raise TemplateError(f"{where}: {who!r} is not a party field")
    for rel in data.get("relations", []):
        if {rel.get("first"), rel.get("second")} - {n for n, f in fields.items() if f.type == "party"} \
                or not rel.get("between"):
            raise TemplateError(f"{where}: relation {rel!r} needs between, first and second party fields")
    for f in fields.values():
        if f.type == "text" and not f.stop_cues:
            f.stop_cues = sorted({c for g in fields.values() if g.type == "text" and g is not f for c in g.cues
                                  if not c.startswith("re:")} - set(f.cues), key=len, reverse=True)
        if f.type == "schedule" and f.base and f.base not in fields:
            raise TemplateError(f"{where}: schedule {f.name!r} splits unknown field {f.base!r}")
    return Template(name=data["name"], title=data["title"], description=cjk_join(data["description"]),
                    fields=fields, clauses=clauses, keywords=list(data.get("keywords", [])),
                    strong_keywords=list(data.get("strong_keywords", [])),
                    recitals=cjk_join(data.get("recitals", "")), preamble=cjk_join(data.get("preamble", "")),
                    source_party=data.get("source_party", "") or "", self_party=data.get("self_party", "") or "",
                    self_rules=list(data.get("self_rules", [])), checks=list(data.get("checks", [])),
                    relations=list(data.get("relations", [])), path=path)


@functools.lru_cache(maxsize=4)
def load_templates(directory: str = str(TEMPLATES_DIR)) -> dict[str, Template]:
    """Every template in the directory, by name (files starting with _ are shared Jinja)."""
    out: dict[str, Template] = {}
    for path in sorted(Path(directory).glob("*.yaml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise TemplateError(f"{path.name}: not valid YAML: {exc}") from None
        tpl = parse_template(data, path.name)
        if tpl.name in out:
            raise TemplateError(f"{path.name}: duplicate template name {tpl.name!r}")
        out[tpl.name] = tpl
    if not out:
        raise TemplateError(f"no contract templates in {directory}")
    return out


def get_template(name: str) -> Template:
    """A template by name or Chinese title (买卖合同); UnknownTemplate lists the names."""
    templates = load_templates()
    key = (name or "").strip()
    if key in templates:
        return templates[key]
    for t in templates.values():
        if key and key in (t.title, t.title.removesuffix("合同"), t.title.removesuffix("协议")):
            return t
    raise UnknownTemplate(key, list(templates))
