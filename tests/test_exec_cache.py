"""hooks/exec_cache.py: an answer block runs again exactly when its output could change.

The hook stands in for markdown-exec's ``_run_python``; these tests call it as markdown-exec does,
across simulated builds (``on_pre_build`` starts one), and count real executions.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest
from load_hook import load_hook
from markdown_exec._internal.formatters.base import ExecutionError

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def hook(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    module = load_hook("exec_cache")
    import build_cache
    import markdown_exec._internal.formatters.python as mx

    monkeypatch.setattr(mx, "_run_python", mx._run_python)  # undone after the test
    monkeypatch.setattr(build_cache, "_memory", {})  # this test's entries only
    module._install()
    module._state.update(root=tmp_path, prefix="library-1", page="p.md")
    return module


def _build(hook: ModuleType, blocks: list[str], session: str = "s") -> list[str]:
    """One build of a page whose session holds ``blocks``: the outputs, in order."""
    import markdown_exec._internal.formatters.python as mx

    hook.on_pre_build(None)
    return [mx._run_python(code, session=session) for code in blocks]


def test_unchanged_blocks_are_not_run_again(hook: ModuleType) -> None:
    blocks = ["x = 6", "print(x * 7)"]
    assert _build(hook, blocks) == ["", "42\n"]
    assert (hook.stats["hits"], hook.stats["runs"], hook.stats["replays"]) == (0, 2, 0)
    assert _build(hook, blocks) == ["", "42\n"]
    assert (hook.stats["hits"], hook.stats["runs"], hook.stats["replays"]) == (2, 2, 0)


def test_an_edited_block_reruns_with_the_namespace_of_a_full_run(hook: ModuleType) -> None:
    _build(hook, ["x = 6", "y = x + 1", "print(y)"])
    assert _build(hook, ["x = 6", "y = x + 1", "print(y * 10)"]) == ["", "", "70\n"]
    assert hook.stats["replays"] == 1  # the first two blocks replayed, their outputs discarded
    assert hook.stats["runs"] == 3 + 1  # the edited block only (a replay is counted apart)


def test_a_name_removed_from_an_earlier_block_is_gone(hook: ModuleType) -> None:
    _build(hook, ["x = 6", "print(x)"])
    with pytest.raises(ExecutionError):  # not served from the previous build's namespace
        _build(hook, ["z = 1", "print(x)"])


def test_a_library_change_reruns_everything_and_failures_are_not_cached(hook: ModuleType) -> None:
    _build(hook, ["print(1)"])
    hook._state["prefix"] = "library-2"
    _build(hook, ["print(1)"])
    assert hook.stats["runs"] == 2
    for _ in range(2):
        with pytest.raises(ExecutionError):
            _build(hook, ["raise ValueError('no')"])
    assert hook.stats["runs"] == 4


def test_sessions_and_pages_do_not_share_outputs(hook: ModuleType) -> None:
    assert _build(hook, ["print(__name__)"], session="a") != _build(hook, ["print(__name__)"], session="b")
    hook._state["page"] = "other.md"
    _build(hook, ["print(__name__)"], session="a")
    assert hook.stats["hits"] == 0
