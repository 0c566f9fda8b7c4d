"""ChatGLM2/3's SentencePiece `tokenizer.model` as a fast tokenizer with a chat template, no remote code.

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
"""

from __future__ import annotations

import json
from pathlib import Path

from .errors import ModelError

SEGMENT = "\ue000"
SPIECE = "\u2581"
BASE_SPECIALS = ["[MASK]", "[gMASK]", "[sMASK]", "<sop>", "<eop>"]
ROLE_SPECIALS = ["<|system|>", "<|user|>", "<|assistant|>", "<|observation|>"]
FORMATS = ("chatglm2", "chatglm3")
# piece types of sentencepiece's ModelProto.SentencePiece.Type
NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE = 1, 2, 3, 4, 5, 6

CHATGLM3_TEMPLATE = (
    "[gMASK]<sop>{% for m in messages %}"
    "{% set role = 'observation' if m['role'] in ('tool', 'observation') else m['role'] %}"
    "<|{{ role }}|>{{ m.get('metadata', '') }}\n"
    "{% if m['content'] %}" + SEGMENT + "{{ m['content'] | replace('" + SEGMENT + "', '') }}{% endif %}"
    "{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}")
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


def convert_tokenizer(src: Path, out: Path, chat_format: str | None = None) -> dict:
    """Write tokenizer.json + tokenizer_config.json (with the chat template) for SRC's tokenizer.model.
    Returns {"format", "eos_token_id": [...], "pad_token_id"} for the model's generation config."""
    from transformers import PreTrainedTokenizerFast

    fmt = chat_format or detect_format(src)
    if fmt not in FORMATS:
        raise ModelError(f"chat_format: must be one of {', '.join(FORMATS)}, got {fmt!r}")
    model_file = src / "tokenizer.model"
    if not model_file.is_file():
        raise ModelError(f"tokenizer: {src} has no tokenizer.model")
    proto = load_proto(model_file)
    specials = BASE_SPECIALS + (ROLE_SPECIALS if fmt == "chatglm3" else [])
    backend = build_backend(proto, specials)
    pieces = {p.piece: i for i, p in enumerate(proto.pieces)}
    eos = proto.trainer_spec.eos_piece if proto.trainer_spec.eos_piece in pieces else "</s>"
    pad = proto.trainer_spec.unk_piece if proto.trainer_spec.unk_piece in pieces else "<unk>"
    fast = PreTrainedTokenizerFast(
        tokenizer_object=backend, eos_token=eos, pad_token=pad, unk_token=pad, padding_side="left",
        clean_up_tokenization_spaces=False, additional_special_tokens=specials,
        chat_template=CHATGLM3_TEMPLATE if fmt == "chatglm3" else CHATGLM2_TEMPLATE)
    fast.save_pretrained(str(out))
    ends = [pieces[eos]] + ([backend.token_to_id(t) for t in ("<|user|>", "<|observation|>")]
                            if fmt == "chatglm3" else [])
    info = {"format": fmt, "eos_token_id": ends, "pad_token_id": pieces[pad]}
    (out / "lawglm-chat-format.json").write_text(json.dumps(info), encoding="utf-8")
    return info
