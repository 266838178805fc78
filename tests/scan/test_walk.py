"""Which files the scan reads and the paths it reports (``list_files``, ``read_text``)."""

from __future__ import annotations

import os

import pytest

from somastack_deploy.config_contract.scan import list_files, read_text


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "src" / "app").mkdir(parents=True)
    (tmp_path / "src" / "app" / "settings.py").write_text("x = 1\n")
    (tmp_path / "src" / "b.env").write_text("A=1\n")
    (tmp_path / "top.yaml").write_text("a: 1\n")
    for excluded in (".git", "node_modules", "__pycache__"):
        (tmp_path / excluded).mkdir()
        (tmp_path / excluded / "x.py").write_text("x = 2\n")
    outside = tmp_path.parent / (tmp_path.name + "-outside")
    outside.mkdir()
    (outside / "secret.env").write_text("B=2\n")
    os.symlink(outside / "secret.env", tmp_path / "link.env")
    os.symlink(outside, tmp_path / "linked-dir")
    os.mkfifo(tmp_path / "pipe")
    return tmp_path


def test_regular_files_only_sorted_with_sizes_skipping_excluded_dirs_and_symlinks(tree):
    listed = list_files(str(tree))
    assert [display for _, display, _ in listed] == [
        os.path.join(str(tree), p).replace(os.sep, "/") for p in ("src/app/settings.py", "src/b.env", "top.yaml")]
    assert [(os.path.relpath(a, tree), size) for a, _, size in listed] == [
        (os.path.join("src", "app", "settings.py"), 6), (os.path.join("src", "b.env"), 4), ("top.yaml", 5)]


@pytest.mark.parametrize("given, expected", [
    (".", ["src/app/settings.py", "src/b.env", "top.yaml"]),
    ("src", ["src/app/settings.py", "src/b.env"]),
    ("src/", ["src/app/settings.py", "src/b.env"]),
    ("./src/../src", ["src/app/settings.py", "src/b.env"]),
    ("top.yaml", ["top.yaml"]),
])
def test_display_paths_are_the_root_as_given_joined_and_normalised(tree, monkeypatch, given, expected):
    monkeypatch.chdir(tree)
    assert [display for _, display, _ in list_files(given)] == expected


def test_read_text_gives_universal_newlines_and_refuses_binary(tmp_path):
    path = tmp_path / "crlf.txt"
    path.write_bytes(b"a\r\nb\rc\n" + "é".encode() * 600_000)  # larger than one read
    assert read_text(str(path)) == "a\nb\nc\n" + "é" * 600_000
    (tmp_path / "bin").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(UnicodeDecodeError):
        read_text(str(tmp_path / "bin"))


def test_a_directory_that_cannot_be_listed_is_skipped_and_the_walk_goes_on(tree, monkeypatch):
    real = os.scandir

    def scandir(path):
        if os.path.basename(path) == "app":
            raise PermissionError(13, "Permission denied", path)
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    assert [os.path.relpath(a, tree) for a, _, _ in list_files(str(tree))] == [
        os.path.join("src", "b.env"), "top.yaml"]


def test_scan_raises_the_collector_threshold_only_while_it_runs(tmp_path, monkeypatch):
    """The scan runs with fewer young collections and gives the threshold back, also when it
    fails."""
    import gc

    from somastack_deploy.config_contract import scan

    (tmp_path / "a.py").write_text("x = 1\n", encoding="utf-8")
    before = gc.get_threshold()
    seen = []
    real = scan._scan_chunk

    def spy(chunk):
        seen.append(gc.get_threshold())
        return real(chunk)

    monkeypatch.setattr(scan, "_scan_chunk", spy)
    scan.scan_tree(str(tmp_path), processes=1)
    assert seen == [(max(before[0], scan.GC_THRESHOLD), *before[1:])]
    assert gc.get_threshold() == before

    def boom(chunk):
        raise OSError("disk gone")

    monkeypatch.setattr(scan, "_scan_chunk", boom)
    with pytest.raises(OSError):
        scan.scan_tree(str(tmp_path), processes=1)
    assert gc.get_threshold() == before
