"""mmrec_core: the tested package behind the mmrec companion book.

Data flows one way: files -> loaders (``mmrec_core.data``) -> splits -> (features) -> models
-> trainer -> evaluate -> results (``mmrec_core.results``) -> book.
Heavy imports (torch, surprise, transformers) live inside the functions that need them.
"""
__version__ = "0.1.0"
