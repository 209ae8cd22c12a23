"""Figures for the book: every plot a chapter shows is drawn by a function here.

This is the only module that imports matplotlib. The functions take plain NumPy
callables and arrays (often lambdified from a SymPy derivation), draw on a given
``Axes`` or a new figure, and return the figure so a chapter can caption it.

The functions live in submodules by part of the book -- ``calculus`` (part I),
``depth``, ``mlp``, ``training`` and ``optim`` (part II), ``cnn`` (part III), ``margin`` and
``metric`` (part IV), ``rnn`` (part V), with shared helpers in ``_common`` -- and are all re-exported here, so chapters call
``plotting.plot_xxx(...)`` whichever submodule defines it.

Importing the module applies the book's figure style (``_style``: figure sizes and font sizes
chosen so that no text is displayed below 9 CSS px in the book's content column, and retina
PNGs in Jupyter).
"""

from __future__ import annotations

from . import _style
from ._common import grid_2d
from .calculus import (
    plot_computational_graph,
    plot_descent_paths,
    plot_error_vs_step,
    plot_in_out_error,
    plot_loss_curves,
    plot_quadratic_model,
    plot_regression_fits,
)
from .cnn import (
    conv_geometry,
    plot_conv_geometry,
    plot_conv_geometry_grid,
    plot_conv_matrix,
    plot_feature_maps,
    plot_kernels,
    plot_pool_gradients,
)
from .depth import (
    activation_depth_profile,
    init_depth_statistics,
    plot_depth_profile,
    plot_functions_and_derivatives,
    plot_init_statistics,
)
from .margin import plot_angular_features, plot_margin_functions
from .metric import plot_contrastive_pair_loss, plot_feature_clouds, plot_triplet_regions
from .mlp import (
    plot_backprop_graph,
    plot_backward_pass,
    plot_forward_pass,
    plot_mlp,
    plot_scalar_graph,
)
from .optim import (
    plot_contraction_rates,
    plot_curves_grid,
    plot_early_stopping,
    plot_lr_sweep,
    plot_optimizer_paths,
)
from .rnn import plot_gradient_norms, plot_unrolled_rnn
from .training import (
    plot_confusion_matrix,
    plot_decision_region_grid,
    plot_decision_regions,
    plot_gd_comparison,
    plot_image_grid,
    plot_learning_curves,
    plot_softmax_cross_entropy,
)

__all__ = [
    "plot_quadratic_model",
    "plot_error_vs_step",
    "plot_computational_graph",
    "grid_2d",
    "plot_loss_curves",
    "plot_regression_fits",
    "plot_in_out_error",
    "plot_descent_paths",
    "plot_softmax_cross_entropy",
    "plot_functions_and_derivatives",
    "activation_depth_profile",
    "plot_depth_profile",
    "plot_scalar_graph",
    "plot_mlp",
    "plot_forward_pass",
    "plot_decision_regions",
    "plot_decision_region_grid",
    "init_depth_statistics",
    "plot_init_statistics",
    "plot_gd_comparison",
    "plot_learning_curves",
    "plot_confusion_matrix",
    "plot_image_grid",
    "plot_backprop_graph",
    "plot_backward_pass",
    "conv_geometry",
    "plot_conv_geometry",
    "plot_conv_matrix",
    "plot_conv_geometry_grid",
    "plot_pool_gradients",
    "plot_kernels",
    "plot_feature_maps",
    "plot_unrolled_rnn",
    "plot_gradient_norms",
    "plot_contrastive_pair_loss",
    "plot_triplet_regions",
    "plot_feature_clouds",
    "plot_margin_functions",
    "plot_angular_features",
    "plot_optimizer_paths",
    "plot_contraction_rates",
    "plot_curves_grid",
    "plot_early_stopping",
    "plot_lr_sweep",
]

# The public API is bpnet_lib.plotting, not its submodules: the book cites these functions
# as {py:func}`bpnet_lib.plotting.name` and the library appendix documents them with
# `.. automodule:: bpnet_lib.plotting` + `:members:`. Sphinx autodoc skips members whose
# __module__ is another module, so without this they would vanish from the appendix and
# every such cross-reference would fail (the book builds with -W -n). Rebinding __module__
# makes each function report the module it is used from, exactly as before the split; the
# code objects keep their real file names, so tracebacks and inspect.getsource still point
# at the submodule that defines them.
for _name in __all__:
    globals()[_name].__module__ = __name__
del _name

_style.apply()
