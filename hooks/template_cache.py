"""Compile each Jinja template once, not once per build: a bytecode cache under .cache/jinja.

Every build compiles the Material theme's templates and the mkdocstrings Python handler's
templates (about 90 files) from source; under ``make serve`` that happens again on every reload.
Jinja's own :class:`~jinja2.FileSystemBytecodeCache` stores the compiled code keyed by template
name and file, and checks it against a checksum of the template's source before using it, so an
edited or upgraded template is recompiled. The pages come out byte-identical with or without it.
"""

from __future__ import annotations

import logging
from pathlib import Path

import build_cache
from jinja2 import FileSystemBytecodeCache

log = logging.getLogger("mkdocs.hooks.template_cache")


def bytecode_cache(config) -> FileSystemBytecodeCache:
    directory = build_cache.cache_root(Path(config.config_file_path).parent) / "jinja"
    directory.mkdir(parents=True, exist_ok=True)
    return FileSystemBytecodeCache(str(directory))


def on_pre_build(config):
    plugin = config.plugins.get("mkdocstrings")
    if plugin is None:
        return
    handler = plugin.handlers.get_handler(plugin.config.get("default_handler") or "python")
    handler.env.bytecode_cache = bytecode_cache(config)


def on_env(env, config, files):
    env.bytecode_cache = bytecode_cache(config)
    return env
