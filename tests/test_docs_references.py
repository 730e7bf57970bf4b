"""The repository cites only documents that ship in it.

The method and its siblings are described in ``docs/method.md`` and
``docs/siblings.md``; files cite their sections as ``docs/method.md §N``.
Specification files kept outside the repository (the project's method,
siblings, design and ecosystem notes) are not cited. Every cited section
exists, and every relative Markdown link leads to a file and heading that
exist.
"""
import os
import re
from pathlib import Path
from typing import Dict, Iterator, List, Set, Tuple

ROOT = Path(__file__).resolve().parents[1]
#: What ships: these files, and the text files below these folders.
SHIPPED_FILES = ('README.md', 'setup.py', 'Makefile')
SHIPPED_DIRS = ('docs', 'configs', 'mme_mmaction', 'tools', 'tests')
TEXT_SUFFIXES = ('.py', '.md', '.sh', '.yml', '.yaml', '.txt', '.cfg')
#: Markdown files whose links are checked.
MARKDOWN = ('README.md', 'docs/*.md', 'configs/*/README.md')

#: How the outside documents were cited: "METHOD §7", "METHOD's target",
#: "SIBLINGS.md", "DESIGN.md", "ECOSYSTEM", "shared docs". Upper-case names
#: followed by ``=``, ``:`` or ``(`` are code, as are longer identifiers
#: such as ``METHODS``.
OUTSIDE_CITATION = re.compile(
    r'\b(?:METHOD|SIBLINGS|DESIGN|ECOSYSTEM)\b(?! *[=:(])'
    r'|shared[ /]docs')
#: This file names the outside documents to find them.
THIS_FILE = Path(__file__).resolve().relative_to(ROOT).as_posix()

SECTION_NUMBER = r'§(\d+(?:\.\d+)*)'
#: "docs/method.md §4.4, §6", "`docs/siblings.md` §1 and §4",
#: "[docs/siblings.md](../../docs/siblings.md) §2", "docs/method.md\n# §7".
SECTION_CITATION = re.compile(
    r'docs/(method|siblings)\.md'
    r'(?:#[\w-]*)?[`\]]?(?:\([^)\s]*\))?[\s#]*'
    r'(§\d+(?:\.\d+)*(?:(?:,\s*|\s+and\s+|;\s*)§\d+(?:\.\d+)*)*)')
LINK = re.compile(r'\[([^\]]*)\]\(([^)\s]+)\)')
URL_SCHEME = re.compile(r'[a-zA-Z][a-zA-Z0-9+.-]*:')
HEADING = re.compile(r'#{1,6} +(.+?) *#*$')
HEADING_NUMBER = re.compile(r'(\d+(?:\.\d+)*)\.? ')


def shipped_files() -> Iterator[Path]:
    """Every shipped text file, without following symbolic links."""
    for name in SHIPPED_FILES:
        if (ROOT / name).is_file():
            yield ROOT / name
    for folder in SHIPPED_DIRS:
        for parent, dirs, files in os.walk(ROOT / folder):
            dirs[:] = sorted(d for d in dirs
                             if not d.startswith(('.', '__pycache__')))
            for name in sorted(files):
                path = Path(parent) / name
                if path.suffix in TEXT_SUFFIXES and not path.is_symlink():
                    yield path


def relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def line_of(text: str, offset: int) -> int:
    return text.count('\n', 0, offset) + 1


def outside_lines(text: str) -> Iterator[Tuple[int, str]]:
    """Lines of Markdown outside fenced code blocks, numbered from 1."""
    fenced = False
    for number, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith('```'):
            fenced = not fenced
        elif not fenced:
            yield number, line


def headings(path: Path) -> List[str]:
    """The heading texts of a Markdown file, in order."""
    return [
        match.group(1) for _, line in outside_lines(path.read_text())
        if (match := HEADING.match(line))
    ]


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading."""
    text = re.sub(r'[^\w\- ]', '', heading.strip().lower())
    return text.replace(' ', '-')


def anchors(path: Path) -> Set[str]:
    """Anchors of a Markdown file's headings (repeats get ``-1``, ...)."""
    seen: Set[str] = set()
    for heading in headings(path):
        base = anchor = slug(heading)
        count = 0
        while anchor in seen:
            count += 1
            anchor = f'{base}-{count}'
        seen.add(anchor)
    return seen


def numbered_sections(document: str) -> Dict[str, str]:
    """Section number -> anchor of ``docs/<document>.md``."""
    sections = {}
    for heading in headings(ROOT / 'docs' / f'{document}.md'):
        match = HEADING_NUMBER.match(heading)
        if match:
            sections[match.group(1)] = slug(heading)
    return sections


def cited_sections(path: Path) -> Iterator[Tuple[int, str, str]]:
    """(line, document, section number) of every section a file cites.

    In ``docs/method.md`` and ``docs/siblings.md`` a bare ``§N`` is a
    section of the document itself.
    """
    text = path.read_text(encoding='utf-8')
    spans = []
    for match in SECTION_CITATION.finditer(text):
        spans.append(match.span())
        for number in re.findall(SECTION_NUMBER, match.group(2)):
            yield line_of(text, match.start()), match.group(1), number
    own = relative(path)
    if own not in ('docs/method.md', 'docs/siblings.md'):
        return
    for match in re.finditer(SECTION_NUMBER, text):
        if not any(start <= match.start() < end for start, end in spans):
            yield (line_of(text, match.start()), Path(own).stem,
                   match.group(1))


def markdown_files() -> List[Path]:
    return sorted(path for pattern in MARKDOWN for path in ROOT.glob(pattern))


def test_no_file_cites_documents_outside_the_repository():
    found = []
    for path in shipped_files():
        name = relative(path)
        if name == THIS_FILE:
            continue
        text = path.read_text(encoding='utf-8')
        found += [
            f'{name}:{line_of(text, m.start())}: {m.group(0)}'
            for m in OUTSIDE_CITATION.finditer(text)
        ]
    assert not found, (
        'Cite docs/method.md or docs/siblings.md (by section, e.g. '
        '"docs/method.md §7") instead of documents outside the '
        'repository:\n' + '\n'.join(found))


def test_every_cited_section_exists():
    sections = {doc: numbered_sections(doc) for doc in ('method', 'siblings')}
    assert {'1', '4.4', '7', '9'} <= set(sections['method'])
    assert {'0', '1.2', '4.1', '4.13'} <= set(sections['siblings'])
    cited, wrong = 0, []
    for path in shipped_files():
        for line, doc, number in cited_sections(path):
            cited += 1
            if number not in sections[doc]:
                wrong.append(f'{relative(path)}:{line}: docs/{doc}.md has no '
                             f'§{number}')
    assert cited > 100  # the pattern finds the citations at all
    assert not wrong, '\n'.join(wrong)


def test_relative_markdown_links_lead_to_files_and_headings():
    broken = []
    for path in markdown_files():
        for number, line in outside_lines(path.read_text()):
            for _, target in LINK.findall(line):
                if URL_SCHEME.match(target):
                    continue
                file, _, anchor = target.partition('#')
                dest = (path.parent / file).resolve() if file else path
                where = f'{relative(path)}:{number}: {target}'
                if not dest.exists():
                    broken.append(f'{where}: no such file')
                elif anchor and dest.suffix == '.md' and \
                        anchor not in anchors(dest):
                    broken.append(f'{where}: no such heading')
    assert not broken, '\n'.join(broken)


def test_section_links_jump_to_the_cited_section():
    """``[docs/method.md §7](...#7-recipes)``: text and anchor agree."""
    sections = {doc: numbered_sections(doc) for doc in ('method', 'siblings')}
    text_cites = re.compile(r'docs/(method|siblings)\.md ' + SECTION_NUMBER +
                            r'$')
    wrong = []
    for path in markdown_files():
        for number, line in outside_lines(path.read_text()):
            for text, target in LINK.findall(line):
                cite = text_cites.search(text)
                if not cite or '#' not in target:
                    continue
                doc, section = cite.groups()
                if target.partition('#')[2] != sections[doc].get(section):
                    wrong.append(f'{relative(path)}:{number}: [{text}]'
                                 f'({target})')
    assert not wrong, '\n'.join(wrong)
