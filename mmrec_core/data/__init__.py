"""Data layer: MovieLens loaders, content (posters, texts), synthetic data, splits, statistics."""
from .content import coverage_report, load_content
from .download import download_dataset, safe_extract, sha256_of, verify_file
from .errors import ChecksumMismatch, DataError, DataFileMissing, DownloadFailed, DuplicateRating, MalformedLine, UnsafeArchive
from .formats import FORMATS, GENOME_GENRES, get_format
from .genome import GenomeScores, load_genome_movielens, load_genome_scores, load_genome_tags
from .movielens import MovieLens, load_canonical_split, load_movielens
from .splits import XIA_SPLIT, Split, canonical_split, canonical_split_name, kfold_indices, kfold_name, xia_split, xia_split_indices
from .synthetic import SyntheticSpec, write_synthetic_genome, write_synthetic_movielens

__all__ = [
    "ChecksumMismatch", "DataError", "DataFileMissing", "DownloadFailed", "DuplicateRating",
    "FORMATS", "GENOME_GENRES", "GenomeScores", "MalformedLine", "MovieLens", "Split", "SyntheticSpec",
    "UnsafeArchive", "XIA_SPLIT", "coverage_report", "download_dataset",
    "canonical_split", "canonical_split_name", "get_format", "kfold_indices", "kfold_name",
    "load_canonical_split", "load_content",
    "load_genome_movielens", "load_genome_scores", "load_genome_tags",
    "load_movielens", "safe_extract", "sha256_of", "verify_file", "write_synthetic_genome",
    "write_synthetic_movielens", "xia_split", "xia_split_indices",
]
