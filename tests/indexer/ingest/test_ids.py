import pytest

from indexer.ingest.ids import normalize_arxiv_id


@pytest.mark.parametrize(
    "text,expected",
    [
        ("2404.12253", "2404.12253"),
        ("2404.12253v3", "2404.12253"),
        (" arXiv:2404.12253 ", "2404.12253"),
        ("https://arxiv.org/abs/2404.12253", "2404.12253"),
        ("https://arxiv.org/pdf/2404.12253v2.pdf", "2404.12253"),
        ("arxiv.org/abs/2311.1012", "2311.1012"),
        ("cs/0601001v1", "cs/0601001"),
        ("long context KV cache", None),
        ("12345", None),
        ("", None),
    ],
)
def test_normalize_arxiv_id(text, expected):
    assert normalize_arxiv_id(text) == expected
