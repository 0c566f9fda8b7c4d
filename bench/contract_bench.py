"""Contract drafting latency, stage by stage, side by side in one run.

    python3 bench/contract_bench.py [--repeats 30] [--extractor rules,model,hybrid]

For each request below (plain-language), times with time.perf_counter:
  classify      pick the template (keyword scoring)
  extract       rule-based field extraction
  tag           the trained field tagger alone (features + CRF + parsing its spans)
  render        validate fields + render Markdown (no statute lookup)
  draft         the whole public call: classify + extract + validate + verify every statute
                reference against the corpus (already loaded) + render
  docx          to_docx(draft) with python-docx
Reports the median over --repeats runs after one warm-up, and each stage's ratio to `draft`; the
per-text word-boundary cache is cleared before every run, so each run is timed like a new request.
The first draft of the process (cold: loads laws.db, jieba's dictionary, compiles the Jinja templates)
is timed once. Then draft(request=…) over every request of the phrasing sets, once per extractor.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

REQUESTS = {
    "sale": (
        "帮我起草一份家具买卖合同，乙方是北京红源家具有限责任公司，购买的家具分别是红源牌实木餐桌10张，单价3000元；"
        "红源牌实木椅40把，单价800元。总价款分两期支付：合同签订后支付30%，验收合格后支付70%。"
        "乙方应于2026年12月15日前将家具送至甲方指定地点北京市海淀区中关村大街1号。"
        "争议解决方式选择诉讼，管辖法院约定为北京市海淀区人民法院。"
    ),
    "lease": (
        "把位于上海市徐汇区漕溪北路100弄5号1202室的房子出租给李明，建筑面积89.5平方米，用于居住。租期两年，"
        "自2026年1月1日起至2027年12月31日止，月租金6500元，押一付三，押金6500元。出租人是王芳。"
    ),
    "labor": (
        "请起草劳动合同：用人单位是杭州云帆网络科技有限公司，劳动者张伟，担任高级Java开发工程师，"
        "试用期3个月，试用期工资16000元，转正后月工资20000元，每月10日发放工资，实行标准工时制。"
    ),
}


def median_ms(fn, repeats: int) -> float:
    from lawglm.contracts import words

    fn()
    times = []
    for _ in range(repeats):
        words.word_spans.cache_clear()
        words._starts.cache_clear()
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=30)
    ap.add_argument("--extractor", default="rules,model,hybrid", help="comma-separated: rules, model, hybrid")
    args = ap.parse_args()

    from lawglm.contracts import draft, to_docx
    from lawglm.contracts.extract import classify, rule_extract
    from lawglm.contracts.fields import validate
    from lawglm.contracts.render import render_markdown
    from lawglm.contracts.tagger import model_extract

    def validate(tpl, ex, _v=validate):  # rule_extract returns an Extraction; validate its values
        return _v(tpl, ex.values if hasattr(ex, "values") else ex)

    t0 = time.perf_counter()
    draft(request=REQUESTS["sale"], extractor="rules")
    cold = (time.perf_counter() - t0) * 1000
    print(f"# contract drafting, {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs, "
          f"median of {args.repeats} runs after one warm-up; cold first draft {cold:.0f} ms")
    print(f"{'request':<8}{'stage':<11}{'ms':>9}{'x draft':>9}")
    for name, req in REQUESTS.items():
        tpl = classify(req)
        values = validate(tpl, rule_extract(tpl, req))
        d = draft(request=req)
        stages = {
            "classify": lambda req=req: classify(req),
            "extract": lambda tpl=tpl, req=req: rule_extract(tpl, req),
            "tag": lambda tpl=tpl, req=req: model_extract(tpl, req),
            "render": lambda tpl=tpl, req=req: render_markdown(tpl, validate(tpl, rule_extract(tpl, req))),
            "draft": lambda req=req: draft(request=req, extractor="rules"),
            "draft/hyb": lambda req=req: draft(request=req, extractor="hybrid"),
            "docx": lambda d=d: to_docx(d),
        }
        results = {k: median_ms(fn, args.repeats) for k, fn in stages.items()}
        for stage, ms in results.items():
            print(f"{name:<8}{stage:<11}{ms:>9.2f}{ms / results['draft']:>9.2f}")
        assert values and d.markdown
    for how in [x for x in args.extractor.split(",") if x]:
        set_latency(draft, how)


def set_latency(draft, how: str) -> None:
    """draft(request=…) once over every request of the phrasing sets (statute lookup included)."""
    import json
    from pathlib import Path

    base = Path(__file__).parent / "data" / "contract_requests"
    rows = [json.loads(line) for folder in (base, base / "dev2") for p in sorted(folder.glob("*.jsonl"))
            for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]
    times = []
    for r in rows:
        t0 = time.perf_counter()
        try:
            draft(request=r["request"], extractor=how)
        except Exception:  # noqa: BLE001, S110 - a refusal is timed like a draft; nothing to log
            pass
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    print(f"{how:<7} all {len(rows)} set requests: draft() median {times[len(times) // 2]:.2f} ms, "
          f"p95 {times[int(len(times) * 0.95)]:.2f} ms, max {times[-1]:.2f} ms")


if __name__ == "__main__":
    main()
