"""Neural replicas: one file per model (``fusion.py``: Xia et al.; ``mu.py``: Mu & Wu), the shared
input encoder (``inputs.py``), poster pixels (``poster_pixels.py``) and figures (``plots.py``).

Import the submodules directly (``from mmrec_core.models.fusion import FusionTransformer``); this
package file imports nothing heavy so ``import mmrec_core`` stays fast.
"""
