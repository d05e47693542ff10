"""EPUB books: the package, the text as blocks, the book's contents, broken books, refusals."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from annotations.models import BlockKind, ContentsEntry, Document
from annotations.store import AnnotationStore
from reader.cli import cli
from reader.ingest import ImportFailure, import_files, iter_files, load_document, parse_html
from reader.ingest import epub as epub_module

XHTML = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops">'
    "<head><title>{title}</title></head><body>{body}</body></html>"
)
CONTAINER = (
    '<?xml version="1.0"?><container version="1.0" '
    'xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles>'
    '<rootfile full-path="{opf}" media-type="application/oebps-package+xml"/>'
    "</rootfiles></container>"
)
METADATA = (
    "<dc:title>A Generated Book</dc:title>"
    '<dc:creator id="a1">Ann Author</dc:creator>'
    '<meta refines="#a1" property="role">aut</meta>'
    '<dc:creator id="a2">Bob Writer</dc:creator>'
    '<dc:creator id="ill">Ivy Illustrator</dc:creator>'
    '<meta refines="#ill" property="role">ill</meta>'
    "<dc:language>en</dc:language><dc:date>2019-03-07T10:00:00Z</dc:date>"
)


def paragraphs(name: str, count: int = 3) -> str:
    """A few paragraphs of text that say where they are."""
    return "".join(f"<p>{name} paragraph {n} of the generated text.</p>" for n in range(count))


@dataclass
class Book:
    """An EPUB to write: chapters by file name (relative to the package), and how to break it."""

    chapters: list[tuple[str, str]]
    nav: str | None = None
    """The `<ol>` of an EPUB 3 nav document (hrefs relative to it, `nav.xhtml` next to the OPF)."""
    ncx: str | None = None
    """The navPoints of an EPUB 2 NCX's navMap."""
    metadata: str = METADATA
    opf: str = "OEBPS/content.opf"
    hrefs: dict[str, str] = field(default_factory=dict)
    """Manifest hrefs that differ from the chapter's file name."""
    members: dict[str, str] = field(default_factory=dict)
    """Zip member names of chapters not stored next to the package."""
    leave_out: set[str] = field(default_factory=set)
    """Zip members not written."""
    extra: dict[str, bytes] = field(default_factory=dict)
    spine: bool = True

    def write(self, path: Path) -> Path:
        folder = self.opf.rpartition("/")[0]
        inside = f"{folder}/" if folder else ""
        members: dict[str, bytes] = {
            "META-INF/container.xml": CONTAINER.format(opf=self.opf).encode(),
        }
        items, refs = [], []
        for index, (name, body) in enumerate(self.chapters):
            href = self.hrefs.get(name, name)
            items.append(f'<item id="c{index}" href="{href}" media-type="application/xhtml+xml"/>')
            refs.append(f'<itemref idref="c{index}"/>')
            text = (
                body if body.lstrip().startswith("<?xml") else XHTML.format(title=name, body=body)
            )
            members[self.members.get(name, inside + name)] = text.encode("utf-8")
        toc = ""
        if self.nav is not None:
            items.append(
                '<item id="nav" href="nav.xhtml" properties="nav" '
                'media-type="application/xhtml+xml"/>'
            )
            nav = f'<nav epub:type="toc"><h1>Contents</h1>{self.nav}</nav>'
            members[inside + "nav.xhtml"] = XHTML.format(title="Contents", body=nav).encode()
        if self.ncx is not None:
            items.append('<item id="ncx" href="toc.ncx" media-type="application/x-dtbncx+xml"/>')
            toc = ' toc="ncx"'
            members[inside + "toc.ncx"] = (
                '<?xml version="1.0"?><ncx xmlns="http://www.daisy.org/z3986/2005/ncx/" '
                f'version="2005-1"><navMap>{self.ncx}</navMap></ncx>'
            ).encode()
        spine = f"<spine{toc}>{''.join(refs)}</spine>" if self.spine else ""
        members[self.opf] = (
            '<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0" '
            'unique-identifier="id"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/" '
            f'xmlns:opf="http://www.idpf.org/2007/opf">{self.metadata}</metadata>'
            f"<manifest>{''.join(items)}</manifest>{spine}</package>"
        ).encode()
        members.update(self.extra)
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(
                zipfile.ZipInfo("mimetype"), b"application/epub+zip", zipfile.ZIP_STORED
            )
            for name, data in members.items():
                if name not in self.leave_out:
                    archive.writestr(name, data)
        return path


def three_chapters() -> list[tuple[str, str]]:
    return [
        (f"ch{n}.xhtml", f"<h1>Chapter {n}</h1>{paragraphs(f'Chapter {n}')}") for n in (1, 2, 3)
    ]


NAV_OF_THREE = (
    "<ol>" + "".join(f'<li><a href="ch{n}.xhtml">Chapter {n}</a></li>' for n in (1, 2, 3)) + "</ol>"
)


def texts(document: Document) -> list[str]:
    return [block.text for block in document.blocks]


# Good books -----------------------------------------------------------------------------


def test_an_entry_pointing_at_a_missing_place_keeps_its_order(tmp_path: Path) -> None:
    """A broken fragment stays after the entry before it in the same chapter."""
    chapters = [("ch1.xhtml", '<h1>One</h1><p>a</p><p id="mid">b</p><p>c</p>')]
    nav = (
        '<ol><li><a href="ch1.xhtml">One</a></li><li><a href="ch1.xhtml#mid">Middle</a></li>'
        '<li><a href="ch1.xhtml#gone">Lost</a></li></ol>'
    )
    document = load_document(Book(chapters, nav=nav).write(tmp_path / "book.epub"))
    assert [(entry.title, entry.block) for entry in document.contents] == [
        ("One", 0),
        ("Middle", 2),
        ("Lost", 2),
    ]


def test_an_epub3_book_reads_its_metadata_text_and_nav(tmp_path: Path) -> None:
    """EPUB 3: title, authors (not the illustrator), date, text in spine order, nav levels."""
    chapters = [
        ("part1.xhtml", '<section id="p1"><h1>Part One</h1><p>Opening words.</p></section>'),
        (
            "ch1.xhtml",
            '<h2>Chapter 1</h2><p>First.</p><p id="middle">Middle <em>of</em> it.</p>'
            '<div><span id="inline">Loose</span> text in a div.</div>',
        ),
        ("ch2.xhtml", "<h2>Chapter 2</h2><p>Last words.</p>"),
    ]
    nav = (
        '<ol><li><a href="part1.xhtml">Part One</a><ol>'
        '<li><a href="ch1.xhtml">Chapter 1</a><ol><li><a href="ch1.xhtml#middle">The middle</a>'
        '</li><li><a href="ch1.xhtml#inline">The div</a></li></ol></li>'
        '<li><a href="ch2.xhtml#top">Chapter 2</a></li></ol></li></ol>'
    )
    path = Book(chapters, nav=nav).write(tmp_path / "book.epub")
    # A missing fragment (#top) falls back to its chapter's start, with a warning.
    document = load_document(path)
    assert document.title == "A Generated Book"
    assert document.author == "Ann Author, Bob Writer"
    assert document.date == "2019-03-07"
    assert document.format == "epub"
    assert document.source == str(path.resolve())
    assert texts(document) == [
        "Part One",
        "Opening words.",
        "Chapter 1",
        "First.",
        "Middle of it.",
        "Loose text in a div.",
        "Chapter 2",
        "Last words.",
    ]
    assert document.blocks[0].kind == BlockKind.HEADING
    assert document.blocks[2].level == 2
    assert document.contents == (
        ContentsEntry("Part One", 0, 1),
        ContentsEntry("Chapter 1", 2, 2),
        ContentsEntry("The middle", 4, 3),
        ContentsEntry("The div", 5, 3),
        ContentsEntry("Chapter 2", 6, 2),
    )
    assert document.warnings == (
        "table of contents: 1 entry pointing at a missing place (kept in its chapter)",
    )


def test_an_epub2_book_reads_its_ncx(tmp_path: Path) -> None:
    """EPUB 2: the NCX's nested navPoints give the levels, fragments the blocks."""
    chapters = [
        ("text/a.xhtml", '<h1 id="a">Book One</h1><p>Words.</p><h2 id="a1">I</h2><p>More.</p>'),
        ("text/b.xhtml", "<h2>II</h2><p>Even more.</p>"),
    ]

    def point(label: str, src: str, inner: str = "") -> str:
        return (
            f"<navPoint><navLabel><text>{label}</text></navLabel>"
            f'<content src="{src}"/>{inner}</navPoint>'
        )

    ncx = point(
        "Book One", "text/a.xhtml#a", point("I", "text/a.xhtml#a1") + point("II", "text/b.xhtml")
    )
    metadata = (
        "<dc:title>Old Book</dc:title>"
        '<dc:creator opf:role="aut">Old Author</dc:creator>'
        '<dc:creator opf:role="edt">An Editor</dc:creator>'
        '<dc:date opf:event="modification">2020-01-01</dc:date>'
        '<dc:date opf:event="publication">1869</dc:date>'
    )
    document = load_document(Book(chapters, ncx=ncx, metadata=metadata).write(tmp_path / "b.epub"))
    assert (document.title, document.author, document.date) == ("Old Book", "Old Author", "1869")
    assert document.contents == (
        ContentsEntry("Book One", 0, 1),
        ContentsEntry("I", 2, 2),
        ContentsEntry("II", 4, 2),
    )
    assert document.warnings == ()


def test_chapters_keep_the_kinds_of_their_blocks(tmp_path: Path) -> None:
    """Lists, quotes, code, tables, images (their alt text) and page numbers, as in web pages."""
    body = (
        "<h1>Kinds</h1>"
        "<ul><li>One</li><li>Two<ul><li>Two and a half</li></ul></li></ul>"
        '<ol start="3"><li>Third</li></ol>'
        "<blockquote><p>Quoted words.</p></blockquote>"
        "<pre>line one\n  line two</pre>"
        "<table><tr><th>Name</th><th>Age</th></tr><tr><td>Ann</td><td>3</td></tr></table>"
        '<figure><img src="map.png" alt="A map of the river"/></figure>'
        '<p>A drop <img src="t.png" alt="T"/>he cap, page <span epub:type="pagebreak" '
        'id="p7">7</span>broken.</p>'
        "<p>Caf&eacute;&nbsp;cr&egrave;me &amp; more.</p>"
        '<aside epub:type="footnote" id="n1"><p>A footnote.</p></aside>'
    )
    document = load_document(Book([("kinds.xhtml", body)]).write(tmp_path / "k.epub"))
    kinds = [(block.kind, block.text, block.level) for block in document.blocks]
    assert kinds == [
        (BlockKind.HEADING, "Kinds", 1),
        (BlockKind.LIST_ITEM, "One", 1),
        (BlockKind.LIST_ITEM, "Two", 1),
        (BlockKind.LIST_ITEM, "Two and a half", 2),
        (BlockKind.LIST_ITEM, "3. Third", 1),
        (BlockKind.QUOTE, "Quoted words.", 1),
        (BlockKind.CODE, "line one\n  line two", 0),
        (BlockKind.TABLE, "Name │ Age\nAnn │ 3", 0),
        (BlockKind.PARAGRAPH, "A map of the river", 0),
        (BlockKind.PARAGRAPH, "A drop The cap, page broken.", 0),
        (BlockKind.PARAGRAPH, "Café crème & more.", 0),
        (BlockKind.PARAGRAPH, "A footnote.", 0),
    ]
    assert document.warnings == ()


def test_the_xhtml_namespace_however_declared_reads_the_same(tmp_path: Path) -> None:
    """The namespace as the root's default (in double or single quotes), as a prefix, or
    with the declaration's own words in the text: the same blocks, the text kept whole."""
    body = (
        '<h1 id="top">Spelt</h1><p>It says <code>xmlns="http://www.w3.org/1999/xhtml"</code>'
        ' here.</p><svg xmlns="http://www.w3.org/2000/svg"><title>A drawing</title></svg>'
        '<ul><li id="i1">An item</li></ul>'
    )
    prefixed = (
        '<x:h1 id="top">Spelt</x:h1><x:p>It says <x:code>xmlns="http://www.w3.org/1999/xhtml"'
        '</x:code> here.</x:p><svg xmlns="http://www.w3.org/2000/svg"><title>A drawing</title>'
        '</svg><x:ul><x:li id="i1">An item</x:li></x:ul>'
    )
    spellings = {
        "double.xhtml": XHTML.format(title="t", body=body),
        "single.xhtml": (
            "<?xml version='1.0'?>\n<html lang=\"en\"\n  xmlns='http://www.w3.org/1999/xhtml'>"
            f"<body>{body}</body></html>"
        ),
        "prefixed.xhtml": (
            '<?xml version="1.0"?><x:html xmlns:x="http://www.w3.org/1999/xhtml">'
            f"<x:body>{prefixed}</x:body></x:html>"
        ),
    }
    read = []
    for name, chapter in spellings.items():
        document = load_document(Book([(name, chapter)]).write(tmp_path / f"{name}.epub"))
        read.append([(block.kind, block.text) for block in document.blocks])
    assert read[0] == [
        (BlockKind.HEADING, "Spelt"),
        (BlockKind.PARAGRAPH, 'It says xmlns="http://www.w3.org/1999/xhtml" here.'),
        (BlockKind.LIST_ITEM, "An item"),
    ]
    assert read[1] == read[0] and read[2] == read[0]


def test_web_pages_read_images_as_their_alt_text() -> None:
    """The walker the books use is the web pages' too: an image is its alt text."""
    sentence = "Words of a sentence that goes on and on. " * 10
    page = (
        "<html><head><title>Rivers</title></head><body><article><h1>Rivers</h1>"
        f"<p>{sentence}</p><figure><img src='a.png' alt='A map of the river'></figure>"
        f"<p>{sentence}</p></article></body></html>"
    )
    document = parse_html(page.encode(), "page.html")
    assert "A map of the river" in texts(document)


def test_title_falls_back_to_the_first_heading_then_the_file_name(tmp_path: Path) -> None:
    """Without a dc:title: the first heading, else the file's name."""
    with_heading = Book([("a.xhtml", "<p>x</p><h2>The Heading</h2>")], metadata="")
    assert load_document(with_heading.write(tmp_path / "h.epub")).title == "The Heading"
    plain = Book([("a.xhtml", "<p>Only words.</p>")], metadata="")
    document = load_document(plain.write(tmp_path / "My Book.epub"))
    assert (document.title, document.author, document.date) == ("My Book", None, None)


def test_manifest_paths_with_dot_dot_and_escapes_are_found(tmp_path: Path) -> None:
    """`../Text/chapter%201.xhtml` from `OEBPS/content.opf` is `Text/chapter 1.xhtml`."""
    book = Book(
        [("one", "<h1>One</h1><p>Found.</p>")],
        hrefs={"one": "../Text/chapter%201.xhtml"},
        members={"one": "Text/chapter 1.xhtml"},
        nav='<ol><li><a href="../Text/chapter%201.xhtml#">One</a></li></ol>',
    )
    document = load_document(book.write(tmp_path / "dots.epub"))
    assert texts(document) == ["One", "Found."]
    assert document.contents == (ContentsEntry("One", 0, 1),)
    assert document.warnings == ()


# Broken books: each defect costs its part, in one warning line ---------------------------


def test_a_chapter_missing_from_the_zip_costs_only_that_chapter(tmp_path: Path) -> None:
    """The rest of the book is read; its contents entries go with it; one warning line."""
    book = Book(three_chapters(), nav=NAV_OF_THREE, leave_out={"OEBPS/ch2.xhtml"})
    document = load_document(book.write(tmp_path / "b.epub"))
    assert [block.text for block in document.blocks if block.kind == BlockKind.HEADING] == [
        "Chapter 1",
        "Chapter 3",
    ]
    assert [entry.title for entry in document.contents] == ["Chapter 1", "Chapter 3"]
    assert document.warnings == (
        "1 part could not be read: ch2.xhtml (missing from the file); "
        "contents: 1 entry left out with it",
    )


def test_contents_entries_without_a_label_or_place(tmp_path: Path) -> None:
    """An empty label takes its target's heading, or is left out; a missing id is the start."""
    nav = (
        '<ol><li><a href="ch1.xhtml"></a></li>'
        '<li><a href="ch2.xhtml#nowhere">Chapter 2</a></li>'
        '<li><a href="ch3.xhtml#p"> </a></li>'
        '<li><a href="elsewhere.xhtml">Gone</a></li></ol>'
    )
    chapters = three_chapters()
    chapters[2] = ("ch3.xhtml", '<h1>Chapter 3</h1><p id="p">Words.</p>')
    document = load_document(Book(chapters, nav=nav).write(tmp_path / "b.epub"))
    assert document.contents == (ContentsEntry("Chapter 1", 0, 1), ContentsEntry("Chapter 2", 4, 1))
    (warning,) = document.warnings
    assert warning == (
        "table of contents: 1 entry without a label (its heading instead), "
        "1 entry pointing at a missing place (kept in its chapter), "
        "1 entry without a label, 1 entry pointing outside the book's text"
    )
    assert len(document.blocks) == 10


def test_bad_xml_in_one_chapter_is_read_as_far_as_it_goes(tmp_path: Path) -> None:
    """A chapter that is not well-formed is recovered; the others are untouched."""
    chapters = three_chapters()
    chapters[1] = ("ch2.xhtml", "<h1>Chapter 2</h1><p>Broken <b>markup</p><p>Still here.")
    document = load_document(Book(chapters).write(tmp_path / "b.epub"))
    assert "Still here." in " ".join(texts(document))
    assert "Chapter 3 paragraph 2 of the generated text." in texts(document)
    assert document.warnings == (
        "1 part could not be read: ch2.xhtml (damaged XML, read as far as it goes)",
    )


def test_no_container_and_no_spine(tmp_path: Path) -> None:
    """Without container.xml the only .opf is used; without a spine, the manifest's order."""
    book = Book(three_chapters(), leave_out={"META-INF/container.xml"}, spine=False)
    document = load_document(book.write(tmp_path / "b.epub"))
    assert document.title == "A Generated Book"
    assert len(document.blocks) == 12
    assert document.warnings == (
        "2 parts could not be read: container.xml (missing from the file); "
        "spine (missing: the pages in the manifest's order)",
    )


def test_a_member_too_large_unpacked_is_left_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A zip bomb costs its member: the size is checked before and while unpacking."""
    monkeypatch.setattr(epub_module, "MAX_MEMBER", 2000)
    chapters = three_chapters()
    chapters[0] = ("ch1.xhtml", "<h1>Huge</h1>" + "<p>" + "a " * 50_000 + "</p>")
    document = load_document(Book(chapters).write(tmp_path / "b.epub"))
    assert texts(document)[0] == "Chapter 2"
    assert document.warnings == (
        "1 part could not be read: ch1.xhtml (too large: 100 KB unpacked)",
    )


def test_a_book_with_no_readable_text_is_refused(tmp_path: Path) -> None:
    book = Book(three_chapters(), leave_out={f"OEBPS/ch{n}.xhtml" for n in (1, 2, 3)})
    with pytest.raises(ImportFailure, match=r"^no text found in the book; 3 parts could not"):
        load_document(book.write(tmp_path / "b.epub"))


# Refusals and what is not a refusal -------------------------------------------------------


def encryption(*entries: tuple[str, str]) -> bytes:
    data = "".join(
        '<EncryptedData xmlns="http://www.w3.org/2001/04/xmlenc#">'
        f'<EncryptionMethod Algorithm="{algorithm}"/>'
        f'<CipherData><CipherReference URI="{uri}"/></CipherData></EncryptedData>'
        for algorithm, uri in entries
    )
    return (
        f'<encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container">{data}</encryption>'
    ).encode()


def test_drm_is_refused_in_one_line(tmp_path: Path) -> None:
    extra = {
        "META-INF/encryption.xml": encryption(
            ("http://www.w3.org/2001/04/xmlenc#aes128-cbc", "OEBPS/ch1.xhtml")
        )
    }
    path = Book(three_chapters(), extra=extra).write(tmp_path / "drm.epub")
    with pytest.raises(ImportFailure) as raised:
        load_document(path)
    assert str(raised.value) == "is protected by DRM (encrypted content); reader cannot read it"


def test_font_obfuscation_is_not_drm(tmp_path: Path) -> None:
    extra = {
        "META-INF/encryption.xml": encryption(
            ("http://www.idpf.org/2008/embedding", "OEBPS/font.woff"),
            ("http://ns.adobe.com/pdf/enc#RC", "OEBPS/other.otf"),
        ),
        "OEBPS/font.woff": b"\x00obfuscated",
    }
    document = load_document(Book(three_chapters(), extra=extra).write(tmp_path / "f.epub"))
    assert len(document.blocks) == 12 and document.warnings == ()


def test_a_zip_of_a_version_python_cannot_read_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.epub"
    with zipfile.ZipFile(path, "w") as archive:
        member = zipfile.ZipInfo("mimetype")
        member.extract_version = 99  # what a damaged directory entry can say
        archive.writestr(member, "application/epub+zip")
    with pytest.raises(ImportFailure, match=r"^not an EPUB \(a damaged or unreadable zip file\)$"):
        load_document(path)


def test_a_file_that_is_not_a_zip_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "fake.epub"
    path.write_text("<html>not a book</html>")
    with pytest.raises(ImportFailure, match=r"^not an EPUB \(not a zip file\)$"):
        load_document(path)
    other = tmp_path / "zip.epub"
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(ImportFailure, match=r"^not an EPUB \(no package document"):
        load_document(other)


# Wiring: folders, sniffing, the command line, re-imports ---------------------------------


def test_folders_take_epubs_and_a_book_without_a_suffix_is_recognised(tmp_path: Path) -> None:
    """A folder walk takes `.epub` files (one that is not a book is refused when read, so
    the import says why); sniffing finds books without a suffix."""
    folder = tmp_path / "books"
    folder.mkdir()
    Book(three_chapters()).write(folder / "good.epub")
    (folder / "fake.epub").write_text("not a zip")
    assert [path.name for path in iter_files([folder])] == ["fake.epub", "good.epub"]
    with pytest.raises(ImportFailure, match=r"^not an EPUB \(not a zip file\)$"):
        load_document(folder / "fake.epub")
    bare = Book(three_chapters()).write(tmp_path / "bookfile")
    assert load_document(bare).format == "epub"


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(arg) for arg in args], prog_name="reader")


def test_the_command_line_imports_a_book_and_says_what_it_could_not_read(tmp_path: Path) -> None:
    db = tmp_path / "lib.db"
    good = Book(three_chapters(), nav=NAV_OF_THREE).write(tmp_path / "good.epub")
    broken = Book(three_chapters(), leave_out={"OEBPS/ch3.xhtml"}).write(tmp_path / "broken.epub")
    drm = Book(
        three_chapters(),
        extra={"META-INF/encryption.xml": encryption(("aes", "OEBPS/ch1.xhtml"))},
    ).write(tmp_path / "drm.epub")
    result = run("--db", db, "import", good, broken, drm)
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert lines[-1] == "imported 2, updated 0, unchanged 0, failed 1"
    assert (
        f"reader: {broken}: 1 part could not be read: ch3.xhtml (missing from the file)"
        in result.output
    )
    assert f"reader: {drm}: is protected by DRM (encrypted content); reader cannot read it" in lines
    listed = run("--db", db, "list")
    assert listed.output.count("A Generated Book") == 2
    store = AnnotationStore(db)
    (article,) = [a for a in store.list_articles() if a.source == str(good.resolve())]
    contents = [entry.title for entry in store.get_contents(article.id)]
    store.close()
    assert contents == ["Chapter 1", "Chapter 2", "Chapter 3"]


def test_a_changed_book_reimports_with_its_highlights_on_their_text(tmp_path: Path) -> None:
    """Re-importing a changed EPUB re-anchors its highlights like any other article."""
    path = tmp_path / "book.epub"
    Book(three_chapters(), nav=NAV_OF_THREE).write(path)
    store = AnnotationStore(tmp_path / "lib.db")
    import_files(store, [path])
    (article,) = store.list_articles()
    blocks = store.get_blocks(article.id)
    target = next(i for i, b in enumerate(blocks) if b.text.startswith("Chapter 3 paragraph 1"))
    store.add_highlight(article.id, (target, 0), (target, 9))
    chapters = three_chapters()
    chapters[0] = ("ch1.xhtml", "<h1>Chapter 1</h1><p>A new opening.</p>" + paragraphs("x", 5))
    Book(chapters, nav=NAV_OF_THREE).write(path)
    summary = import_files(store, [path])
    assert (summary.updated, summary.imported) == (1, 0)
    (note,) = store.list_annotations(article.id)
    blocks = store.get_blocks(article.id)
    contents = [entry.block for entry in store.get_contents(article.id)]
    store.close()
    assert blocks[note.anchor.start_block].text.startswith("Chapter 3 paragraph 1")
    assert (note.anchor.exact, note.orphaned) == ("Chapter 3", False)
    assert contents == [0, 7, 11]


def test_a_gutenberg_books_licence_pages_are_left_out(tmp_path: Path) -> None:
    """The licence header and footer in a Project Gutenberg EPUB's pages are not its text."""
    chapters = [
        (
            "header.xhtml",
            "<p>The Project Gutenberg eBook of A Generated Book</p><p>Use it freely.</p>"
            "<p>*** START OF THE PROJECT GUTENBERG EBOOK A GENERATED BOOK ***</p>",
        ),
        ("ch1.xhtml", "<h1>Chapter 1</h1><p>First words.</p>"),
        ("ch2.xhtml", "<h1>Chapter 2</h1><p>Last words.</p>"),
        (
            "footer.xhtml",
            "<p>*** END OF THE PROJECT GUTENBERG EBOOK A GENERATED BOOK ***</p>"
            "<p>Updated editions will replace the previous one.</p>",
        ),
    ]
    nav = (
        '<ol><li><a href="ch1.xhtml">Chapter 1</a></li>'
        '<li><a href="ch2.xhtml">Chapter 2</a></li></ol>'
    )
    document = load_document(Book(chapters, nav=nav).write(tmp_path / "pg.epub"))
    assert texts(document) == ["Chapter 1", "First words.", "Chapter 2", "Last words."]
    assert document.contents == (ContentsEntry("Chapter 1", 0), ContentsEntry("Chapter 2", 2))


def test_a_cover_picture_is_not_text_but_a_plate_inside_keeps_its_alt_text(
    tmp_path: Path,
) -> None:
    chapters = [
        ("cover.xhtml", '<div><img src="cover.png" alt="Cover Image"/></div>'),
        ("ch1.xhtml", "<h1>Chapter 1</h1><p>Words.</p>"),
        ("plate.xhtml", '<p><img src="map.png" alt="A map of the bay"/></p>'),
        ("ch2.xhtml", "<h1>Chapter 2</h1><p>More words.</p>"),
    ]
    nav = '<ol><li><a href="cover.xhtml">Cover</a></li><li><a href="ch1.xhtml">One</a></li></ol>'
    document = load_document(Book(chapters, nav=nav).write(tmp_path / "book.epub"))
    assert texts(document) == [
        "Chapter 1",
        "Words.",
        "A map of the bay",
        "Chapter 2",
        "More words.",
    ]
    # A link to the cover goes to what follows it.
    assert document.contents == (ContentsEntry("Cover", 0), ContentsEntry("One", 0))
    assert document.warnings == ()
