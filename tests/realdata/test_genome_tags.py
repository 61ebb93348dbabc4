"""The verbatim ML-25M genome-tags.csv in the mirror (skipped where it is absent)."""
import os
from pathlib import Path

import pytest

from mmrec_core.data import get_format, load_genome_tags, sha256_of

pytestmark = pytest.mark.realdata

REAL_DATA = Path(os.environ.get("MMREC_DATA") or Path(__file__).resolve().parents[2].parent / "shared" / "data")
GENOME_TAGS = REAL_DATA / "genome" / "genome-tags.csv"


@pytest.fixture(scope="module")
def genome_tags_path() -> Path:
    if not GENOME_TAGS.exists():
        pytest.skip(f"the ML-25M genome-tags.csv is not in {GENOME_TAGS.parent} (set MMREC_DATA)")
    return GENOME_TAGS


def test_genome_tags_has_1128_tags(genome_tags_path):
    tags = load_genome_tags(genome_tags_path)
    assert len(tags) == 1128
    assert tags.tag_id.tolist() == list(range(1, 1129))
    assert tags.tag.is_unique and (tags.tag.str.strip() != "").all()


def test_genome_tags_matches_the_recorded_sha256(genome_tags_path):
    spec = get_format("ml-25m").spec("genome-tags.csv")
    assert spec.sha256 == "5ca4fe25f16c092517c6ab09654f7dd135ad62cea06e5242dcb2793487e162ae"
    assert sha256_of(genome_tags_path) == spec.sha256
