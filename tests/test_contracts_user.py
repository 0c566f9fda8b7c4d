"""User templates as data: a directory made here (LAWGLM_TEMPLATES_DIR / --templates-dir / the setting),
loaded
beside the built-in ones, overriding by name with a note, listed with their source, drafted with extraction,
legal warnings, 大写 and DOCX and no code change; `contract check` reports each kind of problem on one
line."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lawglm.cli import cli
from lawglm.contracts import UnknownTemplate, draft, get_schema, list_templates, to_docx
from lawglm.contracts.check import check_template
from lawglm.contracts.schema import load_templates
from lawglm.settings import Settings

# the README's example, written out: a 仓储合同 with a rate × quantity amount, Jinja in a file beside the YAML
# and a legal check of its own
STORAGE = {
    "name": "storage",
    "title": "仓储合同",
    "description": "保管人储存存货人交付的仓储物，存货人支付仓储费。",
    "strong_keywords": ["仓储合同", "仓储协议"],
    "keywords": ["仓储", "仓库", "存货人", "保管人", "仓储费", "入库"],
    "self_party": "party_a",
    "relations": [{"between": "委托|交给|存放在|存到", "first": "party_a", "second": "party_b"}],
    "fields": {
        "party_a": {
            "type": "party",
            "role": "甲方",
            "title": "存货人",
            "label": "甲方（存货人）",
            "required": True,
            "aliases": ["存货人", "存货方"],
        },
        "party_b": {
            "type": "party",
            "role": "乙方",
            "title": "保管人",
            "label": "乙方（保管人）",
            "required": True,
            "aliases": ["保管人", "仓储方"],
        },
        "goods": {
            "type": "text",
            "label": "仓储物",
            "required": True,
            "cues": ["仓储物为", "仓储物", "储存"],
        },
        "weight": {
            "type": "number",
            "label": "仓储物重量",
            "unit": "吨",
            "cues": ["重量", "总重", "共计", "共"],
        },
        "fee_rate": {"type": "rate", "label": "仓储费单价", "per": ["吨"], "cues": ["仓储费", "保管费"]},
        "monthly_fee": {
            "type": "money",
            "label": "每月仓储费",
            "product_of": ["fee_rate", "weight"],
            "cues": ["每月仓储费", "月仓储费"],
        },
        "term_months": {
            "type": "integer",
            "label": "储存期限",
            "unit": "个月",
            "minimum": 1,
            "cues": ["储存期限", "仓储期限", "存放期限", "期限", "存放"],
        },
        "dispute": {"type": "dispute", "label": "争议解决方式"},
    },
    "legal": [
        {
            "check": "if_missing",
            "field": "term_months",
            "law": "民法典",
            "article": 914,
            "contains": "没有约定",
        }
    ],
    "clauses": [
        {
            "title": "仓储物与仓储费",
            "refs": ["民法典 904", "民法典 908"],
            "text": "（一）甲方交付乙方储存的仓储物为：{{ f.goods }}，重量{{ f.weight }}吨。\n"
            "（二）仓储费为{{ f.fee_rate }}，每月合计人民币{{ f.monthly_fee }}元（大写：{{ cn.monthly_fee "
            "}}）。\n",
        },
        {"title": "储存期限", "refs": ["民法典 914", "民法典 915"], "file": "storage_term.md.j2"},
        {"title": "争议解决", "refs": ["民事诉讼法 35", "仲裁法 27"], "text": "{{ m.dispute(f.dispute) }}\n"},
    ],
}
TERM_J2 = (
    "{% if has.term_months %}储存期限为{{ f.term_months }}个月，自仓储物入库之日起计算。{% else %}储存期限："
    "{{ SHORT }}个月。{% endif %}期限届满，甲方应凭仓单、入库单提取仓储物。\n"
)
STORE = ("我们公司（天津港成物流贸易有限公司）把钢材存放在天津滨海仓储有限公司，仓储物为钢材，共30吨，"
    "仓储费每吨每月20元。")


def write(folder: Path, data: dict, name: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name or data['name']}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def firm(tmp_path) -> Path:
    """A firm's directory: the storage template (with its Jinja file) and its own 保密协议 replacing the
    built-in."""
    folder = tmp_path / "firm"
    write(folder, STORAGE)
    (folder / "storage_term.md.j2").write_text(TERM_J2, encoding="utf-8")
    nda = yaml.safe_load((Path(load_templates()["nda"].directory) / "nda.yaml").read_text(encoding="utf-8"))
    nda["title"] = "保密协议（本所版）"
    write(folder, nda)
    return folder


def test_user_templates_load_beside_the_built_in_ones_and_override_by_name(firm, monkeypatch):
    s = Settings(templates_dir=str(firm))
    rows = {r["name"]: r for r in list_templates(s)}
    built_in = set(load_templates())
    assert built_in <= set(rows) and "storage" in rows and "storage" not in built_in
    assert rows["storage"]["source"] == str(firm.resolve())
    assert rows["nda"]["source"] == str(firm.resolve()) and rows["nda"]["overrides"] == "built-in"
    assert all(rows[n]["source"] == "built-in" for n in built_in - {"nda"})
    assert get_schema("仓储合同", s)["properties"]["fee_rate"]["type"] == "rate"
    assert draft("nda", settings=s).title == "保密协议（本所版）"
    with pytest.raises(UnknownTemplate):
        get_schema("storage")  # without the directory it is not there
    monkeypatch.setenv("LAWGLM_TEMPLATES_DIR", os.pathsep.join([str(firm), str(firm.parent / "empty")]))
    (firm.parent / "empty").mkdir()
    assert "storage" in {r["name"] for r in list_templates()}


def test_a_user_template_drafts_with_no_code_change(firm, corpus):
    d = draft(request=STORE, settings=Settings(templates_dir=str(firm)), corpus=corpus)
    assert d.template == "storage" and d.title == "仓储合同"
    f = d.fields
    assert (f["party_a"]["name"], f["party_b"]["name"], f["goods"], f["weight"]) == \
        ("天津港成物流贸易有限公司", "天津滨海仓储有限公司", "钢材", "30")
    assert f["fee_rate"] == "20元/吨" and f["monthly_fee"] == "600"  # rate × quantity, declared in the YAML
    assert "每月合计人民币600.00元（大写：人民币陆佰元整）" in d.markdown
    assert "期限届满，甲方应凭仓单" in d.markdown  # the Jinja file beside the YAML
    [w] = d.warnings  # the template's own legal check: no term, 民法典 第九百一十四条 quoted from the corpus
    assert "第九百一十四条" in w and "没有约定" in w and "现行有效" in w
    assert "第九百零四条" in d.markdown  # the appendix of verified references
    from docx import Document

    doc = Document(io.BytesIO(to_docx(d)))
    assert "人民币陆佰元整" in "\n".join(p.text for p in doc.paragraphs)
    d = draft(request=STORE + "存放期限6个月。", settings=Settings(templates_dir=str(firm)), corpus=corpus)
    assert d.fields["term_months"] == 6 and d.warnings == []


def test_listing_on_the_command_line(firm):
    r = CliRunner().invoke(cli, ["contract", "templates", "--templates-dir", str(firm)])
    assert r.exit_code == 0, r.output
    lines = {ln.split()[0]: ln for ln in r.output.splitlines() if ln.strip()}
    assert "built-in" in lines["sale"] and str(firm.resolve()) in lines["storage"]
    assert "replaces the built-in one" in lines["nda"]


def test_a_broken_user_template_is_left_out_and_said(firm):
    write(firm, {**STORAGE, "name": "broken", "fields": {"x": {"type": "blob"}}})
    s = Settings(templates_dir=str(firm))
    assert "broken" not in {r["name"] for r in list_templates(s)} and "storage" in {
        r["name"] for r in list_templates(s)
    }
    r = CliRunner().invoke(cli, ["contract", "templates", "--templates-dir", str(firm)])
    assert r.exit_code == 0 and "not loaded" in r.output and "fields.x.type" in r.output


# --- contract check: one case per kind of problem -------------------------------------------------------
def broken(tmp_path, **changes) -> Path:
    data = {**STORAGE, **changes}
    folder = tmp_path / "check"
    (folder).mkdir(exist_ok=True)
    (folder / "storage_term.md.j2").write_text(TERM_J2, encoding="utf-8")
    return write(folder, data)


def clause(text: str, refs=()) -> list[dict]:
    return [{"title": "条款", "text": text, "refs": list(refs)}]


@pytest.mark.parametrize(
    "changes, where, words",
    [
        (
            {"fields": {**STORAGE["fields"], "weight": {"type": "weight", "label": "重量"}}},
            "fields.weight.type",
            "type",
        ),
        (
            {"fields": {**STORAGE["fields"], "goods": {"type": "text", "label": "仓储物", "colour": "红"}}},
            "fields.goods.colour",
            "unknown key",
        ),
        (
            {
                "fields": {
                    **STORAGE["fields"],
                    "monthly_fee": {"type": "money", "label": "月费", "product_of": ["goods", "weight"]},
                }
            },
            "fields.monthly_fee.product_of",
            "not a rate field",
        ),
        (
            {
                "legal": [
                    {
                        "check": "if_missing",
                        "field": "nosuch",
                        "law": "民法典",
                        "article": 914,
                        "contains": "约定",
                    }
                ]
            },
            "legal[0].field",
            "not a field",
        ),
        ({"clauses": clause("仓储费{{ f.fee }}元")}, "clauses[0].text", "no field 'fee'"),
        ({"clauses": clause("{{ cn.goods }}")}, "clauses[0].text", "text field"),
        ({"clauses": clause("{{ price }}")}, "clauses[0].text", "'price'"),
        ({"clauses": clause("{% if f.goods %}没有结束")}, "clauses[0].text", "does not compile"),
        ({"clauses": clause("{{ f.goods }}", ["民法典 2000"])}, "clauses[0].refs[0]", "not in the corpus"),
        ({"clauses": clause("{{ f.goods }}", ["合同法 52"])}, "clauses[0].refs[0]", "not in the corpus"),
        ({"clauses": clause("{{ f.goods }}", ["乡镇企业法 1"])}, "clauses[0].refs[0]", "not in force"),
        ({"strong_keywords": ["仓储合同", "买卖合同"]}, "strong_keywords[1]", "sale"),
        ({"keywords": ["仓储", "出借人"]}, "keywords[1]", "loan"),
    ],
)
def test_check_reports_each_problem_naming_the_field(tmp_path, corpus, changes, where, words):
    problems = check_template(broken(tmp_path, **changes), (), corpus)
    assert any(w == where and words in m for w, m in problems), problems


def test_check_on_the_command_line(tmp_path):
    ok = broken(tmp_path)
    r = CliRunner().invoke(cli, ["contract", "check", str(ok)])
    assert r.exit_code == 0, r.output
    bad = broken(tmp_path, clauses=clause("{{ f.fee }}{{ f.nosuch }}", ["民法典 2000"]))
    r = CliRunner().invoke(cli, ["contract", "check", str(bad)])
    lines = r.stdout.strip().splitlines()
    assert r.exit_code == 1 and len(lines) == 2 and all(ln.startswith("clauses[0].text: ") for ln in lines)
    bad.write_text("name: [unclosed", encoding="utf-8")
    r = CliRunner().invoke(cli, ["contract", "check", str(bad)])
    assert (
        r.exit_code == 1
        and r.stdout.startswith("template: not valid YAML")
        and len(r.stdout.splitlines()) == 1
    )


def test_built_in_templates_pass_the_check(corpus):
    for name, tpl in load_templates().items():
        assert check_template(tpl.directory / f"{name}.yaml", (), corpus) == [], name


# --- the server with a user directory: no 5xx, a 422 only for what the caller passed ----------------------
@pytest.fixture
def firm_client(make_client, retrieval_assistant, firm):
    return make_client(retrieval_assistant, templates_dir=str(firm))


def test_server_lists_and_drafts_user_templates(firm_client):
    names = {t["name"]: t for t in firm_client.get("/v1/contracts").json()["templates"]}
    assert names["storage"]["source"] != "built-in" and names["nda"]["overrides"] == "built-in"
    assert firm_client.get("/v1/contracts/storage").json()["properties"]["monthly_fee"]["product_of"] == \
        ["fee_rate", "weight"]
    d = firm_client.post("/v1/contracts/draft", json={"request": STORE}).json()
    assert d["template"] == "storage" and d["fields"]["monthly_fee"] == "600"
    r = firm_client.post(
        "/v1/contracts/draft", json={"template": "storage", "fields": {"fee_rate": "20元/月"}}
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "fee_rate"
    r = firm_client.post(
        "/v1/contracts/draft?format=docx",
        json={"template": "storage", "fields": {"fee_rate": "每吨20元", "weight": 5}},
    )
    assert r.status_code == 200 and r.content[:2] == b"PK"


TOKENS = [
    "仓储合同",
    "存放在",
    "我们公司（",
    "）",
    "有限公司",
    "仓储有限公司",
    "钢材",
    "仓储物为",
    "共",
    "30",
    "吨",
    "公斤",
    "仓储费",
    "每吨",
    "每月",
    "20",
    "元",
    "/",
    "存放期限",
    "6个月",
    "半年",
    "一",
    "万",
    "，",
    "。",
    "：",
    " ",
    "每",
    "仲裁",
    "人民法院",
    "保密协议",
    "2026年1月1日",
    "%",
    "百分之",
]


@given(st.lists(st.sampled_from(TOKENS), min_size=1, max_size=30).map("".join))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_fuzz_user_template_never_a_5xx(firm_client, text):
    for body in ({"request": text}, {"template": "storage", "request": text}):
        r = firm_client.post("/v1/contracts/draft", json=body)
        assert r.status_code in (200, 422), r.text
        if r.status_code == 422:
            assert [e["loc"][-1] for e in r.json()["detail"]] == ["request"], r.text


def test_a_name_shaped_field_holds_the_name_only_and_is_no_party(tmp_path, corpus):
    """`shape: name` in a user template: 货主为X takes X alone (not the rest of the clause) and X is not taken
    for a party, although it is a name like theirs."""
    data = {**STORAGE, "fields": {**STORAGE["fields"], "owner": {
        "type": "text", "label": "货物所有人", "shape": "name", "cues": ["货主为", "货主", "货物所有人"]}}}
    folder = tmp_path / "named"
    write(folder, data)
    (folder / "storage_term.md.j2").write_text(TERM_J2, encoding="utf-8")
    request = ("仓储合同：存货人王建国，货主为上海宏达钢铁贸易有限公司，保管人天津滨海仓储有限公司，"
        "仓储物为钢材，共30吨。")
    d = draft(request=request, settings=Settings(templates_dir=str(folder)), corpus=corpus)
    f = d.fields
    assert f["owner"] == "上海宏达钢铁贸易有限公司"
    assert (f["party_a"]["name"], f["party_b"]["name"]) == ("王建国", "天津滨海仓储有限公司")
    d = draft(request="仓储合同：货主为我弟弟刘洋，保管人天津滨海仓储有限公司。",
              settings=Settings(templates_dir=str(folder)), corpus=corpus)
    assert d.fields["owner"] == "刘洋" and d.fields["party_b"]["name"] == "天津滨海仓储有限公司"
    assert "刘洋" not in str(d.fields.get("party_a"))
    bad = {**data, "fields": {**data["fields"], "weight": {**data["fields"]["weight"], "shape": "name"}}}
    assert any(p.startswith("fields.weight.shape") for p in
               (f"{a}: {b}" for a, b in check_template(write(tmp_path / "bad", bad), corpus)))


FIELD_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**12)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
    | st.sampled_from(["20元/吨", "每吨20元", "30", "三十吨", "6个月", "2026-01-01", "仲裁", "钢材"]),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["name", "method", "court", "x"]), inner, max_size=3)
    ),
    max_leaves=6,
)


@given(
    st.dictionaries(st.sampled_from([*STORAGE["fields"], "nope", "party_a.name"]), FIELD_VALUES, max_size=5),
    st.sampled_from([None, "", "仓储合同，仓储费每吨每月20元，共30吨。", STORE]),
)
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_fuzz_user_template_fields_a_422_names_only_what_was_passed(firm_client, fields, request):
    """Any fields (and request) against a user template: never a 5xx; a 422 names only a field that was
    passed."""
    body = {"template": "storage", "fields": fields, **({"request": request} if request is not None else {})}
    r = firm_client.post("/v1/contracts/draft", json=body)
    assert r.status_code in (200, 422), r.text
    if r.status_code == 422:
        j = r.json()
        named = [e["field"] for e in j.get("errors", [])] or \
            [e["msg"].split(":")[0] if e["loc"][1:2] == ["fields"] else str(e["loc"][-1])
             for e in j["detail"]]  # a body check on fields names the field first: "party_a: contains …"
        passed = [*fields, "request"]
        assert named and all(
            any(n == k or n.startswith((k + ".", k + "[")) for k in passed) for n in named
        ), r.text
        if "request" in named:
            assert request is not None
