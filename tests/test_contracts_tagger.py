"""The trained field tagger: requests synthesised from the schemas, a tiny CRF trained here on them, values
parsed
from its spans, the hybrid rule (a model value only fills a field the rules left empty, from words no other
field
used), the extractor setting and the CLI flag."""

from __future__ import annotations

import json
import random

import pytest
from click.testing import CliRunner

from lawglm.cli import cli
from lawglm.contracts import draft
from lawglm.contracts.extract import rule_extract
from lawglm.contracts.schema import get_template
from lawglm.contracts.synth import synthesize
from lawglm.contracts.tagger import bio, model_extract, train, with_model
from lawglm.settings import get_settings

pytest.importorskip("pycrfsuite")


@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory):
    out = tmp_path_factory.mktemp("taggers")
    train(out, per_template=400, seed=1, names=["loan"], max_iterations=60, log=lambda *_: None)
    return out


def test_synthesised_requests_label_the_values_they_state():
    tpl = get_template("loan")
    rng = random.Random(7)
    for _ in range(50):
        s = synthesize(tpl, rng)
        assert s.template == "loan" and s.spans
        for start, end, label in s.spans:
            assert 0 <= start < end <= len(s.text)
            assert label.split(".")[0] in tpl.fields
        tags = bio(s.text, s.spans)
        assert len(tags) == len(s.text) and tags.count("O") < len(tags)


def test_tiny_tagger_reads_values_through_the_rule_parsers(tiny_models):
    tpl = get_template("loan")
    found = model_extract(
        tpl, "借款合同：出借人：赵建国；借款人：王小明；借款本金为3万元；年利率6%；借期12个月。", tiny_models
    )
    values = {k: v for k, (v, _) in found.items()}
    assert values["party_a"] == {"name": "赵建国"} and values["party_b"] == {"name": "王小明"}
    assert values["principal"] == "30000" and values["annual_rate"] == "6" and values["term_months"] == "12"


def test_hybrid_only_fills_what_the_rules_left_empty(tiny_models):
    tpl = get_template("loan")
    text = "出借人：赵建国；借款人：王小明；借款本金为3万元；年利率6%；借期12个月；担保人陈立新。"
    rules = rule_extract(tpl, text)
    before = dict(rules.values)
    used = [sp for n, sps in rules.evidence.items() if n in rules.values or n == "_parties" for sp in sps]
    found = model_extract(tpl, text, tiny_models)
    ex, notes = with_model(tpl, rule_extract(tpl, text), "hybrid", tiny_models)
    assert notes == []
    for name, value in before.items():
        assert ex.values[name] == value  # a rule value is never replaced
    for name in set(ex.values) - set(before):
        assert ex.values[name] == found[name][0]
        assert not any(s < d and c < e for s, e in ex.evidence[name] for c, d in used)


def test_without_a_model_the_rules_stand_and_the_notes_say_so(tmp_path):
    tpl = get_template("loan")
    ex = rule_extract(tpl, "张伟借给刘强人民币五万元。")
    out, notes = with_model(tpl, ex, "model", tmp_path)
    assert out is ex and "no trained field tagger for loan" in notes[0]


def test_extractor_setting_and_unknown_values(corpus):
    assert get_settings(contract_extractor="hybrid").contract_extractor == "hybrid"
    with pytest.raises(ValueError):
        get_settings(contract_extractor="magic")
    with pytest.raises(ValueError, match="unknown contract extractor"):
        draft(request="张伟借给刘强人民币五万元。", corpus=corpus, extractor="magic")


def test_cli_extractor_flag(corpus, monkeypatch):
    runner = CliRunner()
    request = "张伟借给刘强人民币五万元，年利率6%，一年后还。"
    res = runner.invoke(
        cli, ["contract", "draft", "--extractor", "rules", "--request", request, "--json", "--no-basis"]
    )
    assert res.exit_code == 0, res.output
    fields = json.loads(res.stdout)["fields"]
    assert (
        fields["principal"] == "50000" and fields["party_b"]["name"] == "刘强" and fields["term_months"] == 12
    )
    res = runner.invoke(cli, ["contract", "draft", "--extractor", "magic", "--request", request])
    assert res.exit_code != 0 and "magic" in res.output
