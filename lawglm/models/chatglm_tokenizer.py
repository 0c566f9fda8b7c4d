"""ChatGLM2/3's SentencePiece and GLM-4's tiktoken `tokenizer.model` as fast tokenizers with chat templates,
no remote code.

The ids are ChatGLM's: the SentencePiece pieces first, then the special tokens in THUDM's order
([MASK] [gMASK] [sMASK] sop eop, and for ChatGLM3 <|system|> <|user|> <|assistant|> <|observation|>).
`sop` / `eop` are spelled `<sop>` / `<eop>` here (as GLM-4 spells them) so the English word "sop" in a
question stays text.

Prompts are token-identical to `model.chat()`:
- ChatGLM2: [gMASK] sop + sp("[Round 1]\\n\\n问：q\\n\\n答：a\\n\\n…[Round n]\\n\\n问：query\\n\\n答：");
- ChatGLM3: [gMASK] sop + per message <|role|> sp(metadata + "\\n") sp(content), then <|assistant|>.
ChatGLM3 encodes the "\\n" and the content separately (each with SentencePiece's dummy prefix); the template
puts SEGMENT (a private-use character) between them, which the normaliser turns into a fresh dummy prefix and
the pre-tokeniser removes as a split point, so no merge crosses the boundary.
GLM-4 (tiktoken, ids: ranks then <|endoftext|> [MASK] [gMASK] [sMASK] <sop> <eop> <|system|> …): its chat()
tokenises the rendered template text, [gMASK]<sop><|user|>\\n{content}…<|assistant|>, so this template does
too.
"""

from __future__ import annotations

import json
from pathlib import Path

from lawglm.errors import ModelError

SEGMENT = "\ue000"
SPIECE = "\u2581"
BASE_SPECIALS = ["[MASK]", "[gMASK]", "[sMASK]", "<sop>", "<eop>"]
ROLE_SPECIALS = ["<|system|>", "<|user|>", "<|assistant|>", "<|observation|>"]
FORMATS = ("chatglm2", "chatglm3", "glm4")
# piece types of sentencepiece's ModelProto.SentencePiece.Type
NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE = 1, 2, 3, 4, 5, 6

CHATGLM3_TEMPLATE = (
    "[gMASK]<sop>{% for m in messages %}"
    "{% set role = 'observation' if m['role'] in ('tool', 'observation') else m['role'] %}"
    "{% set content = m['content'] or '' %}"
    "{% if m['role'] == 'system' and m.get('tools') %}{% set content = content + '\n' + (m['tools'] | "
    "tojson(indent=4))"
    " %}{% endif %}"
    "<|{{ role }}|>{{ m.get('metadata', '') }}\n"
    "{% if content %}" + SEGMENT + "{{ content | replace('" + SEGMENT + "', '') }}{% endif %}"
    "{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}"
)
CHATGLM2_TEMPLATE = (
    "[gMASK]<sop>{% set ns = namespace(round=0) %}{% for m in messages %}"
    "{% if m['role'] == 'system' %}{{ m['content'] }}\n\n"
    "{% elif m['role'] == 'user' %}{% set ns.round = ns.round + 1 %}"
    "[Round {{ ns.round }}]\n\n问：{{ m['content'] }}\n\n答："
    "{% else %}{{ m['content'] }}\n\n{% endif %}{% endfor %}")


def load_proto(path: Path):
    from sentencepiece import sentencepiece_model_pb2 as pb

    proto = pb.ModelProto()
    try:
        proto.ParseFromString(path.read_bytes())
    except Exception as exc:  # protobuf's DecodeError
        raise ModelError(f"tokenizer: {path} is not a SentencePiece model ({exc})") from exc
    if not proto.pieces:
        raise ModelError(f"tokenizer: {path} is not a SentencePiece model (no pieces)")
    return proto


def detect_format(src: Path) -> str:
    """chatglm3 when the checkpoint's tokenizer code knows the role tokens, else chatglm2."""
    code = src / "tokenization_chatglm.py"
    text = code.read_text(encoding="utf-8", errors="replace") if code.is_file() else ""
    if "<|observation|>" in text or "chatglm3" in str(src).lower():
        return "chatglm3"
    return "chatglm2"


def _merges(proto) -> list[tuple[str, str]]:
    """BPE merges from piece scores: SentencePiece merges the adjacent pair whose union scores highest."""
    vocab = {p.piece: i for i, p in enumerate(proto.pieces) if p.type in (NORMAL, USER_DEFINED)}
    ranked = sorted((p for p in proto.pieces if p.type == NORMAL and len(p.piece) > 1),
                    key=lambda p: -p.score)
    out = []
    for p in ranked:
        pairs = [(p.piece[:k], p.piece[k:]) for k in range(1, len(p.piece))]
        out.extend(sorted((a, b) for a, b in pairs if a in vocab and b in vocab))
    return out


def _normalizer(spec):
    from tokenizers import Regex, normalizers

    steps = [normalizers.Precompiled(spec.precompiled_charsmap)] if spec.precompiled_charsmap else []
    if spec.remove_extra_whitespaces:
        steps += [normalizers.Strip(left=True, right=True), normalizers.Replace(Regex(" {2,}"), " ")]
    if spec.add_dummy_prefix:
        steps += [normalizers.Prepend(SPIECE), normalizers.Replace(SEGMENT, SEGMENT + SPIECE)]
    steps.append(normalizers.Replace(" ", SPIECE))
    return normalizers.Sequence(steps)


def build_backend(proto, specials: list[str]):
    """A `tokenizers.Tokenizer` equal to SentencePiece BPE on `proto`, with `specials` after its pieces."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers

    if proto.trainer_spec.model_type != 2:  # 1 unigram, 2 bpe
        raise ModelError("tokenizer: ChatGLM's tokenizer.model is a BPE model; this one is not")
    vocab = {p.piece: i for i, p in enumerate(proto.pieces)}
    unk = next((p.piece for p in proto.pieces if p.type == UNKNOWN), None)
    tok = Tokenizer(models.BPE(vocab=vocab, merges=_merges(proto), unk_token=unk, fuse_unk=True,
                               byte_fallback=proto.trainer_spec.byte_fallback))
    tok.normalizer = _normalizer(proto.normalizer_spec)
    tok.pre_tokenizer = pre_tokenizers.Split(SEGMENT, behavior="removed")
    steps = [decoders.Replace(SPIECE, " "), decoders.ByteFallback(), decoders.Fuse()]
    if proto.normalizer_spec.add_dummy_prefix:
        steps.append(decoders.Strip(" ", 1, 0))
    tok.decoder = decoders.Sequence(steps)
    user = [p.piece for p in proto.pieces if p.type == USER_DEFINED]
    if user:
        tok.add_tokens([AddedToken(u, normalized=False) for u in user])
    control = [p.piece for p in proto.pieces if p.type in (CONTROL, UNKNOWN)]
    tok.add_special_tokens([AddedToken(t, normalized=False, special=True) for t in control + specials])
    for offset, name in enumerate(specials):
        if tok.token_to_id(name) != len(proto.pieces) + offset:
            raise ModelError(f"tokenizer: special token {name} did not get ChatGLM's id")
    return tok


# --- GLM-4: a tiktoken vocabulary ------------------------------------------------------------------
GLM4_SPECIALS = ["<|endoftext|>", "[MASK]", "[gMASK]", "[sMASK]", "<sop>", "<eop>", "<|system|>", "<|user|>",
                 "<|assistant|>", "<|observation|>", "<|begin_of_image|>", "<|end_of_image|>",
                 "<|begin_of_video|>", "<|end_of_video|>"]
GLM4_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                r"|\s*[\r\n]+|\s+(?!\S)|\s+")
# GLM-4's chat() renders its template to text and tokenises it (tokenizer.apply_chat_template)
# the tools turn is glm-4-9b-chat's own (its tokenizer_config.json chat template, function tools)
GLM4_TOOLS_HEAD = ("你是一个名为 ChatGLM 的人工智能助手。你是基于智谱AI训练的语言模型 GLM-4 模型开发的，"
                   "你的任务是针对用户的问题和要求提供适当的答复和支持。\n\n# 可用工具")
GLM4_TEMPLATE = (
    "[gMASK]<sop>{% for m in messages %}"
    "{% if m.get('tools') %}<|system|>\n" + GLM4_TOOLS_HEAD + "{% for tool in m['tools'] %}"
    "{% if tool['type'] == 'function' %}\n\n## {{ tool['function']['name'] }}\n\n"
    "{{ tool['function'] | tojson(indent=4) }}\n在调用上述函数时，请使用 Json 格式表示调用的参数。{% endif %}"
    "{% endfor %}{% endif %}"
    "{% set role = 'observation' if m['role'] in ('tool', 'observation') else m['role'] %}"
    "{% if m['content'] %}<|{{ role }}|>{{ m.get('metadata', '') }}\n{{ m['content'] }}{% endif %}"
    "{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}")


def read_tiktoken(path: Path) -> dict[bytes, int] | None:
    """GLM-4's tokenizer.model (`base64-token rank` per line) as {bytes: rank}; None when it is not one."""
    import base64
    import binascii

    ranks = {}
    try:
        for line in path.read_text(encoding="ascii").splitlines():
            token, rank = line.split()
            ranks[base64.b64decode(token, validate=True)] = int(rank)
    except (UnicodeDecodeError, ValueError, binascii.Error):
        return None
    return ranks if sorted(ranks.values()) == list(range(len(ranks))) else None


def build_tiktoken_backend(ranks: dict[bytes, int], specials: list[str]):
    """A byte-level BPE `tokenizers.Tokenizer` equal to tiktoken on `ranks` with GLM-4's split pattern."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, pre_tokenizers
    from transformers.convert_slow_tokenizer import bytes_to_unicode

    table = bytes_to_unicode()
    text = lambda b: "".join(table[x] for x in b)
    merges = []
    for token, rank in ranks.items():
        splits = [(token[:k], token[k:]) for k in range(1, len(token))]
        found = sorted((ranks[a], ranks[b], a, b) for a, b in splits if a in ranks and b in ranks)
        merges += [(rank, text(a), text(b)) for _, _, a, b in found]
    bpe = models.BPE(vocab={text(t): r for t, r in ranks.items()},
                     merges=[(a, b) for _, a, b in sorted(merges, key=lambda m: m[0])], ignore_merges=True)
    tok = Tokenizer(bpe)
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(GLM4_PATTERN), behavior="isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens([AddedToken(t, normalized=False, special=True) for t in specials])
    return tok


def _sentencepiece_spec(model_file: Path, fmt: str) -> dict:
    proto = load_proto(model_file)
    specials = BASE_SPECIALS + (ROLE_SPECIALS if fmt == "chatglm3" else [])
    backend = build_backend(proto, specials)
    pieces = {p.piece: i for i, p in enumerate(proto.pieces)}
    eos = proto.trainer_spec.eos_piece if proto.trainer_spec.eos_piece in pieces else "</s>"
    pad = proto.trainer_spec.unk_piece if proto.trainer_spec.unk_piece in pieces else "<unk>"
    ends = [eos] + (["<|user|>", "<|observation|>"] if fmt == "chatglm3" else [])
    return {"backend": backend, "eos": eos, "pad": pad, "unk": pad, "specials": specials, "ends": ends,
            "template": CHATGLM3_TEMPLATE if fmt == "chatglm3" else CHATGLM2_TEMPLATE}


def _tiktoken_spec(ranks: dict[bytes, int]) -> dict:
    return {"backend": build_tiktoken_backend(ranks, GLM4_SPECIALS), "eos": "<|endoftext|>",
            "pad": "<|endoftext|>", "unk": None, "specials": GLM4_SPECIALS, "template": GLM4_TEMPLATE,
            "ends": ["<|endoftext|>", "<|user|>", "<|observation|>"]}


def convert_tokenizer(src: Path, out: Path, chat_format: str | None = None) -> dict:
    """Write tokenizer.json + tokenizer_config.json (with the chat template) for SRC's tokenizer.model:
    ChatGLM2/3's SentencePiece model or GLM-4's tiktoken vocabulary.
    Returns {"format", "eos_token_id": [...], "pad_token_id"} for the model's generation config."""
    from transformers import PreTrainedTokenizerFast

    model_file = src / "tokenizer.model"
    if not model_file.is_file():
        raise ModelError(f"tokenizer: {src} has no tokenizer.model")
    ranks = read_tiktoken(model_file)
    fmt = chat_format or ("glm4" if ranks is not None else detect_format(src))
    if fmt not in FORMATS or (fmt == "glm4") != (ranks is not None):
        raise ModelError(
            f"chat_format: {fmt!r} does not fit {model_file} (chatglm2 | chatglm3: SentencePiece; "
            "glm4: tiktoken)"
        )
    spec = _tiktoken_spec(ranks) if ranks is not None else _sentencepiece_spec(model_file, fmt)
    backend = spec["backend"]
    fast = PreTrainedTokenizerFast(
        tokenizer_object=backend, eos_token=spec["eos"], pad_token=spec["pad"], unk_token=spec["unk"],
        padding_side="left", clean_up_tokenization_spaces=False, additional_special_tokens=spec["specials"],
        chat_template=spec["template"])
    fast.save_pretrained(str(out))
    info = {"format": fmt, "eos_token_id": [backend.token_to_id(t) for t in spec["ends"]],
            "pad_token_id": backend.token_to_id(spec["pad"])}
    (out / "lawglm-chat-format.json").write_text(json.dumps(info), encoding="utf-8")
    return info
