"""The neural replicas: one file per model, and the registry that names them.

Each replica is one module here holding its config dataclass, its ``nn.Module``, a ``build_*``
function taking ``(config, rating_encoder)`` and a docstring of its deviations from the paper
(``fusion.py`` is the example). One :class:`ModelEntry` line in :data:`REGISTRY` adds a model; the
registry supplies

- the **code fingerprint** that keys the run cache: every package file that the model's own file
  and the code that trains and evaluates every model (:data:`SHARED_CODE`) import, followed through
  their imports (:func:`mmrec_core.paths.package_imports`, no hand-kept list), so a new model file
  can never reuse another model's runs and an edit retires exactly the runs whose code it touches;
- the **metrics** of its prediction methods (metric name -> model method and metric function from
  :data:`mmrec_core.evaluate.METRICS`), so a hit rate is never recorded as an RMSE;
- which **content tables** a configuration reads, so result rows name the encoders that made them.

The modules are imported lazily (``get_model("fusion").module``): ``import mmrec_core`` stays fast.
"""
from __future__ import annotations

import hashlib
import importlib
from dataclasses import dataclass, field

from ..paths import hash_package_sources, package_imports

# Where every model's numbers are made (relative to mmrec_core/): the run cache (which trains and
# evaluates) and the input encoder. Their imports (trainer, metrics, device) are found, not listed.
SHARED_CODE = ("inputs.py", "run_cache.py")


@dataclass(frozen=True)
class ModelEntry:
    name: str                       # registry key and run-cache name ("fusion")
    module_name: str                # file in mmrec_core/models/ without .py
    config_class: str               # its config dataclass
    build: str                      # its build function: build(config, rating_encoder) -> nn.Module
    label: str                      # the ``model`` column of result rows ("Fusion")
    paper: str                      # the paper whose table it fills ("xia", "tsem")
    # metric -> (model method returning ratings, metric function name in evaluate.METRICS)
    metrics: dict = field(default_factory=lambda: {"rmse": ("predict", "rmse")})
    extra_code: tuple = ()          # package files its numbers depend on that no import reaches
    content: str = ""               # name of a function of the module: config -> content keys used
    fit: str = ""                   # name of the module's own trainer fit(model, parts, train_cfg); "": train.fit

    @property
    def module(self):
        return importlib.import_module(f"{__name__}.{self.module_name}")

    def config(self, **overrides):
        return getattr(self.module, self.config_class)(**overrides)

    def build_model(self, config, encoder):
        return getattr(self.module, self.build)(config, encoder)

    def fit_model(self, model, parts: dict, train_cfg):
        """Train ``model`` on an experiment's parts: ``train.fit(model, train, val, cfg)``, or the
        module's own trainer where the entry names one (a model that does not train on mini-batches)."""
        if self.fit:
            return getattr(self.module, self.fit)(model, parts, train_cfg)
        from ..train import fit

        return fit(model, parts["train"], parts["val"], train_cfg)

    def content_used(self, config, encoder) -> list[str]:
        """Content-table keys of ``encoder`` that a model with ``config`` reads."""
        if not self.content:
            return []
        return list(getattr(self.module, self.content)(config, encoder))

    def code_files(self) -> tuple[str, ...]:
        """The model's file, :data:`SHARED_CODE`, ``extra_code`` and every package file they import."""
        return package_imports((f"models/{self.module_name}.py", "models/__init__.py", *SHARED_CODE, *self.extra_code))

    def fingerprint(self) -> str:
        """Hash of every source file that determines this model's numbers (part of each run key)."""
        h = hashlib.sha256(self.name.encode())
        hash_package_sources(h, self.code_files())
        return h.hexdigest()[:12]


_TSEM_METRICS = {"rmse": ("predict", "rmse"), "mse": ("predict", "mse"), "mae": ("predict", "mae")}

REGISTRY: dict[str, ModelEntry] = {e.name: e for e in (
    ModelEntry("fusion", "fusion", "FusionConfig", "build_fusion", "Fusion", "xia",
               metrics={"rmse": ("predict", "rmse"), "rmse_argmax": ("predict_argmax", "rmse")},
               content="content_keys"),
    ModelEntry("mu", "mu", "MuConfig", "build_mu", "Mu", "xia",
               extra_code=("features/pixels.py",), content="content_keys"),   # decodes its pixel table
    ModelEntry("siet", "siet", "SietConfig", "build_siet", "Siet", "xia",
               metrics={"rmse": ("predict", "rmse"), "mae": ("predict", "mae")}, content="content_keys"),
    ModelEntry("aljunid", "aljunid", "AljunidConfig", "build_aljunid", "Aljunid", "xia",
               metrics={"rmse": ("predict", "rmse"), "mae": ("predict", "mae")}, content="content_keys"),
    # The CityU report's four models (section 9); they share models/tsem_parts.py.
    *(ModelEntry(name, name, cls, f"build_{name}", label, "tsem", metrics=dict(_TSEM_METRICS),
                 content="content_keys")
      for name, cls, label in (("tsem_nn", "TsemNNConfig", "NN"), ("tsem_mf", "TsemMFConfig", "MF"),
                               ("tsem_mf_nn", "TsemMFNNConfig", "MF_NN"), ("tsem", "TSEMConfig", "TSEM"))),
    # GLocal-K (Han et al., CIKM 2021): trains on the whole rating matrix with L-BFGS, by its own trainer
    ModelEntry("glocal_k", "glocal_k", "GlocalKConfig", "build_glocal_k", "GLocal-K", "glocal_k",
               metrics={"rmse": ("predict", "rmse"), "mae": ("predict", "mae")}, content="content_keys",
               fit="fit_parts"),
    # Ours, not a replica (kept apart: paper "ours" in the results)
    ModelEntry("hybrid_mf", "ours_hybrid_mf", "HybridMFConfig", "build_hybrid_mf", "HybridMF", "ours",
               metrics={"rmse": ("predict", "rmse"), "mae": ("predict", "mae")}, content="content_keys"),
)}


def get_model(name: str) -> ModelEntry:
    try:
        return REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown model {name!r}; registered: {sorted(REGISTRY)}") from None
