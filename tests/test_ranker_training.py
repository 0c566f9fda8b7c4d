"""lawglm.train.ranker.cited_gold: the interpretations and regulations a lawyer's answer cites become extra
gold for training the ranker, on made-up documents."""

from __future__ import annotations

from lawglm.records import Article
from lawglm.statutes.corpus import Corpus
from lawglm.train.ranker import cited_gold

LAW = "中华人民共和国示例借贷法"
INTERP = "最高人民法院关于审理示例借贷案件适用法律若干问题的规定"
REG = "示例借贷管理条例"


def _doc(name: str, level: str, texts: dict[int, str], status: str = "现行有效",
         version: str = "2021-01-01") -> list[Article]:
    return [Article(law=name, article_no=i, text=t, law_id=f"{name}@{version}", status=status, level=level,
                    version_date=version) for i, t in texts.items()]


def _corpus() -> Corpus:
    return Corpus(
        _doc(LAW, "法律", {1: "借款合同应当采用书面形式，但是自然人之间借款另有约定的除外。"})
        + _doc(INTERP, "司法解释", {
            1: "出借人请求借款人按照合同约定利率支付利息的，人民法院应予支持，"
               "但是双方约定的利率超过合同成立时一年期贷款市场报价利率四倍的除外。",
            2: "借贷双方对逾期利率有约定的，从其约定，但是以不超过合同成立时一年期贷款市场报价利率四倍为限。",
        })
        + _doc(INTERP, "司法解释", {3: "借贷双方没有约定利息，出借人主张支付利息的，人民法院不予支持。"},
               status="历史版本", version="2015-08-06")
        + _doc(REG, "行政法规", {5: "放贷机构应当在营业场所公示贷款利率和收费项目。"}),
        source="made-up",
    )


def test_cited_interpretations_the_answer_bears_out_become_gold():
    corpus = _corpus()
    answer = ("根据规定，双方约定的利率超过合同成立时一年期贷款市场报价利率四倍的，超过部分不受保护；"
              "逾期利率也以四倍为限。")
    rows = cited_gold("借钱约定的利息太高怎么办？", answer,
                      [f"{INTERP}第一条", f"{INTERP}第二条", f"{REG}第五条", f"{LAW}第一条"], corpus, 0.3)
    got = [(corpus.articles[r].law, corpus.articles[r].article_no) for r in rows]
    # the interpretation's two articles the answer quotes; not the regulation article it does not bear out,
    # not the law article (the row's own gold says which law articles apply)
    assert got == [(INTERP, 1), (INTERP, 2)]


def test_a_cited_article_that_is_not_current_or_not_in_the_corpus_is_no_gold():
    corpus = _corpus()
    answer = "借贷双方没有约定利息，出借人主张支付利息的，人民法院不予支持。"
    cited = [f"{INTERP}第三条", f"{INTERP}第九十九条", "某某条例第一条"]
    assert cited_gold("没约定利息能要吗？", answer, cited, corpus, 0.1) == []
    # the same answer with the overlap bar at 0 still names no row: the cited versions are not current
    assert cited_gold("没约定利息能要吗？", answer, [f"{INTERP}第三条"], corpus, 0.0) == []


def _groups(col: int, n: int = 40, seed: int = 0):
    import numpy as np

    from lawglm.search import ranker as rk
    from lawglm.train.ranker import Group

    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        x = rng.standard_normal((12, len(rk.FEATURES))).astype(np.float32)
        y = (x[:, col] == x[:, col].max()).astype(np.float32)  # the gold candidate: the best in one column
        out.append(Group(f"q{i}", np.arange(12), x, y, "train"))
    return out


def test_a_residual_corrects_the_base_features_it_is_told_to():
    import numpy as np

    from lawglm.search import ranker as rk
    from lawglm.train.ranker import fit_residual, ranks

    n, col = len(rk.FEATURES), rk.FEATURES.index("art_len")
    rng = np.random.default_rng(1)
    w_lin = rng.standard_normal(n).astype(np.float32) * 0.1
    w_lin[col] = 0.0  # the base ranker ignores the column that decides
    base = rk.Ranker(rk.FEATURES, np.zeros(n, np.float32), np.full(n, 2.0, np.float32), w_lin, 0.0,
                     np.zeros((n, 2), np.float32), np.zeros(2, np.float32), np.zeros(2, np.float32), 0.0, {})
    train, test = _groups(col), _groups(col, seed=7)
    kept = fit_residual(base, train)  # every feature is the base's: only its scale is fitted
    fixed = fit_residual(base, train, also=("art_len",))
    top1 = lambda r: sum(x == 0 for x in ranks(r, test)) / len(test)
    assert top1(kept) < 0.4 and top1(fixed) > 0.9
    assert fixed.info["residual"]["corrected"] == ["art_len"]
    # the other features keep the base's weights, scaled by the fitted alpha
    alpha = fixed.info["residual"]["alpha"]
    other = [j for j in range(n) if j != col]
    assert np.allclose(fixed.w_lin[other], alpha * base.w_lin[other], atol=1e-3)
