"""`lawglm convert chatglm` and `lawglm adapters import`: ChatGLM checkpoints and adapters."""

from __future__ import annotations

import click

from lawglm.cli.common import command_group, settings_from


@command_group("convert", "Convert checkpoints to transformers-native layouts.").command("chatglm")
@click.argument("src", type=click.Path(file_okay=False))
@click.argument("out", type=click.Path(file_okay=False))
@click.option("--dtype", default="auto", help="auto (keep the checkpoint's) | float32 | bfloat16 | float16")
@click.option(
    "--chat-format",
    type=click.Choice(["chatglm2", "chatglm3", "glm4"]),
    default=None,
    help="prompt format (default: glm4 for a tiktoken tokenizer.model, else from tokenization_chatglm.py)",
)
@click.option("--overwrite", is_flag=True, help="replace OUT when it is not empty")
def convert_chatglm_cmd(src: str, out: str, dtype: str, chat_format: str | None, overwrite: bool) -> None:
    """ChatGLM2/3-6B or GLM-4-9B-chat (THUDM remote code) in SRC -> a GlmForCausalLM directory OUT."""
    from lawglm.models.chatglm import convert_chatglm

    meta = convert_chatglm(src, out, dtype=dtype, chat_format=chat_format, overwrite=overwrite)
    if meta["tokenizer"] != "converted":
        click.echo(
            f"note: tokenizer {meta['tokenizer']}; put a tokenizer.json for this model in {out}", err=True
        )
    click.echo(f"converted {src} -> {out} ({len(meta['sha256'])} files, sha256 in lawglm-convert.json, "
               f"{meta['seconds']} s); serve it with --model {out}")


@command_group("adapters", "Import and inspect adapters.").command("import")
@click.argument("src", type=click.Path(file_okay=False))
@click.option("--base", required=True, type=click.Path(file_okay=False),
              help="the converted model (lawglm convert chatglm SRC OUT)")
@click.option("--name", default=None, help="adapter name, a plain name, not a path (default: the source "
                                          "directory's name)")
@click.option("--adapters-dir", default=None, help="where adapters live (default: ./adapters)")
@click.option("--overwrite", is_flag=True, help="replace an existing adapter of that name")
def adapters_import(src: str, base: str, name: str | None, adapters_dir: str | None, overwrite: bool) -> None:
    """A ChatGLM ptuning/ checkpoint or finetune_demo LoRA in SRC -> a lawglm adapter for BASE."""
    from pathlib import Path

    from lawglm.errors import AdapterError
    from lawglm.models.chatglm_adapters import import_adapter
    from lawglm.models.model_files import plain_name

    root = settings_from(adapters_dir=adapters_dir).adapters_dir
    out = Path(root) / plain_name(Path(src).resolve().name if name is None else name, AdapterError,
                                  "name" if name is not None else "name (from SRC's directory; pass --name)")
    meta = import_adapter(src, base, out, overwrite=overwrite)
    click.echo(f"imported {meta['imported_from']['format']} -> {out} ({meta['method']}); "
               f"use it with --model {base} --adapter {out.name}")
