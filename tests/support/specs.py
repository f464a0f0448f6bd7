"""Specs shared by tests."""

# DESIGN.md section 2, verbatim.
DESIGN_SPEC = {
    "name": "svm-digits",
    "executor": "svm_digits",
    "objective": {"metric": "accuracy", "direction": "maximize"},
    "sampler": {"type": "bayesian", "seed": 7, "n_startup": 10},
    "n_trials": 40,
    "pruner": {"type": "median", "n_warmup_steps": 2, "n_min_trials": 5},
    "search_space": [
        {"name": "C", "type": "float", "low": 0.001, "high": 1000, "scale": "log"},
        {"name": "kernel", "type": "categorical", "choices": ["rbf", "poly"]},
        {"name": "degree", "type": "int", "low": 2, "high": 5, "when": {"kernel": ["poly"]}},
    ],
}
