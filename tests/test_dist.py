"""`mxpublish dist` and `mxpublish diff`: the bundle, numbered copies, signatures, the diff."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import subprocess
import zipfile
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pypdf import PdfReader
from pypdf.generic import ContentStream

from conftest import MINIMAL_CONFIG
from helpers import pdf_body_text
from mxpublish.cli import main
from mxpublish.dist.archive import deterministic_zip, source_digest
from mxpublish.dist.bundle import DistResult, make_dist
from mxpublish.dist.copies import Copy, parse_copies, stamp_copies
from mxpublish.dist.diff import EditionText, diff_editions, read_edition, word_changes
from mxpublish.errors import SourceError

CONFIG = MINIMAL_CONFIG + 'version: "1.0"\nmarking: OFFICIAL\n'
FIRST = """---
title: First
---

The quick brown fox jumps over the lazy dog near the old river bank.

A second paragraph keeps the reader company for a while.
"""
SECOND = """---
title: Second
---

Nothing in this section changes between the two editions we compare.
"""
SLUG = "a-test-publication"
RECIPIENTS = [f"Recipient {n}" for n in range(1, 41)]
RECIPIENTS[2] = "Núñez, José"  # a comma (quoted in the CSV) and accents


def write_project(root: Path, config: str = CONFIG, first: str = FIRST) -> Path:
    for name, text in {
        "source/publication.yaml": config,
        "source/01-first.md": first,
        "source/02-second.md": SECOND,
    }.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def make_key_pair(folder: Path) -> tuple[Path, Path]:
    """A self-signed RSA certificate and its key, as PEM files."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test Editorial Desk")])
    start = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    usage = x509.KeyUsage(
        digital_signature=True,
        content_commitment=True,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(usage, critical=True)
        .sign(key, hashes.SHA256())
    )
    key_path, cert_path = folder / "key.pem", folder / "cert.pem"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


def verify_signature(data: bytes, cert: Path) -> Any:
    """pyHanko's validation status of the PDF's one signature, trusting ``cert``."""
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    signatures = PdfFileReader(io.BytesIO(data)).embedded_signatures
    assert len(signatures) == 1
    context = ValidationContext(trust_roots=[load_cert_from_pemder(str(cert))])
    return signatures[0], validate_pdf_signature(signatures[0], context)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DistResult]:
    """A project distributed once with 40 numbered copies for named recipients."""
    root = write_project(tmp_path_factory.mktemp("dist"))
    recipients = root / "recipients.csv"
    with recipients.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["recipient", "organisation"])
        writer.writerows([name, "Office"] for name in RECIPIENTS)
    result = make_dist(root, release=True, copies=parse_copies(str(recipients)))
    assert not result.diagnostics, [d.format() for d in result.diagnostics]
    return root, result


@pytest.mark.slow
def test_bundle_holds_every_edition_and_its_sums_check(bundle: tuple[Path, DistResult]) -> None:
    root, result = bundle
    folder = root / "dist" / f"{SLUG}-1.0"
    assert result.folder == folder
    names = {p.relative_to(folder).as_posix() for p in result.files}
    editions = {f"{SLUG}{end}" for end in (".pdf", "-print.pdf", "-booklet.pdf", ".epub", ".html")}
    copies = {f"copies/{SLUG}-copy-{n:02d}-of-40.pdf" for n in range(1, 41)}
    assert names == editions | copies | {"SHA256SUMS", "manifest.json", "sections.json"}
    check = subprocess.run(
        ["sha256sum", "-c", "--strict", "SHA256SUMS"], cwd=folder, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.count(": OK") == len(names) - 1  # every file but the sums themselves
    shop = PdfReader(folder / f"{SLUG}-print.pdf").pages[0]
    assert shop.mediabox.width > shop.trimbox.width  # bleed and marks around the page


@pytest.mark.slow
def test_manifest_records_the_edition_tools_and_digests(bundle: tuple[Path, DistResult]) -> None:
    root, result = bundle
    manifest = json.loads((result.folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["version"] == "1.0"
    assert manifest["date"] == "2024-05-01"
    assert manifest["edition"]["identifier"] == "urn:uuid:12345678-1234-5678-1234-567812345678"
    assert manifest["source_sha256"] == source_digest(root)
    assert manifest["libraries"]["weasyprint"] == metadata.version("weasyprint")
    assert manifest["tool"]["mxpublish"] == metadata.version("mxpublish")
    sums = dict(
        reversed(line.split("  ", 1))
        for line in (result.folder / "SHA256SUMS").read_text().splitlines()
    )
    assert {f["path"]: f["sha256"] for f in manifest["files"]} == {
        path: digest for path, digest in sums.items() if path != "manifest.json"
    }
    copies = manifest["copies"]
    assert [c["number"] for c in copies] == list(range(1, 41))
    assert [c["recipient"] for c in copies] == RECIPIENTS
    assert copies[2]["line"] == "Copy 3 of 40 · Núñez, José"
    assert all(c["sha256"] == sums[c["path"]] for c in copies)


@pytest.mark.slow
def test_zip_is_the_folder_and_deterministic(bundle: tuple[Path, DistResult]) -> None:
    _, result = bundle
    with zipfile.ZipFile(result.archive) as archive:
        infos = archive.infolist()
        names = [info.filename for info in infos]
        assert names == sorted(names)
        assert {info.date_time for info in infos} == {(2024, 5, 1, 0, 0, 0)}
        for info in infos:
            inside = info.filename.removeprefix(f"{SLUG}-1.0/")
            assert archive.read(info) == (result.folder / inside).read_bytes()
    again = deterministic_zip(result.folder, f"{SLUG}-1.0", dt.datetime(2024, 5, 1))
    assert again == result.archive.read_bytes()


def _page_texts(path: Path) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in PdfReader(path).pages]


@pytest.mark.slow
def test_each_copy_carries_its_line_on_every_page(bundle: tuple[Path, DistResult]) -> None:
    _, result = bundle
    for number in (1, 3, 40):
        path = result.folder / f"copies/{SLUG}-copy-{number:02d}-of-40.pdf"
        line = f"Copy {number} of 40 · {RECIPIENTS[number - 1]}"
        for index, text in enumerate(_page_texts(path)):
            assert text.count(line) == 1, (number, index, text)
            assert "OFFICIAL" in text  # the distribution marking is still there
            others = [n for n in range(1, 41) if n != number]
            assert not any(f"Copy {n} of 40 ·" in text for n in others)


@pytest.mark.slow
def test_copies_keep_the_text_and_the_tags(bundle: tuple[Path, DistResult]) -> None:
    """The body text of a copy is the screen edition's (the retention check holds), the copy
    line is an /Artifact sequence on every page, and the tag tree is untouched."""
    _, result = bundle
    screen = result.folder / f"{SLUG}.pdf"
    copy = result.folder / f"copies/{SLUG}-copy-03-of-40.pdf"
    assert pdf_body_text(copy) == pdf_body_text(screen)
    assert "Copy" not in "".join(pdf_body_text(copy))
    before, after = _census(screen), _census(copy)
    assert [c["artifact"] for c in after] == [c["artifact"] + 1 for c in before]
    assert [(c["tagged"], c["bare"]) for c in after] == [(c["tagged"], c["bare"]) for c in before]
    original, stamped = PdfReader(screen), PdfReader(copy)
    assert _struct_tree(stamped) == _struct_tree(original)
    assert b'pdfuaid:part="1"' in _xmp(stamped)
    assert [o.title for o in stamped.outline] == [o.title for o in original.outline]


def _census(path: Path) -> list[dict[str, int]]:
    """Per page, how many text-showing operators are tagged (in a marked-content sequence
    with an MCID), artifacts, or neither."""
    reader = PdfReader(path)
    pages = []
    for page in reader.pages:
        stack: list[str] = []
        counts = {"tagged": 0, "artifact": 0, "bare": 0}
        for operands, operator in ContentStream(page.get_contents(), reader).operations:
            if operator in (b"BDC", b"BMC"):
                props = operands[1] if len(operands) > 1 else {}
                tagged = hasattr(props, "get") and "/MCID" in props
                stack.append("artifact" if operands[0] == "/Artifact" else str(tagged))
            elif operator == b"EMC":
                stack.pop()
            elif operator in (b"Tj", b"TJ", b"'", b'"'):
                kind = "artifact" if "artifact" in stack else "True" in stack and "tagged"
                counts[kind or "bare"] += 1
        assert not stack, "unbalanced marked content"
        pages.append(counts)
    return pages


def _struct_tree(reader: PdfReader) -> list[tuple[str, int]]:
    """The structure elements in order: (type, depth)."""
    found: list[tuple[str, int]] = []

    def walk(node: Any, depth: int) -> None:
        node = node.get_object() if hasattr(node, "get_object") else node
        if isinstance(node, list):
            for child in node:
                walk(child, depth)
        elif hasattr(node, "get") and "/S" in node:
            found.append((str(node["/S"]), depth))
            if "/K" in node:
                walk(node["/K"], depth + 1)

    walk(reader.trailer["/Root"]["/StructTreeRoot"]["/K"], 0)
    assert len(found) > 10
    return found


def _xmp(reader: PdfReader) -> bytes:
    return reader.trailer["/Root"]["/Metadata"].get_object().get_data()


@pytest.mark.slow
def test_stamping_is_deterministic_and_needs_no_new_layout(
    bundle: tuple[Path, DistResult],
) -> None:
    root, result = bundle
    from mxpublish.build import load

    _, publication = load(root)
    pdf = (result.folder / f"{SLUG}.pdf").read_bytes()
    copies = (Copy(3, 40, RECIPIENTS[2]),)
    assert stamp_copies(publication, pdf, copies) == stamp_copies(publication, pdf, copies)
    expected = (result.folder / f"copies/{SLUG}-copy-03-of-40.pdf").read_bytes()
    assert stamp_copies(publication, pdf, copies)[0] == expected


@pytest.mark.slow
def test_a_signed_copy_verifies_and_stays_pdf_ua(
    bundle: tuple[Path, DistResult], tmp_path: Path
) -> None:
    from mxpublish.dist.sign import load_signer, sign_pdf

    _, result = bundle
    key, cert = make_key_pair(tmp_path)
    unsigned = (result.folder / f"copies/{SLUG}-copy-03-of-40.pdf").read_bytes()
    signed = sign_pdf(unsigned, load_signer(key, cert))
    assert signed.startswith(unsigned)  # an incremental update: the copy's bytes are kept
    signature, status = verify_signature(signed, cert)
    assert status.intact and status.valid and status.trusted, status.pretty_print_details()
    assert status.bottom_line
    assert signature.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"  # PAdES
    reader = PdfReader(io.BytesIO(signed))
    field = reader.trailer["/Root"]["/AcroForm"]["/Fields"][0].get_object()
    assert field["/FT"] == "/Sig" and field["/TU"]
    assert int(field["/F"]) & 2  # hidden: no unlabelled, untagged widget on the page
    assert reader.pages[0]["/Tabs"] == "/S"
    assert b'pdfuaid:part="1"' in _xmp(reader)
    assert "Copy 3 of 40" in reader.pages[1].extract_text()


@pytest.mark.slow
def test_stamping_and_signing_add_no_pdf_ua_failure(
    bundle: tuple[Path, DistResult], tmp_path: Path
) -> None:
    """veraPDF-style rules (``page``, PDF/UA-1): a copy, and a signed copy, fail exactly what
    the screen edition fails, if anything."""
    from mxpublish.dist.sign import load_signer, sign_pdf
    from mxpublish.verify.validators import check_pdf_conformance

    _, result = bundle
    copy = result.folder / f"copies/{SLUG}-copy-03-of-40.pdf"
    signed = tmp_path / "signed.pdf"
    signed.write_bytes(sign_pdf(copy.read_bytes(), load_signer(*make_key_pair(tmp_path))))

    def failures(path: Path) -> list[tuple[str, str | None]]:
        checks = check_pdf_conformance(path)
        assert [c.name for c in checks] == ["pdf-conformance:ua1"]
        outcome = [(checks[0].verdict, checks[0].detail)]
        return outcome + [(f.message, f.rule) for f in checks[0].findings]

    screen = failures(result.folder / f"{SLUG}.pdf")
    assert failures(copy) == screen
    assert failures(signed) == screen


@pytest.mark.slow
def test_cli_dist_signs_every_pdf(tmp_path: Path) -> None:
    root = write_project(tmp_path / "project")
    key, cert = make_key_pair(tmp_path)
    out = tmp_path / "out"
    args = ["dist", str(root), "-o", str(out), "--copies", "2", "--sign", str(key)]
    result = CliRunner().invoke(main, [*args, "--cert", str(cert)])
    assert result.exit_code == 0, result.output
    folder = out / f"{SLUG}-1.0"
    pdfs = sorted(folder.rglob("*.pdf"))
    assert len(pdfs) == 5  # screen, print, booklet, two copies
    for pdf in pdfs:
        _, status = verify_signature(pdf.read_bytes(), cert)
        assert status.bottom_line, pdf
    assert str(out / f"{SLUG}-1.0.zip") in result.stdout.splitlines()
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["signed"] is True
    assert [c["line"] for c in manifest["copies"]] == ["Copy 1 of 2", "Copy 2 of 2"]


def test_dist_release_refuses_a_draft(tmp_path: Path) -> None:
    draft = FIRST.replace("title: First", "title: First\nstatus: draft")
    root = write_project(tmp_path / "project", first=draft)
    result = CliRunner().invoke(main, ["dist", str(root), "--release"])
    assert result.exit_code == 1
    assert "STATUS-NOT-FINAL" in result.output
    assert not (root / "dist").exists()


def test_dist_checks_the_signing_key_before_building(tmp_path: Path) -> None:
    root = write_project(tmp_path / "project")
    missing = [str(tmp_path / "no-key.pem"), str(tmp_path / "no-cert.pem")]
    args = ["dist", str(root), "--sign", missing[0], "--cert", missing[1]]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert "SIGN-FILE no such file" in result.output
    assert not (root / "dist").exists()


def test_dist_needs_a_version(tmp_path: Path) -> None:
    root = write_project(tmp_path / "project", config=MINIMAL_CONFIG)
    result = CliRunner().invoke(main, ["dist", str(root)])
    assert result.exit_code == 2
    assert "DIST-VERSION" in result.output and "version" in result.output


@pytest.mark.slow
def test_diff_of_two_editions_lists_exactly_the_changed_words(
    bundle: tuple[Path, DistResult], tmp_path: Path
) -> None:
    """Edition 1.1 changes one word, drops one, adds a sentence and a section."""
    _, result = bundle
    first = FIRST.replace("quick brown", "slow brown").replace(" old river", " river")
    first += "\nA closing sentence arrives.\n"
    root = write_project(tmp_path / "project", CONFIG.replace('"1.0"', '"1.1"'), first)
    (root / "source/03-third.md").write_text("---\ntitle: Third\n---\n\nAll new.\n")
    html = tmp_path / "changes.html"
    cli = CliRunner().invoke(main, ["diff", str(result.folder), str(root), "-o", str(html)])
    assert cli.exit_code == 0, cli.output
    assert cli.stdout.splitlines() == [
        "changed   +5 -2  First",
        "unchanged +0 -0  Second",
        "added     +2 -0  Third",
    ]
    diffs = diff_editions(read_edition(result.folder), read_edition(root))
    assert diffs[0].removed == ("quick", "old")
    assert diffs[0].added == ("slow", "A", "closing", "sentence", "arrives.")
    page = html.read_text(encoding="utf-8")
    assert "<del>quick</del> <ins>slow</ins>" in page
    assert "<del>old</del>" in page
    assert "From edition 1.0 to edition 1.1" in page
    assert read_edition(result.archive).sections == read_edition(result.folder).sections


def test_diff_against_a_git_revision(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    root = write_project(repo / "brief")
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org"}
    env |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, env=env)

    git("init", "-q")
    git("add", ".")
    git("commit", "-qm", "edition 1.0")
    git("tag", "v1.0")
    (root / "source/02-second.md").write_text(SECOND.replace("Nothing in", "Something in"))
    result = CliRunner().invoke(main, ["diff", "git:v1.0", str(root)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "unchanged +0 -0  First",
        "changed   +1 -1  Second",
    ]
    bad = CliRunner().invoke(main, ["diff", "git:no-such-tag", str(root)])
    assert bad.exit_code == 2 and "DIFF-GIT" in bad.output


def test_word_changes_report_runs_with_context() -> None:
    changes = word_changes("one two three four", "one 2 three four five")
    assert [(c.removed, c.added) for c in changes] == [(("two",), ("2",)), ((), ("five",))]
    assert changes[1].before == ("one", "2", "three", "four")
    old = EditionText("1", "T", "en", (("a", "A", "x y"), ("b", "B", "gone")))
    new = EditionText("2", "T", "en", (("a", "A2", "x y"),))
    diffs = diff_editions(old, new)
    assert [(d.id, d.status, d.old_title) for d in diffs] == [
        ("a", "changed", "A"),
        ("b", "removed", None),
    ]
    assert diffs[1].removed == ("gone",)


def test_parse_copies(tmp_path: Path) -> None:
    assert [c.line for c in parse_copies("3")] == ["Copy 1 of 3", "Copy 2 of 3", "Copy 3 of 3"]
    plain = tmp_path / "plain.csv"
    plain.write_text("Ada Lovelace,x\n\nAlan Turing\n", encoding="utf-8")
    assert [c.line for c in parse_copies(str(plain))] == [
        "Copy 1 of 2 · Ada Lovelace",
        "Copy 2 of 2 · Alan Turing",
    ]
    assert Copy(7, 120).path("b") == "copies/b-copy-007-of-120.pdf"
    named = tmp_path / "named.csv"
    named.write_text("office,name\nX,Grace Hopper\n", encoding="utf-8")
    assert parse_copies(str(named))[0].recipient == "Grace Hopper"
    for bad in ("0", str(tmp_path / "missing.csv")):
        with pytest.raises(Exception, match=r"copies|recipients"):
            parse_copies(bad)


def test_version_is_a_safe_file_name(make_project: Any) -> None:
    from mxpublish.build import load

    root = make_project({"source/publication.yaml": MINIMAL_CONFIG + 'version: "../1"\n'})
    with pytest.raises(SourceError, match="version"):
        load(root)
    root = make_project({"source/publication.yaml": MINIMAL_CONFIG + "version: 2.1\n"})
    assert load(root)[1].metadata.version == "2.1"
