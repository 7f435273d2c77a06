import pytest

from shared.uploads import LocalFileStore


def test_a_document_is_stored_under_its_supplier_with_a_name_of_the_stores_making(tmp_path):
    store = LocalFileStore(tmp_path)
    key = store.put(7, "pdf", b"%PDF-1.4")
    assert key.startswith("documents/7/") and key.endswith(".pdf")
    assert (tmp_path / key).read_bytes() == b"%PDF-1.4"
    assert store.get(key) == b"%PDF-1.4"
    assert [p.name for p in (tmp_path / "documents" / "7").iterdir()] == [key.rsplit("/", 1)[1]]


@pytest.mark.parametrize("key", ["../outside.pdf", "documents/../../outside.pdf", "/etc/passwd",
                                 "documents/7/../../../x"])
def test_a_key_that_leaves_the_store_is_refused(tmp_path, key):
    store = LocalFileStore(tmp_path / "store")
    with pytest.raises(ValueError):
        store.get(key)


@pytest.mark.parametrize("supplier_id, extension", [("../1", "pdf"), (1, "../pdf"), (1, "p/df"), (1, "")])
def test_keys_are_made_only_of_an_integer_supplier_and_a_plain_extension(tmp_path, supplier_id, extension):
    with pytest.raises(ValueError):
        LocalFileStore(tmp_path).put(supplier_id, extension, b"x")
    assert list(tmp_path.iterdir()) == []
