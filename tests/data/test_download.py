import hashlib
import io
import tarfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from gradcli.data import DataError, dataset_status, download, download_file
from gradcli.data.sources import RemoteDataset, RemoteFile

from .test_real_datasets import ROOT
from .writers import write_mnist

SHARED_MNIST = ROOT / "mnist"
PAYLOAD = bytes(range(256)) * 4000  # ~1 MB: several read chunks
PAYLOAD_MD5 = hashlib.md5(PAYLOAD).hexdigest()


class Handler(BaseHTTPRequestHandler):
    files: dict[str, bytes] = {}
    requests: list[str] = []

    def do_GET(self):  # noqa: N802 (http.server naming)
        self.requests.append(self.path)
        kind, _, name = self.path.strip("/").partition("/")
        body = self.files.get(name)
        if body is None or kind not in ("ok", "cut", "flaky"):
            self.send_error(404)
            return
        if kind == "flaky" and self.requests.count(self.path) == 1:  # fails once, then works
            self.send_error(503)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        # "cut" promises the whole file, sends half, then drops the connection.
        self.wfile.write(body[: len(body) // 2] if kind == "cut" else body)
        if kind == "cut":
            self.close_connection = True

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(autouse=True)
def serve_payload():
    Handler.files = {"blob.bin": PAYLOAD}
    Handler.requests = []


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_download_file_streams_verifies_and_reports_progress(server, tmp_path):
    calls = []
    dest = download_file(
        [f"{server}/ok/blob.bin"],
        tmp_path / "d" / "blob.bin",
        PAYLOAD_MD5,
        progress=lambda done, total: calls.append((done, total)),
    )
    assert dest.read_bytes() == PAYLOAD
    assert calls[0] == (0, len(PAYLOAD)) and calls[-1] == (len(PAYLOAD), len(PAYLOAD))
    assert [c[0] for c in calls] == sorted(c[0] for c in calls)
    assert leftovers(tmp_path / "d") == ["blob.bin"]


def test_checksum_mismatch_leaves_nothing(server, tmp_path):
    with pytest.raises(DataError) as err:
        download_file([f"{server}/ok/blob.bin"], tmp_path / "blob.bin", "0" * 32, retries=0)
    msg = str(err.value)
    assert "could not download blob.bin" in msg and "checksum mismatch" in msg
    assert f"expected MD5 {'0' * 32}" in msg
    assert leftovers(tmp_path) == []


def test_interrupted_transfer_leaves_nothing(server, tmp_path):
    with pytest.raises(DataError, match="interrupted after 512,000 bytes, 512,000 missing"):
        download_file([f"{server}/cut/blob.bin"], tmp_path / "blob.bin", PAYLOAD_MD5, retries=0)
    assert leftovers(tmp_path) == []


def test_interrupt_by_user_removes_temp_file(server, tmp_path):
    def stop(done, total):
        if done:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        download_file([f"{server}/ok/blob.bin"], tmp_path / "blob.bin", PAYLOAD_MD5, stop)
    assert leftovers(tmp_path) == []


def test_falls_back_to_next_mirror(server, tmp_path):
    urls = [f"{server}/missing/blob.bin", f"{server}/ok/blob.bin"]
    dest = download_file(urls, tmp_path / "blob.bin", PAYLOAD_MD5, retries=0)
    assert dest.read_bytes() == PAYLOAD
    assert Handler.requests == ["/missing/blob.bin", "/ok/blob.bin"]


def test_a_transient_failure_is_retried_on_the_same_url(server, tmp_path):
    urls = [f"{server}/flaky/blob.bin", f"{server}/ok/blob.bin"]
    dest = download_file(urls, tmp_path / "blob.bin", PAYLOAD_MD5, retries=1)
    assert dest.read_bytes() == PAYLOAD
    assert Handler.requests == ["/flaky/blob.bin", "/flaky/blob.bin"]
    assert leftovers(tmp_path) == ["blob.bin"]


def test_every_url_failing_names_each_url_and_cause(server, tmp_path):
    urls = [f"{server}/missing/blob.bin", f"{server}/cut/blob.bin"]
    with pytest.raises(DataError) as err:
        download_file(urls, tmp_path / "blob.bin", PAYLOAD_MD5, retries=0)
    msg = str(err.value)
    assert f"{urls[0]}: HTTP 404" in msg and f"{urls[1]}: transfer interrupted" in msg
    assert "\n" not in msg and len(msg) < 600


def test_no_network_says_where_to_put_the_file(tmp_path):
    url = "http://127.0.0.1:9/train-images-idx3-ubyte.gz"  # discard port: connection refused
    with pytest.raises(DataError) as err:
        download_file([url], tmp_path / "mnist" / url.rsplit("/")[-1], timeout=2, retries=0)
    msg = str(err.value)
    assert f"{url}: Connection refused" in msg
    assert f"download it by hand from {url} and copy it into {tmp_path / 'mnist'}" in msg
    assert "GRADCLI_DATA_DIR" in msg
    assert leftovers(tmp_path / "mnist") == []


def test_file_url(tmp_path):
    src = tmp_path / "src.bin"
    src.write_bytes(PAYLOAD)
    dest = download_file([src.as_uri()], tmp_path / "out" / "x.bin", PAYLOAD_MD5)
    assert dest.read_bytes() == PAYLOAD


def _tarball(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def test_download_dataset_with_archive_and_skip_when_verified(server, tmp_path):
    archive = _tarball({"pack/a.bin": b"A" * 10, "pack/b.bin": b"B" * 20, "../evil": b"x"})
    Handler.files = {"pack.tar.gz": archive}
    spec = RemoteDataset(
        name="toy",
        folder="toy",
        mirrors=(f"{server}/ok/",),
        files=(RemoteFile("pack.tar.gz", hashlib.md5(archive).hexdigest()),),
        required={"train": (("pack/a.bin",),)},
        homepage="",
        license="",
        extract=("pack/a.bin", "pack/b.bin"),
    )
    names = []
    folder = download(spec, root=tmp_path, on_file=names.append)
    assert folder == tmp_path / "toy" and names == ["pack.tar.gz"]
    assert (folder / "pack" / "a.bin").read_bytes() == b"A" * 10
    assert (folder / "pack" / "b.bin").read_bytes() == b"B" * 20
    assert not (tmp_path / "evil").exists()
    download(spec, root=tmp_path)  # already verified: no second request
    assert len(Handler.requests) == 1
    (folder / "pack" / "b.bin").unlink()
    download(spec, root=tmp_path)  # a member gone: unpacked again from the kept archive
    assert (folder / "pack" / "b.bin").read_bytes() == b"B" * 20 and len(Handler.requests) == 1
    download(spec, root=tmp_path, force=True)
    assert len(Handler.requests) == 2
    assert leftovers(folder) == ["pack", "pack.tar.gz"]


def test_archive_without_a_listed_member_is_one_clear_error(server, tmp_path):
    archive = _tarball({"pack/a.bin": b"A"})
    Handler.files = {"pack.tar.gz": archive}
    spec = RemoteDataset(
        name="toy",
        folder="toy",
        mirrors=(f"{server}/ok/",),
        files=(RemoteFile("pack.tar.gz", hashlib.md5(archive).hexdigest()),),
        required={"train": (("pack/a.bin",),)},
        homepage="",
        license="",
        extract=("pack/a.bin", "pack/b.bin"),
    )
    with pytest.raises(DataError, match="archive has no member pack/b.bin"):
        download(spec, root=tmp_path)
    assert leftovers(tmp_path / "toy") == ["pack", "pack.tar.gz"]


def test_unknown_dataset_name(tmp_path):
    with pytest.raises(DataError, match="unknown downloadable dataset 'svhn'; known: cifar10"):
        download("svhn", root=tmp_path)


def test_dataset_status_reports_presence_and_checksums(tmp_path):
    status = {s.name: s for s in dataset_status(tmp_path)}
    assert set(status) == {"mnist", "fashion-mnist", "cifar10"}
    assert not status["mnist"].ready and not any(f.present for f in status["mnist"].files)
    write_mnist(tmp_path / "mnist")  # right names, wrong bytes
    mnist = {s.name: s for s in dataset_status(tmp_path)}["mnist"]
    assert mnist.ready and not mnist.verified
    assert all(f.present and f.checksum_ok is False for f in mnist.files)
    assert mnist.folder == tmp_path / "mnist"
    quick = {s.name: s for s in dataset_status(tmp_path, verify=False)}["mnist"]
    assert all(f.checksum_ok is None for f in quick.files)


@pytest.mark.skipif(not SHARED_MNIST.is_dir(), reason="no real MNIST files")
def test_download_real_mnist_from_local_mirror(server, tmp_path):
    Handler.files = {p.name: p.read_bytes() for p in SHARED_MNIST.glob("*.gz")}
    mirrors = [f"{server}/missing/", f"{server}/ok/"]
    folder = download("mnist", root=tmp_path, mirrors=mirrors, retries=0)
    assert sorted(p.name for p in folder.iterdir()) == sorted(Handler.files)
    mnist = {s.name: s for s in dataset_status(tmp_path)}["mnist"]
    assert mnist.ready and mnist.verified


def test_an_unwritable_folder_is_not_blamed_on_the_urls(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(DataError, match=r"cannot create .*file/mnist \(Not a directory\); choose"):
        download_file(["http://127.0.0.1:9/x.bin"], tmp_path / "file" / "mnist" / "x.bin")
