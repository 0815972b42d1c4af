"""scikit-learn's side of the small-tabular comparison (bench/tabular/run.mjs runs both sides).

  python3 compare.py split DIR        write DIR/<name>.train.csv and DIR/<name>.test.csv: a fixed,
                                      seeded 75/25 split (stratified for classification) of each
                                      dataset that Debian's python3-sklearn ships as a CSV file
  python3 compare.py sklearn DIR S..  for each split in DIR and each seed S: MLPClassifier /
                                      MLPRegressor with default parameters behind a StandardScaler,
                                      random_state=S; prints one JSON object per line. Regression
                                      also runs variant 'scaledTarget' (the same model inside a
                                      TransformedTargetRegressor(StandardScaler()), as simdnet's CLI
                                      scales the target by default)

Models: make_pipeline(StandardScaler(), MLPClassifier(random_state=seed)) (MLPRegressor for
regression), every other parameter at scikit-learn's default (hidden_layer_sizes=(100,), relu,
adam lr 0.001, batch_size=min(200, n), max_iter=200, alpha=1e-4, tol=1e-4 on the training loss,
no early stopping). scikit-learn's user guide recommends scaling the inputs for MLPs
("Multi-layer Perceptron is sensitive to feature scaling, so it is highly recommended to scale
your data"), and simdnet's CLI standardizes CSV features by default, so both sides see
standardized features. MLPRegressor does not scale the target; that is its default too.

Metric: test accuracy (classification) or test R^2 (regression), on the 25% test rows.
Use Debian's interpreter: /usr/bin/python3 (python3-sklearn, python3-numpy).
"""

import json
import os
import sys
import time
import warnings

import numpy as np
from sklearn import datasets
from sklearn.compose import TransformedTargetRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

SPLIT_SEED = 0
TEST_FRACTION = 0.25

# name -> (loader reading the CSV in sklearn/datasets/data/, task). Every loader reads the file
# shipped in the Debian package; none downloads anything.
DATASETS = {
    "iris": (datasets.load_iris, "classification"),
    "wine": (datasets.load_wine, "classification"),
    "breast_cancer": (datasets.load_breast_cancer, "classification"),
    "digits": (datasets.load_digits, "classification"),
    "diabetes": (lambda: datasets.load_diabetes(scaled=False), "regression"),
}

LABEL = "label"


def write_splits(directory):
    """Each dataset's fixed 75/25 split as two CSV files with a header row; the label column last."""
    os.makedirs(directory, exist_ok=True)
    manifest = []
    for name, (load, task) in DATASETS.items():
        bunch = load()
        x, y = bunch.data, bunch.target
        features = [f"x{j}" for j in range(x.shape[1])]
        x_train, x_test, y_train, y_test = train_test_split(
            x, y, test_size=TEST_FRACTION, random_state=SPLIT_SEED,
            stratify=y if task == "classification" else None,
        )
        for part, xs, ys in (("train", x_train, y_train), ("test", x_test, y_test)):
            path = os.path.join(directory, f"{name}.{part}.csv")
            with open(path, "w") as f:
                f.write(",".join(features + [LABEL]) + "\n")
                for row, target in zip(xs, ys):
                    label = str(int(target)) if task == "classification" else repr(float(target))
                    f.write(",".join(repr(float(v)) for v in row) + "," + label + "\n")
        manifest.append({
            "name": name, "task": task, "rows": int(x.shape[0]), "features": int(x.shape[1]),
            "trainRows": int(x_train.shape[0]), "testRows": int(x_test.shape[0]),
            "classes": int(len(np.unique(y))) if task == "classification" else None,
        })
    with open(os.path.join(directory, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    print(json.dumps(manifest))


def read_split(directory, name, part):
    data = np.loadtxt(os.path.join(directory, f"{name}.{part}.csv"), delimiter=",", skiprows=1)
    return data[:, :-1], data[:, -1]


def run_sklearn(directory, seeds):
    with open(os.path.join(directory, "manifest.json")) as f:
        manifest = json.load(f)
    for entry in manifest:
        name, task = entry["name"], entry["task"]
        x_train, y_train = read_split(directory, name, "train")
        x_test, y_test = read_split(directory, name, "test")
        for seed in seeds:
            for variant in (["default"] if task == "classification" else ["default", "scaledTarget"]):
                run_one(name, task, variant, seed, x_train, y_train, x_test, y_test)


def run_one(name, task, variant, seed, x_train, y_train, x_test, y_test):
    """One fit and its test score; variant 'scaledTarget' also standardizes the regression target."""
    if task == "classification":
        y_train, y_test = y_train.astype(int), y_test.astype(int)
        model = make_pipeline(StandardScaler(), MLPClassifier(random_state=seed))
    else:
        model = make_pipeline(StandardScaler(), MLPRegressor(random_state=seed))
        if variant == "scaledTarget":
            model = TransformedTargetRegressor(regressor=model, transformer=StandardScaler())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        start = time.perf_counter()
        model.fit(x_train, y_train)
        seconds = time.perf_counter() - start
    fitted = model.regressor_ if variant == "scaledTarget" else model
    print(json.dumps({
        "name": name, "variant": variant, "seed": seed,
        # accuracy for MLPClassifier, R^2 for MLPRegressor (and on the raw target for scaledTarget)
        "score": float(model.score(x_test, y_test)),
        "seconds": seconds,
        "iterations": int(fitted[-1].n_iter_),
        "converged": not any(issubclass(w.category, ConvergenceWarning) for w in caught),
    }), flush=True)


def main(argv):
    if len(argv) >= 2 and argv[0] == "split":
        write_splits(argv[1])
    elif len(argv) >= 3 and argv[0] == "sklearn":
        run_sklearn(argv[1], [int(s) for s in argv[2:]])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
