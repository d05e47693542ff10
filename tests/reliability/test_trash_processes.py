"""`reader delete` and `reader undelete` while another process uses the same library.

The other process (as the TUI in a second terminal would) keeps reading the library and
writing annotations to an article of its own, the whole time. Every command and every one
of its operations must succeed (a deleted article may only be missing), and at the end
the library keeps all its invariants and every article is back as it was.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from annotations.export import export_json
from annotations.models import Block, BlockKind, Document
from annotations.store import AnnotationStore
from tests.reliability.test_store_properties import check_library

SAFETY_SECONDS = 120
"""How long a process of ours may take before the test fails as hung (never a measure)."""

ROUNDS = 8

USER = r"""
import json, select, sys
from annotations.errors import NotFoundError
from annotations.store import AnnotationStore

store = AnnotationStore(sys.argv[1])
own, watched = sys.argv[2], sys.argv[3:]
seen = {"missing": 0, "present": 0, "writes": 0, "errors": []}
print(json.dumps({"t": "ready"}), flush=True)
while not select.select([sys.stdin], [], [], 0)[0]:  # until told to stop
    try:
        store.count_articles(shelf="reading")
        store.list_articles_page(0, 50, order="title")
        store.list_tags()
        store.search("river")
        for article_id in watched:
            try:
                store.get_article(article_id)
                store.get_blocks(article_id)
                store.list_annotations(article_id)
                seen["present"] += 1
            except NotFoundError:
                seen["missing"] += 1
        store.add_highlight(own, (0, 0), (0, 4), tags=["mine"], note=f"write {seen['writes']}")
        seen["writes"] += 1
    except Exception as error:  # anything else fails the test
        seen["errors"].append(f"{type(error).__name__}: {error}")
print(json.dumps(seen), flush=True)
store.close()
"""


def reader(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The `reader` command, in a process of its own."""
    return subprocess.run(
        [sys.executable, "-m", "reader", "--db", str(db), *args],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=SAFETY_SECONDS,
    )


def records(store: AnnotationStore, article_ids: list[str]) -> dict[str, Any]:
    """The articles' records in the JSON export, by id."""
    data = json.loads(export_json(store, [store.get_article(i) for i in article_ids]))
    return {item["id"]: item for item in data["articles"]}


def test_delete_and_undelete_while_another_process_uses_the_library(tmp_path: Path) -> None:
    db = tmp_path / "lib.db"
    store = AnnotationStore(db)
    made = []
    for number in range(3):
        blocks = tuple(
            Block(BlockKind.PARAGRAPH, f"Paragraph {n} of article {number} by the river.")
            for n in range(40)
        )
        document = Document(f"Article {number}", blocks, f"/src/{number}.md", tags=("river",))
        article_id = store.import_document(document).article.id
        for n in range(10):
            store.add_highlight(article_id, (n, 0), (n, 9), tags=[f"t{n % 3}"], note=f"note {n}")
        made.append(article_id)
    own = store.import_document(
        Document("Mine", (Block(BlockKind.PARAGRAPH, "Mine to annotate."),), "/src/mine.md")
    ).article.id
    before = records(store, made)
    store.close()

    user = subprocess.Popen(
        [sys.executable, "-c", USER, str(db), own, *made],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    try:
        assert user.stdout is not None and user.stdin is not None
        assert json.loads(user.stdout.readline()) == {"t": "ready"}
        for _ in range(ROUNDS):
            deleted = reader(db, "delete", *(article_id[:8] for article_id in made))
            assert deleted.returncode == 0, deleted.stderr
            assert deleted.stdout.count("to the trash") == len(made)
            listed = reader(db, "list", "--json")
            assert [a["id"] for a in json.loads(listed.stdout)] == [own]
            back = reader(db, "undelete", *made)
            assert back.returncode == 0, back.stderr
            assert back.stdout.count("brought back") == len(made)
        user.stdin.write("\n")
        user.stdin.flush()
        out, err = user.communicate(timeout=SAFETY_SECONDS)
    finally:
        if user.poll() is None:
            user.kill()
            user.wait()
    assert user.returncode == 0, err
    seen = json.loads(out.splitlines()[-1])
    assert seen["errors"] == []
    assert seen["writes"] > 0 and seen["present"] > 0

    store = AnnotationStore(db)
    assert records(store, made) == before
    assert store.trash_entries() == []
    assert store.get_article(own).annotation_count == seen["writes"]
    check_library(store)
    store.close()
