"""Real executors on scikit-learn's bundled datasets (no download needed).

scikit-learn is imported inside the functions so start-up and list_executors stay fast.
"""

from __future__ import annotations

from functools import cache

from .registry import TrialPruned, executor


@cache
def _digits_split(seed: int = 0):
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    X, y = load_digits(return_X_y=True)
    X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.25, random_state=seed, stratify=y)
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_val), y_train, y_val


@executor("svm_digits", description="SVC on the bundled digits data, 3-fold CV; params C, gamma (log floats), kernel")
def svm_digits(params, trial):
    from sklearn.datasets import load_digits
    from sklearn.model_selection import StratifiedKFold
    from sklearn.svm import SVC

    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    scores = []
    folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
    for step, (train, test) in enumerate(folds.split(X, y)):
        model = SVC(
            C=params.get("C", 1.0),
            gamma=params.get("gamma", "scale"),
            kernel=params.get("kernel", "rbf"),
            degree=params.get("degree", 3),
        )
        scores.append(model.fit(X[train], y[train]).score(X[test], y[test]))
        trial.report(step, accuracy=sum(scores) / len(scores))
        if trial.should_prune():
            raise TrialPruned(f"mean accuracy {sum(scores) / len(scores):.4f} after {step + 1} folds")
    return {"accuracy": sum(scores) / len(scores)}


def _train_by_epoch(model, trial, epochs: int) -> dict[str, float]:
    """partial_fit one epoch at a time on the digits split, reporting validation accuracy
    after each so the pruner can stop a weak trial early."""
    import numpy as np

    X_train, X_val, y_train, y_val = _digits_split()
    classes = np.unique(y_train)
    accuracy = 0.0
    for epoch in range(epochs):
        model.partial_fit(X_train, y_train, classes=classes)
        accuracy = model.score(X_val, y_val)
        trial.report(epoch, accuracy=accuracy)
        if trial.should_prune():
            raise TrialPruned(f"validation accuracy {accuracy:.4f} at epoch {epoch}")
    return {"accuracy": accuracy, "train_accuracy": model.score(X_train, y_train)}


@executor(
    "sgd_digits",
    description="SGD linear classifier on digits, trained epoch by epoch "
    "(reports validation accuracy each epoch); params alpha, eta0, loss, epochs",
)
def sgd_digits(params, trial):
    from sklearn.linear_model import SGDClassifier

    model = SGDClassifier(
        loss=params.get("loss", "hinge"),
        alpha=params.get("alpha", 1e-4),
        learning_rate="constant",
        eta0=params.get("eta0", 0.01),
        random_state=trial.number,
    )
    return _train_by_epoch(model, trial, int(params.get("epochs", 20)))


@executor(
    "mlp_digits",
    description="a small neural network on digits, trained epoch by epoch (reports validation "
    "accuracy each epoch); params hidden, alpha, learning_rate_init, epochs",
)
def mlp_digits(params, trial):
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    model = MLPClassifier(
        hidden_layer_sizes=(int(params.get("hidden", 64)),),
        alpha=params.get("alpha", 1e-4),
        learning_rate_init=params.get("learning_rate_init", 1e-3),
        batch_size=64,
        random_state=trial.number,
    )
    with warnings.catch_warnings():
        # One epoch per partial_fit call: "not converged" is the point, not a problem.
        warnings.simplefilter("ignore", ConvergenceWarning)
        return _train_by_epoch(model, trial, int(params.get("epochs", 30)))
